"""The signal models as the model store knows them (see ``services/models/spec.py``)."""

from __future__ import annotations

from bizpilot.ml.text.intent import IntentClassifier
from bizpilot.ml.text.sentiment import SentimentClassifier
from bizpilot.services.models.spec import ModelSpec
from bizpilot.services.signals.training import train_intent, train_sentiment

INTENT = ModelSpec(
    name="intent", title="Intent", estimator=IntentClassifier, train=train_intent,
    summary="What a customer message is about (order status, shipping, refunds, invoices...), with out-of-scope "
            "detection", key_metrics={"holdout_accuracy": "higher"}, on_demand=False, in_train_all=False,
    default_note="shipped default (zh + en seed utterances); bizpilot train intent FILE trains your own")

SENTIMENT = ModelSpec(
    name="sentiment", title="Sentiment", estimator=SentimentClassifier, train=train_sentiment,
    summary="How the customer feels (negative, neutral, positive) in Chinese and English",
    key_metrics={"holdout_accuracy": "higher"}, on_demand=False, in_train_all=False,
    default_note="shipped default (multilingual e5 + logistic regression, averaged with the lexicon); bizpilot "
                 "train sentiment FILE trains your own")

SPECS = (INTENT, SENTIMENT)

__all__ = ["INTENT", "SENTIMENT", "SPECS"]
