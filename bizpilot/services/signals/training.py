"""Training the signal models: the workspace's own intent and sentiment models from a team's labelled messages
(a file handed to `bizpilot train intent|sentiment FILE`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from bizpilot.errors import InsufficientData, ValidationFailed
from bizpilot.services.models.spec import Progress, Trained


def _labelled(texts: Sequence[str] | None, labels: Sequence[Any] | None, what: str) -> tuple[list[str], list[Any]]:
    if not texts:
        raise InsufficientData(f"no labelled messages to learn {what} from: `bizpilot train {what} FILE` "
                               "(the shipped default is used meanwhile)")
    texts, labels = [str(t) for t in texts], list(labels or [])
    if len(texts) != len(labels):
        raise ValidationFailed(f"training needs as many labels as texts ({len(texts)} texts, {len(labels)} labels)")
    return texts, labels


def _stratified_holdout(labels: list[str], share: float) -> list[int]:
    rng = np.random.default_rng(0)
    test: list[int] = []
    for label in sorted(set(labels)):
        idx = [i for i, y in enumerate(labels) if y == label]
        if len(idx) >= 2:
            test.extend(rng.choice(idx, size=max(1, int(round(len(idx) * share))), replace=False).tolist())
    return sorted(test)


def train_intent(*, session: Session, as_of: datetime, progress: Progress, texts: Sequence[str] | None = None,
                 labels: Sequence[str] | None = None, with_defaults: bool = False, holdout: float = 0.0,
                 embedder: str = "auto", workspace_embedding: bool = False, **_: Any) -> Trained:
    """The workspace intent model from a team's labelled messages. ``with_defaults`` adds the shipped seed
    utterances, so a few examples of a new intent extend the default set (few-shot). ``holdout`` > 0 first
    measures accuracy on that share of the rows (stratified). ``workspace_embedding``: embed through the
    workspace's embedding model (`bizpilot train embedder`) when there is one; opt-in (see ``ml/text/intent.py``);
    the configuration used is in the run's metrics (``embedding``) and params."""
    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.intent import IntentClassifier, load_seeds

    texts, raw = _labelled(texts, labels, "intent")
    labels = [str(y) for y in raw]
    seed_texts, seed_labels = load_seeds() if with_defaults else ([], [])
    metrics: dict[str, Any] = {}
    if holdout > 0:
        test_idx = _stratified_holdout(labels, holdout)
        test_set = set(test_idx)
        train_idx = [i for i in range(len(texts)) if i not in test_set]
        probe = IntentClassifier(embedder=embedder, workspace_embedding=workspace_embedding).fit(
            [texts[i] for i in train_idx] + seed_texts, [labels[i] for i in train_idx] + seed_labels)
        scored = label_metrics([labels[i] for i in test_idx], probe.predict([texts[i] for i in test_idx]))
        metrics = {"holdout_accuracy": scored["accuracy"], "holdout_macro_f1": scored["macro_f1"],
                   "holdout_n": scored["n"]}
    started = time.perf_counter()
    model = IntentClassifier(embedder=embedder, workspace_embedding=workspace_embedding).fit(
        texts + seed_texts, labels + seed_labels, on_progress=lambda done: progress(done / max(len(texts), 1)))
    metrics.update({"n_seed_rows": len(seed_texts), "intents": model.classes_, "embedder": model.embedder_,
                    "embedding": getattr(model, "embedding_config_", model.embedder_),
                    "fit_seconds": round(time.perf_counter() - started, 3)})
    return Trained(model, metrics, n_rows=len(texts))


MAX_ADAPT_TEXTS = 20_000  # the workspace's most recent message texts a sentiment model adapts to


def workspace_texts(*, session: Session, as_of: datetime, limit: int = MAX_ADAPT_TEXTS) -> list[str]:
    """The text of the workspace's most recent inbound customer messages up to ``as_of`` (distinct, non-empty): the
    target domain a sentiment model adapts to without labels."""
    from sqlalchemy import select

    from bizpilot.domain.interaction import Interaction

    rows = session.execute(select(Interaction.text).where(Interaction.text.is_not(None),
                                                          Interaction.direction == "inbound",
                                                          Interaction.occurred_at <= as_of)
                           .order_by(Interaction.occurred_at.desc()).limit(limit)).scalars()
    return list(dict.fromkeys(t.strip() for t in rows if t and t.strip()))


def train_sentiment(*, session: Session, as_of: datetime, progress: Progress, texts: Sequence[str] | None = None,
                    labels: Sequence[Any] | None = None, holdout: float = 0.0, embedder: str = "auto",
                    adapt: bool = False, **_: Any) -> Trained:
    """The workspace sentiment model from labelled reviews or messages (0/1, negative/neutral/positive, stars).
    With ``adapt`` and enough of the workspace's own messages, the model is also self-trained on them
    (`bizpilot.ml.text.sentiment_adapt`): the labelled model (or, without labels, the shipped default) scores the
    messages, the confident calls of the adapted scores join the training rows as pseudo-labels. Off by default:
    across review domains it lifted the TF-IDF model alone (+0.016) but not its blend with the shipped default,
    which Chinese training uses (``bench/sentiment_domains.py``). Without labels and without enough messages
    there is nothing to learn: ``InsufficientData``."""
    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.sentiment import SentimentClassifier, default_sentiment_model, normalise_label
    from bizpilot.ml.text.sentiment_adapt import MIN_TEXTS, pseudo_labelled, self_train

    unlabelled = workspace_texts(session=session, as_of=as_of) if adapt else []
    if texts or len(unlabelled) < MIN_TEXTS:
        texts, raw = _labelled(texts, labels, "sentiment")
    else:
        texts, raw = [], []
    names = [normalise_label(v) for v in raw]
    metrics: dict[str, Any] = {}
    if holdout > 0 and texts:
        test_idx = _stratified_holdout(names, holdout)
        test_set = set(test_idx)
        train_idx = [i for i in range(len(texts)) if i not in test_set]
        probe = SentimentClassifier(embedder=embedder).fit([texts[i] for i in train_idx],
                                                           [names[i] for i in train_idx])
        scored = label_metrics([names[i] for i in test_idx], probe.predict([texts[i] for i in test_idx]))
        metrics = {"holdout_accuracy": scored["accuracy"], "holdout_macro_f1": scored["macro_f1"],
                   "holdout_n": scored["n"]}
    started = time.perf_counter()
    pseudo_texts: list[str] = []
    pseudo_names: list[str] = []
    if len(unlabelled) >= MIN_TEXTS:
        labelled_set = set(texts)
        unlabelled = [t for t in unlabelled if t not in labelled_set]
        base = SentimentClassifier(embedder=embedder).fit(texts, names) if texts else default_sentiment_model()
        adapted = self_train(unlabelled, base.score(unlabelled))
        if adapted.adapted:
            pseudo_texts, pseudo_names = pseudo_labelled(unlabelled, adapted.scores)
        progress(0.5)
    if not texts and not pseudo_texts:
        raise InsufficientData("the workspace's messages gave no confident sentiment to adapt to; "
                               "`bizpilot train sentiment FILE` trains on labelled reviews")
    model = SentimentClassifier(embedder=embedder).fit(texts + pseudo_texts, names + pseudo_names)
    metrics.update({"classes": model.classes_, "embedder": model.embedder_, "n_labelled": len(texts),
                    "embedding": getattr(model, "embedding_config_", model.embedder_),  # the Models page: stale?
                    "n_pseudo_labelled": len(pseudo_texts), "adapted_to_messages": bool(pseudo_texts),
                    "fit_seconds": round(time.perf_counter() - started, 3)})
    return Trained(model, metrics, n_rows=len(texts) + len(pseudo_texts))


__all__ = ["train_intent", "train_sentiment", "workspace_texts"]
