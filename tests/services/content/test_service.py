"""generate_content / rate_content / approved examples, and the real local model behind the checker."""

from __future__ import annotations

import importlib.util
import re

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain.ops import GeneratedContent
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services.content import FactBundle, check_text, generate_content, rate_content
from bizpilot.services.content.facts import numbers_in


def test_deterministic_generation_is_stored_with_everything(demo_engine: Engine) -> None:
    r = generate_content(session_or_engine=demo_engine, kind="product_description", product_id="ADH-1001",
                         language="zh", use_llm=False)
    assert r.fallback and "not requested" in r.fallback_reason and r.model == "deterministic"
    assert "30.45" in r.output and "灰色" in r.output
    assert all(s["backed_by"] for s in r.sentences)
    with Session(demo_engine) as s:
        row = s.get(GeneratedContent, r.id)
        assert row.output == r.output and row.status == "draft" and row.language == "zh"
        assert row.prompt_version == "content.deterministic@v1" and row.product_id is not None
        assert row.check_result["clean"] and row.inputs["use_llm"] is False
        assert FactBundle.from_dict(row.facts).get("product.price").value == pytest.approx(30.45)


def test_rating_validation_and_unknown_id(demo_engine: Engine) -> None:
    r = generate_content(session_or_engine=demo_engine, kind="headline", product_id="ADH-1001", use_llm=False)
    with pytest.raises(ValidationFailed):
        rate_content(session_or_engine=demo_engine, id=r.id, rating=9)
    with pytest.raises(NotFoundError):
        rate_content(session_or_engine=demo_engine, id=999999, rating=3)
    out = rate_content(session_or_engine=demo_engine, id=r.id, rating=4, feedback="ok")
    assert out["status"] == "rated" and out["rating"] == 4 and out["feedback"] == "ok"


def test_approved_edit_becomes_an_example_for_a_similar_product(demo_engine: Engine) -> None:
    first = generate_content(session_or_engine=demo_engine, kind="ad", product_id="ADH-1001", use_llm=False)
    assert first.examples == []
    edit = "Thread Locker 400 mL grey: the grey thread locker your crews trust. Only USD 30.45."
    out = rate_content(session_or_engine=demo_engine, id=first.id, rating=5, edited_output=edit, approve=True)
    assert out["status"] == "approved" and out["edit_check"]["clean"]
    bad = rate_content(session_or_engine=demo_engine, id=first.id, edited_output="Now 50% off!", approve=True)
    assert bad["edit_check"]["clean"] is False and "50%" in bad["edit_check"]["problems"][0]
    rate_content(session_or_engine=demo_engine, id=first.id, edited_output=edit, approve=True)
    with Session(demo_engine) as s:  # another adhesive: the most similar facts
        from sqlalchemy import select

        from bizpilot.domain.product import Product
        sku = s.scalar(select(Product.sku).where(Product.category == "Adhesives & Sealants",
                                                 Product.sku != "ADH-1001", Product.language == "en"))
    second = generate_content(session_or_engine=demo_engine, kind="ad", product_id=sku, use_llm=False)
    assert [e["id"] for e in second.examples] == [first.id]
    other_lang = generate_content(session_or_engine=demo_engine, kind="ad", product_id=sku, language="zh",
                                  use_llm=False)
    assert other_lang.examples == []  # examples come from the same kind and language only


def _assert_numbers_supported(output: str, facts: list[dict]) -> None:
    known = {n for f in facts for n in numbers_in(" ".join(x for x in (f["text"], f["text_zh"]) if x))}
    known |= {float(f["value"]) for f in facts if isinstance(f["value"], int | float)}
    for n in numbers_in(output):
        assert any(abs(n - k) < 0.005 for k in known), (n, output)


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed")
def test_real_local_model_passes_the_check_or_falls_back(demo_engine: Engine) -> None:
    from bizpilot.llm import CallLog
    from bizpilot.llm.local import LocalBackend, bundled_model_path

    try:
        bundled_model_path()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"bundled model not available: {exc}")
    backend = LocalBackend(n_threads=1, n_ctx=2048, call_log=CallLog())
    try:
        for kind, refs, lang in (("product_description", {"product_id": "ADH-1001"}, "en"),
                                 ("follow_up", {"account_id": "ACC-00001"}, "zh")):
            r = generate_content(session_or_engine=demo_engine, kind=kind, language=lang, backend=backend,
                                 max_tokens=64, **refs)
            assert r.draft is not None and "SmolLM2" in r.model
            assert r.fallback == (r.fallback_reason is not None)
            if r.fallback:
                assert r.model.startswith("deterministic (after")
            with Session(demo_engine) as s:
                row = s.get(GeneratedContent, r.id)
                assert row.output == r.output
                bundle = FactBundle.from_dict(row.facts)
            assert check_text(row.output, bundle).clean
            _assert_numbers_supported(row.output, r.facts)
            assert not re.search(r"<<<|>>>", row.output)
    finally:
        backend.close()


def test_no_llm_available_falls_back_and_says_so(demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_LLM_BACKEND", "openai")
    monkeypatch.setenv("BIZPILOT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BIZPILOT_LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("BIZPILOT_LLM_TIMEOUT_S", "2")
    from bizpilot.config import reset_settings
    from bizpilot.llm import clear_cache

    reset_settings()
    clear_cache()
    try:
        r = generate_content(session_or_engine=demo_engine, kind="ad", product_id="ADH-1001", use_llm=True)
    finally:
        reset_settings()
        clear_cache()
    assert r.fallback and r.fallback_reason.startswith("no LLM available")
    assert check_text(r.output, FactBundle.from_dict({"facts": r.facts})).clean
