"""generate_content / rate_content / approved examples on the demo business, the unit of work they join, and the
real local model behind the checker (the branch it takes is the one the checker and judge dictate for its draft).
Each branch of generation is pinned with scripted drafts in test_branches.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain.ops import GeneratedContent
from bizpilot.domain.product import Product
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.llm.local import LocalBackend
from bizpilot.services.content import (
    FactBundle,
    check_text,
    generate_content,
    get_generation,
    load_facts,
    make_plan,
    rate_content,
    realise_deterministic,
    recent_generations,
)
from bizpilot.services.content.facts import numbers_in
from bizpilot.services.content.prompting import judge
from tests.llm.conftest import local_backend  # noqa: F401  (fixture: the bundled model, or a skip with the reason)


def test_deterministic_generation_is_stored_with_everything(demo_session: Session, demo_engine: Engine) -> None:
    r = generate_content(session=demo_session, kind="product_description", product_id="ADH-1001", language="zh",
                         use_llm=False)
    assert r.fallback and r.fallback_reason == "LLM not requested (deterministic realisation)"
    assert r.model == "deterministic" and r.draft is None
    assert "30.45" in r.output and "灰色" in r.output
    assert all(s["backed_by"] for s in r.sentences)
    demo_session.commit()  # the caller's unit of work: the service only flushed
    with Session(demo_engine) as s:
        row = s.get(GeneratedContent, r.id)
        assert row.output == r.output and row.status == "draft" and row.language == "zh"
        assert row.prompt_version == "content.deterministic@v1" and row.product_id is not None
        assert row.check_result["clean"] and row.inputs["use_llm"] is False
        assert FactBundle.from_dict(row.facts).get("product.price").value == pytest.approx(30.45)
    assert recent_generations(session=demo_session, limit=1)[0]["id"] == r.id
    assert get_generation(session=demo_session, id=r.id)["check"]["fallback"] is True


def test_services_never_commit_the_callers_session(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        r = generate_content(session=s, kind="headline", product_id="ADH-1001", use_llm=False)
        rate_content(session=s, id=r.id, rating=5, approve=True)
        assert s.get(GeneratedContent, r.id).status == "approved"  # flushed: visible inside the unit of work
        s.rollback()
    with Session(demo_engine) as s:
        assert s.get(GeneratedContent, r.id) is None


def test_rating_validation_and_unknown_id(demo_session: Session) -> None:
    r = generate_content(session=demo_session, kind="headline", product_id="ADH-1001", use_llm=False)
    with pytest.raises(ValidationFailed):
        rate_content(session=demo_session, id=r.id, rating=9)
    with pytest.raises(NotFoundError):
        rate_content(session=demo_session, id=999999, rating=3)
    with pytest.raises(NotFoundError):
        get_generation(session=demo_session, id=999999)
    out = rate_content(session=demo_session, id=r.id, rating=4, feedback="ok")
    assert out["status"] == "rated" and out["rating"] == 4 and out["feedback"] == "ok"


def test_approved_edit_becomes_an_example_for_a_similar_product(demo_session: Session) -> None:
    first = generate_content(session=demo_session, kind="ad", product_id="ADH-1001", use_llm=False)
    assert first.examples == []
    edit = "Thread Locker 400 mL grey: the grey thread locker your crews trust. Only USD 30.45."
    out = rate_content(session=demo_session, id=first.id, rating=5, edited_output=edit, approve=True)
    assert out["status"] == "approved" and out["edit_check"]["clean"]
    bad = rate_content(session=demo_session, id=first.id, edited_output="Now 50% off!", approve=True)
    assert bad["edit_check"]["clean"] is False and "50%" in bad["edit_check"]["problems"][0]
    rate_content(session=demo_session, id=first.id, edited_output=edit, approve=True)
    sku = demo_session.scalar(select(Product.sku).where(Product.category == "Adhesives & Sealants",  # the most
                                                        Product.sku != "ADH-1001", Product.language == "en"))
    second = generate_content(session=demo_session, kind="ad", product_id=sku, use_llm=False)  # similar facts
    assert [e["id"] for e in second.examples] == [first.id]
    other_lang = generate_content(session=demo_session, kind="ad", product_id=sku, language="zh", use_llm=False)
    assert other_lang.examples == []  # examples come from the same kind and language only


def _assert_numbers_supported(output: str, facts: list[dict]) -> None:
    known = {n for f in facts for n in numbers_in(" ".join(x for x in (f["text"], f["text_zh"]) if x))}
    known |= {float(f["value"]) for f in facts if isinstance(f["value"], int | float)}
    for n in numbers_in(output):
        assert any(abs(n - k) < 0.005 for k in known), (n, output)


def test_real_local_model_takes_the_branch_its_draft_dictates(demo_session: Session,
                                                              local_backend: LocalBackend) -> None:  # noqa: F811
    """The bundled model writes whatever it writes; the pipeline must then do exactly what the checker and the
    judge say about that draft (keep the repaired draft, or the template with the judge's reason)."""
    backend = local_backend
    for kind, refs, lang in (("product_description", {"product_id": "ADH-1001"}, "en"),
                             ("follow_up", {"account_id": "ACC-00001"}, "zh")):
        r = generate_content(session=demo_session, kind=kind, language=lang, backend=backend, max_tokens=64,
                             **refs)
        assert r.draft is not None and backend.call_log.last()["ok"]
        bundle = load_facts(session=demo_session, kind=kind, **refs)
        plan = make_plan(bundle, language=lang)
        draft_check = check_text(r.draft, bundle)
        verdict = judge(draft_check, plan, bundle)
        expected_reason = (verdict.reason if not verdict.accepted else None
                           if check_text(draft_check.output, bundle).clean
                           else "the repaired draft still failed the fact check")
        assert r.fallback_reason == expected_reason and r.fallback == (expected_reason is not None)
        expected_output = draft_check.output if expected_reason is None else realise_deterministic(plan, bundle)
        assert r.output == expected_output
        assert r.model == (backend.model_name if expected_reason is None
                           else f"deterministic (after {backend.model_name})")
        row = demo_session.get(GeneratedContent, r.id)
        assert row.output == r.output and check_text(row.output, bundle).clean
        _assert_numbers_supported(row.output, r.facts)
        assert not re.search(r"<<<|>>>", row.output)


def test_unreachable_llm_server_falls_back_and_says_so(demo_session: Session,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_LLM_BACKEND", "openai")
    monkeypatch.setenv("BIZPILOT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BIZPILOT_LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("BIZPILOT_LLM_TIMEOUT_S", "2")
    from bizpilot.config import reset_settings
    from bizpilot.llm import clear_cache

    reset_settings()
    clear_cache()
    try:
        r = generate_content(session=demo_session, kind="ad", product_id="ADH-1001", use_llm=True)
    finally:
        reset_settings()
        clear_cache()
    assert r.fallback and r.fallback_reason.startswith("no LLM available: ")
    assert r.model == "deterministic" and r.draft is None
    assert check_text(r.output, FactBundle.from_dict({"facts": r.facts})).clean
