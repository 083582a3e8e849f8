"""Content generation asks the stored probe: a model that failed it never drafts (the deterministic path writes
and says why); one never probed or that passed drafts as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bizpilot.config import get_settings, reset_settings
from bizpilot.services.content import generate_content
from bizpilot.services.llmprobe import model_key, save_result
from tests.services.content.conftest import small_db_file, small_engine, small_session  # noqa: F401
from tests.services.content.test_branches import GOOD, _scripted


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BIZPILOT_HOME", str(tmp_path / "ws"))
    reset_settings()
    yield get_settings().resolved_home
    reset_settings()


def _stored(backend: object, passed: bool, home: Path) -> None:
    save_result({"model": model_key(backend), "passed": passed, "score": 1.0 if passed else 0.25,
                 "date": "2025-06-01T00:00:00+00:00"}, home=home)


def test_a_model_that_failed_its_probe_does_not_draft(small_session: Session, home: Path) -> None:  # noqa: F811
    backend = _scripted(GOOD)
    _stored(backend, False, home)
    r = generate_content(session=small_session, kind="product_description", product_id="ADH-2001", backend=backend)
    assert r.fallback and backend.requests == []
    assert r.fallback_reason == (f"no LLM available: {model_key(backend)} failed the capability probe "
                                 "(bizpilot llm probe)")
    assert r.model == "deterministic"


@pytest.mark.parametrize("probed", [None, True])
def test_a_model_that_passed_or_was_never_probed_drafts(small_session: Session, home: Path,  # noqa: F811
                                                        probed: bool | None) -> None:
    backend = _scripted(GOOD)
    if probed is not None:
        _stored(backend, probed, home)
    r = generate_content(session=small_session, kind="product_description", product_id="ADH-2001", backend=backend)
    assert not r.fallback and r.output == GOOD and len(backend.requests) == 1


def test_a_model_that_passed_only_in_english_drafts_english_and_not_chinese(small_session: Session,  # noqa: F811
                                                                             home: Path) -> None:
    backend = _scripted(GOOD)
    save_result({"model": model_key(backend), "passed": False, "languages": {"en": True, "zh": False},
                 "score": 0.75, "date": "2025-06-01T00:00:00+00:00"}, home=home)
    zh = generate_content(session=small_session, kind="product_description", product_id="ADH-2001",
                          language="zh", backend=backend)
    assert zh.fallback and backend.requests == []
    assert zh.fallback_reason == (f"no LLM available: {model_key(backend)} failed the capability probe in zh "
                                  "(bizpilot llm probe)")
    en = generate_content(session=small_session, kind="product_description", product_id="ADH-2001", backend=backend)
    assert not en.fallback and en.output == GOOD and len(backend.requests) == 1
