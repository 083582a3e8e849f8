"""Signals of customer messages: intent and sentiment (``analysis``), the workspace's own models and the
analysis job (``training``, ``specs``)."""

from bizpilot.services.signals.analysis import (
    ALERT_DAYS,
    ALERT_INTENTS,
    AnalysisReport,
    DissatisfactionAlert,
    MessageSignals,
    analyse_interactions,
    analyse_message,
    analyse_texts,
    dissatisfaction_alerts,
    intent_model,
    sentiment_model,
    unanalysed_count,
)

__all__ = ["ALERT_DAYS", "ALERT_INTENTS", "AnalysisReport", "DissatisfactionAlert", "MessageSignals",
           "analyse_interactions", "analyse_message", "analyse_texts", "dissatisfaction_alerts", "intent_model",
           "sentiment_model", "unanalysed_count"]
