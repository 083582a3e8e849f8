"""Signals service: one message, stored interactions filled in batches, dissatisfaction alerts, the analysis job
and the workspace's own intent model (through the model store)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction
from bizpilot.errors import ValidationFailed
from bizpilot.services.models.access import model_state
from bizpilot.services.models.jobs import run_training
from bizpilot.services.models.store import get_store
from bizpilot.services.signals.analysis import (
    SIGNALS,
    analyse_interactions,
    analyse_message,
    dissatisfaction_alerts,
    intent_model,
    unanalysed_count,
)
from bizpilot.services.signals.specs import INTENT
from tests.services import sample_data as sd


@pytest.fixture
def ids(engine: Engine) -> dict[str, int]:
    ids = sd.load_sample(engine)
    with Session(engine) as session:
        session.add_all([
            Interaction(external_id="ix-c1", channel="email", direction="inbound", subject="Leaking pump",
                        text="The pump leaks again, this is unacceptable. I want a refund.",
                        occurred_at=datetime(2024, 3, 7, 9), account_id=ids["ACME"]),
            Interaction(external_id="ix-c2", channel="chat", direction="inbound", subject=None,
                        text="你们的服务太差了，我要投诉！", occurred_at=datetime(2024, 3, 8, 9),
                        account_id=ids["ACME"]),
            Interaction(external_id="ix-p1", channel="review", direction="inbound", subject=None,
                        text="Excellent tea, we love it and will order again.",
                        occurred_at=datetime(2024, 3, 1, 9), account_id=ids["BOREALIS"]),
            Interaction(external_id="ix-empty", channel="note", direction="internal", subject="call me",
                        text="   ", occurred_at=datetime(2024, 3, 2, 9)),
        ])
        session.commit()
    return ids


def test_analyse_message_contract() -> None:
    s = analyse_message("where is my order 1043?")
    assert s.intent == "order_status"
    assert 0.0 <= s.intent_confidence <= 1.0 and s.out_of_scope is False
    assert s.sentiment in ("negative", "neutral", "positive") and -1.0 <= s.sentiment_score <= 1.0
    zh = analyse_message("质量太差，我要退款", language="zh")
    assert zh.intent in ("returns_refunds", "complaint") and zh.sentiment == "negative" and zh.language == "zh"
    with pytest.raises(ValidationFailed):
        analyse_message("  ")


def test_analyse_interactions_fills_columns_and_alerts(engine: Engine, ids: dict[str, int]) -> None:
    with Session(engine) as session:
        assert unanalysed_count(session=session) == 7
        report = analyse_interactions(session=session, batch_size=3)
        assert report.analysed == 6 and report.skipped_empty == 1
        rows = {r.external_id: r for r in session.execute(select(Interaction)).scalars()}
        assert rows["ix-c1"].intent in ("returns_refunds", "complaint") and rows["ix-c1"].sentiment == "negative"
        assert rows["ix-c2"].intent == "complaint" and rows["ix-c2"].sentiment == "negative"
        assert rows["ix-p1"].sentiment == "positive"
        assert all(rows[k].analysed_at is not None for k in ("ix-1", "ix-2", "ix-3"))
        assert rows["ix-empty"].analysed_at is None
        # a second run only looks at what is new; --all redoes everything with text
        assert analyse_interactions(session=session).analysed == 0
        assert analyse_interactions(session=session, reanalyse=True).analysed == 6
        assert unanalysed_count(session=session) == 1  # the empty note

        alerts = dissatisfaction_alerts(session=session, days=30)
        assert [a.account_id for a in alerts] == [ids["ACME"]]
        acme = alerts[0]
        assert acme.account_name == "Acme Trading Co" and acme.complaints >= 2 and acme.severity == "high"
        assert acme.last_text and "投诉" in acme.last_text
        # the look-back window counts from the newest interaction; a window that ends before them is empty
        assert dissatisfaction_alerts(session=session, days=1, now=datetime(2024, 2, 1)) == []
        with pytest.raises(ValidationFailed):
            dissatisfaction_alerts(session=session, days=0)
        session.rollback()
    with Session(engine) as session:  # the service flushes; the caller commits (here it did not)
        assert unanalysed_count(session=session) == 7


def test_the_signals_job_analyses_recent_messages(engine: Engine, ids: dict[str, int]) -> None:
    outcome = run_training(SIGNALS, engine=engine, trigger="test")
    assert outcome.status == "finished" and outcome.n_rows == 6
    assert outcome.metrics is not None and outcome.metrics["analysed"] == 6 and outcome.metrics["since_days"] == 90
    assert outcome.metrics["skipped_empty"] == 1 and outcome.metrics["negative"] >= 2
    with Session(engine) as session:
        assert unanalysed_count(session=session) == 1
        assert [a.account_id for a in dissatisfaction_alerts(session=session)] == [ids["ACME"]]
    again = run_training(SIGNALS, engine=engine, trigger="test")
    assert again.status == "finished" and again.n_rows == 0  # only what is new


def test_train_intent_with_defaults_extends_the_default_set(engine: Engine) -> None:
    with Session(engine) as session:
        assert model_state(session=session, spec=INTENT).state == "default"
    texts = ["I need a sample of the blue mug", "can you send a free sample", "sample request for tea",
             "please mail us product samples"]
    outcome = run_training(INTENT, engine=engine, trigger="test",
                           params={"texts": texts, "labels": ["samples"] * 4, "with_defaults": True,
                                   "embedder": "none"})
    assert outcome.status == "finished", outcome
    assert outcome.metrics is not None
    assert "samples" in outcome.metrics["intents"] and "order_status" in outcome.metrics["intents"]
    assert get_store().exists(INTENT) and outcome.artifact == str(get_store().path(INTENT))
    with Session(engine) as session:
        assert model_state(session=session, spec=INTENT).state == "ready"
    assert analyse_message("could we get a sample of your green tea?").intent == "samples"
    assert analyse_message("where is my order 55?").intent == "order_status"
    assert get_store().remove(INTENT) is True
    assert intent_model().embedder_ == "e5"  # back to the shipped default
    with Session(engine) as session:
        assert model_state(session=session, spec=INTENT).state == "default"
    failed = run_training(INTENT, engine=engine, trigger="test", params={"texts": ["a"], "labels": [],
                                                                         "embedder": "none"})
    assert failed.status == "failed" and failed.message == "training needs as many labels as texts (1 texts, 0 labels)"
    skipped = run_training(INTENT, engine=engine, trigger="test")
    assert skipped.status == "skipped" and "no labelled messages" in (skipped.message or "")


def test_the_signals_job_goes_on_into_the_history_newest_first(engine: Engine, ids: dict[str, int]) -> None:
    """Messages older than the alerts' 90 days are analysed too (inbound ones, newest first, a bounded number a
    run), so the monthly sentiment trend covers the history; the next run goes on where the last one stopped."""
    with Session(engine) as session:
        session.add_all([
            Interaction(external_id="old-1", channel="review", direction="inbound", text="Terrible, it broke.",
                        occurred_at=datetime(2023, 6, 2, 9), account_id=ids["ACME"]),
            Interaction(external_id="old-2", channel="review", direction="inbound", text="Great tea, thank you!",
                        occurred_at=datetime(2023, 9, 2, 9), account_id=ids["ACME"]),
            Interaction(external_id="old-3", channel="note", direction="internal", text="Called them back.",
                        occurred_at=datetime(2023, 9, 3, 9), account_id=ids["ACME"]),
        ])
        session.commit()
    first = run_training(SIGNALS, engine=engine, trigger="test", params={"history_per_run": 1})
    assert first.metrics is not None and (first.metrics["analysed"], first.metrics["history_analysed"]) == (6, 1)
    assert (first.metrics["history_left"], first.metrics["sentiment_complete_from"]) == (1, "2023-07")
    with Session(engine) as session:
        done = {r.external_id: r for r in session.execute(select(Interaction)).scalars() if r.analysed_at}
    assert "old-2" in done and "old-1" not in done and done["old-2"].sentiment == "positive"
    second = run_training(SIGNALS, engine=engine, trigger="test")
    assert second.metrics is not None and second.metrics["history_analysed"] == 1
    assert (second.metrics["history_left"], second.metrics["sentiment_complete_from"]) == (0, "2023-06")
    with Session(engine) as session:  # internal notes of the history are not what the trend counts
        note = session.execute(select(Interaction).where(Interaction.external_id == "old-3")).scalar_one()
        assert note.analysed_at is None
