"""The workspace glossary: shipped defaults, workspace overrides, translation, imports that name their bad rows,
the cached lookup, and content generation reading the workspace's terms."""

from __future__ import annotations

import contextvars
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from bizpilot.db import session_scope
from bizpilot.domain.glossary import GLOSSARY_KINDS, GlossaryTerm, default_terms, default_zh, normalise_key
from bizpilot.errors import NotFoundError, UnsupportedFormat, ValidationFailed
from bizpilot.services.content.facts import load_facts
from bizpilot.services.content.glossary import (
    active_glossary,
    attr_label,
    category_zh,
    glossary_scope,
    term_zh,
    unit_zh,
    value_zh,
)
from bizpilot.services.glossary import (
    default_lookup,
    delete_term,
    import_terms,
    list_terms,
    lookup_for,
    read_terms_file,
    translate,
    upsert_term,
)
from tests.services.content.data import seed_small

pytestmark = pytest.mark.storage


def test_shipped_defaults_cover_every_kind_with_one_rendering_per_key() -> None:
    terms = default_terms()
    assert {t.kind for t in terms} == set(GLOSSARY_KINDS)
    assert len({(t.kind, t.key) for t in terms}) == len(terms)
    assert all(t.source == "default" and t.zh and t.key == normalise_key(t.en) for t in terms)
    assert default_zh("industry", "Food_Processing") == "食品加工"
    assert default_zh("attribute", "MOQ") == "最小起订量"
    assert default_zh("unit", "kg") == "千克"
    assert default_zh("industry", "underwater basket weaving") is None


def test_normalise_key() -> None:
    assert normalise_key("  Pack_Size ") == "pack size"
    assert normalise_key("400V  3-phase") == "400v 3-phase"


def test_translate_uses_defaults_then_the_workspace_override(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert translate(session=s, kind="value", text="Grey") == "灰色"
        assert translate(session=s, kind="attribute", text="ip_rating", language="en") == "IP rating"
        assert translate(session=s, kind="value", text="vantablack") is None
        change = upsert_term(session=s, kind="value", key="Grey", zh="深灰色", note="our catalogue says 深灰")
        assert change.outcome == "inserted"
        assert (change.entry.key, change.entry.en, change.entry.source) == ("grey", "Grey", "workspace")
        assert translate(session=s, kind="value", text="grey") == "深灰色"
        assert upsert_term(session=s, kind="value", key="grey", zh="深灰色", en="Grey",
                           note="our catalogue says 深灰").outcome == "unchanged"
        assert upsert_term(session=s, kind="value", key="grey", zh="炭灰色").outcome == "updated"
    with session_scope(engine) as s:  # committed by the edge, read back in a new unit of work
        assert translate(session=s, kind="value", text="GREY") == "炭灰色"
        workspace = list_terms(session=s, source="workspace")
        assert [(e.kind, e.key, e.en, e.zh, e.note) for e in workspace] == [("value", "grey", "grey", "炭灰色", None)]
        assert workspace[0].id is not None and workspace[0].updated_at is not None
        # one entry per (kind, key): the override replaces the default in the list
        greys = list_terms(session=s, kind="value", q="grey")
        assert [(e.key, e.source) for e in greys] == [("grey", "workspace")]
        assert delete_term(session=s, kind="value", key="Grey").zh == "灰色"  # the default applies again
        assert translate(session=s, kind="value", text="grey") == "灰色"
        with pytest.raises(NotFoundError) as missing:
            delete_term(session=s, kind="value", key="grey")
        assert missing.value.details == [{"field": "key", "reason": "no workspace term"}]


def test_service_never_commits(engine: Engine) -> None:
    with Session(engine) as s:
        upsert_term(session=s, kind="industry", key="aquaculture", zh="水产养殖")
        assert translate(session=s, kind="industry", text="aquaculture") == "水产养殖"
        s.rollback()
    with Session(engine) as s:
        assert translate(session=s, kind="industry", text="aquaculture") is None
        assert s.scalar(select(func.count()).select_from(GlossaryTerm)) == 0


def test_bad_terms_name_their_field(engine: Engine) -> None:
    with session_scope(engine) as s:
        with pytest.raises(ValidationFailed) as bad_kind:
            upsert_term(session=s, kind="colour", key="red", zh="红")
        assert [d["field"] for d in bad_kind.value.details] == ["kind"]
        with pytest.raises(ValidationFailed) as no_zh:
            upsert_term(session=s, kind="value", key="red", zh="  ")
        assert [d["field"] for d in no_zh.value.details] == ["zh"]
        with pytest.raises(ValidationFailed) as no_key:
            upsert_term(session=s, kind="value", key="", zh="红")
        assert [d["field"] for d in no_key.value.details] == ["key"]
        with pytest.raises(ValidationFailed) as bad_list:
            list_terms(session=s, kind="colours")
        assert bad_list.value.details == [{"field": "kind", "reason": "unknown kind"}]


def test_import_counts_and_a_bad_row_named_by_number_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "terms.csv"
    good.write_text("kind,key,en,zh,note\nvalue,matte black,,哑光黑,\nunit,carton,carton,纸箱,\n"
                    "attribute,hs_code,HS code,海关编码,\n", encoding="utf-8")
    rows, first = read_terms_file(good)
    with session_scope(engine) as s:
        summary = import_terms(session=s, rows=rows, first_row=first)
    assert summary.to_dict() == {"rows": 3, "inserted": 3, "updated": 0, "unchanged": 0}
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,key,en,zh\nvalue,satin,,缎面\ncolor,red,,红\nunit,crate,,\nvalue,matte black,,亚黑\n"
                   "value,matte black,,哑黑\n", encoding="utf-8")
    rows, first = read_terms_file(bad)
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as exc:
        import_terms(session=s, rows=rows, first_row=first)
    details = exc.value.details
    assert [(d["row"], d["field"]) for d in details] == [(3, "kind"), (4, "zh"), (6, "key")]
    assert "row 5" in details[2]["reason"]
    assert "3, 4, 6" in exc.value.message and "nothing was imported" in exc.value.message
    with session_scope(engine) as s:
        assert translate(session=s, kind="value", text="satin") is None  # the good row was not written either
        assert translate(session=s, kind="value", text="matte black") == "哑光黑"
        again = import_terms(session=s, rows=read_terms_file(good)[0], first_row=2)
    assert again.to_dict() == {"rows": 3, "inserted": 0, "updated": 0, "unchanged": 3}


def test_import_reads_json_and_json_lines_and_refuses_other_files(engine: Engine, tmp_path: Path) -> None:
    as_json = tmp_path / "terms.json"
    as_json.write_text(json.dumps({"terms": [{"kind": "category", "en": "Spill Kits", "zh": "泄漏应急包"}]}),
                       encoding="utf-8")
    lines = tmp_path / "terms.jsonl"
    lines.write_text('{"kind": "unit", "key": "crate", "zh": "板条箱"}\n\n{"kind": "unit", "key": "tube", "zh": 7}\n',
                     encoding="utf-8")
    with session_scope(engine) as s:
        rows, first = read_terms_file(as_json)
        assert import_terms(session=s, rows=rows, first_row=first).inserted == 1
        assert translate(session=s, kind="category", text="spill kits") == "泄漏应急包"
        with pytest.raises(ValidationFailed) as bad:
            import_terms(session=s, rows=read_terms_file(lines)[0])
        assert [(d["row"], d["field"]) for d in bad.value.details] == [(2, "zh")]
    header = tmp_path / "no_zh.csv"
    header.write_text("kind,key,chinese\nvalue,red,红\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as missing:
        read_terms_file(header)
    assert missing.value.details == [{"row": 1, "field": "zh", "reason": "missing column"}]
    (tmp_path / "terms.xlsx").write_bytes(b"PK")
    with pytest.raises(UnsupportedFormat):
        read_terms_file(tmp_path / "terms.xlsx")
    with pytest.raises(NotFoundError):
        read_terms_file(tmp_path / "absent.csv")


def test_lookup_is_cached_and_sees_writes_from_elsewhere(engine: Engine) -> None:
    with Session(engine) as s:
        first = lookup_for(session=s)
        assert lookup_for(session=s) is first  # nothing changed: the same snapshot
        assert first.zh("industry", "logistics") == "物流"
    with engine.begin() as conn:  # another process writing: no in-process invalidation happens
        conn.execute(insert(GlossaryTerm).values(kind="industry", key="logistics", en="logistics", zh="物流仓储"))
    with Session(engine) as s:
        fresh = lookup_for(session=s)
        assert fresh is not first and fresh.zh("industry", "logistics") == "物流仓储"
        assert default_lookup().zh("industry", "logistics") == "物流"


def test_content_helpers_read_the_active_workspace_glossary(engine: Engine) -> None:
    with session_scope(engine) as s:
        upsert_term(session=s, kind="attribute", key="pack_size", zh="每盒数量", en="box quantity")
        upsert_term(session=s, kind="unit", key="each", zh="只")
        upsert_term(session=s, kind="category", key="Safety Gear", zh="劳保用品")
        upsert_term(session=s, kind="term", key="standard", zh="普通客户")
    with Session(engine) as s:
        terms = lookup_for(session=s)
    assert contextvars.Context().run(active_glossary) is default_lookup()  # nothing active: the defaults
    with glossary_scope(terms):
        assert attr_label("pack_size", "zh") == "每盒数量" and attr_label("pack_size", "en") == "box quantity"
        assert attr_label("ip_rating", "en") == "IP rating" and attr_label("flux_capacitor", "zh") == "flux capacitor"
        assert unit_zh("each") == "只" and unit_zh("furlong") == "furlong"
        assert category_zh("Safety Gear") == "劳保用品"
        assert term_zh("standard") == "普通客户" and value_zh("standard") == "标准型"  # a tier is not a value
        assert term_zh("manufacturing") == value_zh("manufacturing") == "制造"
    with glossary_scope(default_lookup()):
        with glossary_scope(terms):
            assert unit_zh("each") == "只"
        assert unit_zh("each") == "个"  # the inner scope restored the outer one
        assert unit_zh("each", terms) == "只"  # explicit terms win over the active ones


def test_generation_facts_use_the_workspace_terms(engine: Engine) -> None:
    seed_small(engine)
    with Session(engine) as s:
        before = load_facts(session=s, kind="ad", product_id="ADH-2001")
        assert before.get("product.attr.color").text_zh == "灰色"
        assert before.get("product.unit").text_zh == "个"
        upsert_term(session=s, kind="value", key="grey", zh="炭灰色")
        upsert_term(session=s, kind="category", key="Adhesives & Sealants", zh="胶粘剂与密封剂")
        after = load_facts(session=s, kind="ad", product_id="ADH-2001")
        assert after.get("product.attr.color").text_zh == "炭灰色"
        assert after.get("product.category").text_zh == "胶粘剂与密封剂"
        assert "炭灰色" in after.lexicon["color"]  # the checker recognises the workspace's rendering too
        account = load_facts(session=s, kind="sales_email", account_id="ACC-T1")
        assert account.get("account.industry").text_zh == "酒店餐饮"
        assert account.get("account.tier").text_zh == "标准客户"
        s.rollback()
