"""Short LLM topic labels, through the scripted backend (no network): a label is kept only when the topic's
keywords and texts back its words, the keyword label stays otherwise, the model that wrote a kept label is recorded;
without a model that passed the capability probe no model is asked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.db.engine import session_scope
from bizpilot.ml.text.topics import label_support
from bizpilot.services.auth import Principal
from bizpilot.services.insights.labels import PROMPT_VERSION, label_backend, llm_label
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.llmprobe.endpoint import save_endpoint
from bizpilot.services.llmprobe.store import save_result
from bizpilot.services.models.access import latest_run
from bizpilot.services.models.outputs import read_outputs
from bizpilot.services.models.training import train_model
from tests.llm.scripted_env import scripted_llm
from tests.ml.text.test_topics import EN
from tests.services.insights.test_insights import _seed_topics

SCRIPT = {"rules": [
    {"tag": "insights.*", "pattern": "parcel", "reply": "Late parcel deliveries"},
    {"tag": "insights.*", "pattern": "invoice", "reply": "Label: \"Invoice billing errors\""},
    {"tag": "insights.*", "pattern": "battery", "reply": "Cracked phone screens"},
]}


def test_a_label_must_say_what_the_topic_says() -> None:
    texts = EN["delivery"]
    keywords = ["parcel", "courier", "delivery", "late"]
    assert label_support("Late parcel deliveries", keywords, texts) == (True, "supported")
    ok, why = label_support("Cracked phone screens", keywords, texts)
    assert not ok and "'cracked'" in why
    assert label_support("Parcels lost in 2019", keywords, texts) == (False, "number 2019 is not in the texts")
    assert label_support("courier delivery", ["parcel"], texts)[1] == "none of its words is a keyword of the topic"
    assert label_support("", keywords, texts)[0] is False
    assert label_support("parcel " * 8, keywords, texts)[0] is False
    zh = ["快递延迟三天", "快递又延迟了", "物流很慢"]
    assert label_support("快递 延迟", ["快递", "物流"], zh) == (True, "supported")


def _train(engine: Engine, llm_labels: bool | None) -> list[dict]:
    with Session(engine) as session:
        outcome = train_model(TOPICS, session=session, trigger="test", as_of=datetime(2024, 3, 1),
                              params={"n_topics": 3, "tfidf_weight": 1.0, "llm_labels": llm_labels})
        session.commit()
        assert outcome.status == "finished"
        return [r.payload for r in read_outputs(session=session, model="topics", subject="topic", order="-score")]


def test_the_scripted_model_labels_topics_and_unsupported_labels_are_refused(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed_topics(engine)
    with scripted_llm(monkeypatch, tmp_path / "labeller.json", SCRIPT):
        topics = _train(engine, True)
    by_kw = {t["keywords"][0]: t for t in topics}
    labels = {t["label"] for t in topics}
    assert "Late parcel deliveries" in labels and "Invoice billing errors" in labels
    kept = [t for t in topics if t["label_model"]]
    assert len(kept) == 2 and {t["label_model"] for t in kept} == {"labeller"}
    refused = next(t for t in topics if not t["label_model"])
    assert refused["label"] == refused["keyword_label"] and "battery" in refused["keyword_label"]
    assert refused["llm_label"]["text"] == "Cracked phone screens" and refused["llm_label"]["accepted"] is False
    assert refused["llm_label"]["model"] == "labeller" and "'cracked'" in refused["llm_label"]["reason"]
    assert all(t["keyword_label"] == " · ".join(t["keywords"][:3]) for t in by_kw.values())


def test_only_a_model_that_passed_the_probe_writes_labels_by_default(
        engine: Engine, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed_topics(engine)
    with scripted_llm(monkeypatch, tmp_path / "labeller.json", SCRIPT):
        backend, why = label_backend(None)
        assert backend is None and "capability probe" in why
        assert {t["label_model"] for t in _train(engine, None)} == {None}
        save_result({"model": "scripted:labeller", "passed": False}, home=workspace)
        save_result({"model": "scripted:other", "passed": True}, home=workspace)
        assert label_backend(None)[0] is None and label_backend(True)[0] is None  # a failed probe never writes
        save_result({"model": "scripted:labeller", "passed": True}, home=workspace)
        assert label_backend(None)[0] is not None
        topics = _train(engine, None)
        with Session(engine) as session:
            metrics = latest_run(session=session, name="topics").metrics
    assert sum(t["label_model"] == "labeller" for t in topics) == 2 and metrics["llm_labels"] == 2
    assert label_backend(False) == (None, "LLM labels not requested")


def test_keyword_labels_use_the_topics_dominant_language() -> None:
    """A multilingual topic (English and Chinese messages about packaging) is labelled from its English keywords;
    its Chinese texts, enough of them, get their own label; a stray language with one text gets none."""
    from bizpilot.services.insights.labels import keyword_labels, language_keywords, text_language

    texts = ["The carton was crushed and the packaging torn", "Packaging torn, carton crushed again",
             "Crushed carton, the packaging let water in", "The packaging was torn on arrival",
             "包装破损，纸箱压坏了", "纸箱压坏，包装破损严重", "包装又破损了",
             "Invoice total wrong, please credit the invoice", "The invoice shows the wrong total",
             "Invoice credit still missing", "发票金额错误，请重开发票"]
    labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    per = language_keywords(texts, labels, 2)
    assert set(per[0]) == {"en", "zh"} and per[0]["zh"][0] in {"包装", "破损", "纸箱", "压坏"}
    mixed = ["packaging", "纸箱", "carton", "包装", "torn"]  # what one ranking over both languages gives
    label, language, by = keyword_labels(mixed, per[0], [text_language(texts[i]) for i in range(7)])
    assert language == "en" and label == " · ".join(per[0]["en"][:3])
    assert not any(text_language(w) == "zh" for w in label.split(" · "))
    assert set(by) == {"en", "zh"} and by["zh"] == " · ".join(per[0]["zh"][:3])
    label, language, by = keyword_labels(mixed, per[1], [text_language(texts[i]) for i in range(7, 11)])
    assert (language, set(by)) == ("en", {"en"}) and "invoice" in label


def test_labels_use_the_workspace_writing_model_gated_by_the_labels_language(
        engine: Engine, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer is llm_writer's choice (the workspace endpoint when it is set to write) and each label asks the
    probe in its own language: a model that passed in English and failed in Chinese writes only English labels,
    and a refused label records no model."""
    zh = ["快递延迟三天", "快递又延迟了", "物流很慢，快递延迟"]
    with scripted_llm(monkeypatch, tmp_path / "labeller.json", {"rules": [
            *SCRIPT["rules"], {"tag": "insights.*", "pattern": "快递", "reply": "快递延迟"}]}):
        save_result({"model": "scripted:labeller", "passed": True, "languages": {"en": True, "zh": False}},
                    home=workspace)
        writer, why = label_backend(None)
        assert why == "ok" and writer is not None and writer.backend.model_name == "labeller"
        en = llm_label(writer, keywords=["parcel", "courier", "delivery", "late"], examples=EN["delivery"],
                       texts=EN["delivery"])
        assert (en["text"], en["model"], en["accepted"]) == ("Late parcel deliveries", "labeller", True)
        assert llm_label(writer, keywords=["快递", "物流"], examples=zh, texts=zh) == {
            "text": None, "model": None, "accepted": False, "prompt": PROMPT_VERSION,
            "reason": "scripted:labeller failed the capability probe in zh (bizpilot llm probe)"}
        # asked for (use_llm=True), an unprobed language may write; a failed one still may not
        assert llm_label(label_backend(True)[0], keywords=["快递", "物流"], examples=zh, texts=zh)["text"] is None
        monkeypatch.setenv("REMOTE_API_KEY", "k")
        with session_scope(engine) as session:
            save_endpoint(session=session, base_url="https://llm.example.com/v1", model="remote-labeller",
                          api_key_env="REMOTE_API_KEY", use_for_generation=True,
                          principal=Principal(kind="session", name="owner", role="admin"), channel="page")
            writer, why = label_backend(True, session=session)
    assert why == "ok" and writer.backend.remote and writer.backend.model_name == "remote-labeller"
