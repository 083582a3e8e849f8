"""The demo writes its catalogue's words into the workspace glossary and names industries the product's way."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.db import session_scope
from bizpilot.domain.glossary import default_zh
from bizpilot.ingest.demo import seed_glossary
from bizpilot.ingest.demo_content import (
    CATEGORIES,
    INDUSTRIES,
    glossary_rows,
    industry_zh,
    make_accounts,
    make_products,
)
from bizpilot.services.content.glossary import attr_label, category_zh, term_zh, unit_zh, value_zh
from bizpilot.services.glossary import list_terms, lookup_for, upsert_term

pytestmark = pytest.mark.storage


def test_every_demo_industry_is_a_product_industry_with_one_name() -> None:
    for name in INDUSTRIES:
        assert industry_zh(name) == default_zh("industry", name) == term_zh(name)
    with pytest.raises(KeyError):
        industry_zh("underwater basket weaving")


def test_demo_accounts_describe_their_industry_with_the_product_name() -> None:
    rng = np.random.default_rng(3)
    begin = datetime(2024, 1, 1)
    accounts = make_accounts(rng, begin, 400, make_products(rng, begin, 400))
    chinese = [a for a in accounts if a.language == "zh"]
    assert len(chinese) > 50
    assert all(f"{industry_zh(a.industry)}企业" in a.description for a in chinese)


def test_seeding_writes_the_catalogue_terms_once_and_keeps_the_teams_own(engine: Engine) -> None:
    with session_scope(engine) as s:
        upsert_term(session=s, kind="category", key="Pumps", zh="水泵")
    counts = seed_glossary(engine)
    assert counts == {"inserted": len(glossary_rows()) - 1, "updated": 0, "unchanged": 1}
    assert seed_glossary(engine) == {"inserted": 0, "updated": 0, "unchanged": len(glossary_rows())}
    with Session(engine) as s:
        terms = lookup_for(session=s)
        notes = {e.note for e in list_terms(session=s, source="workspace") if e.key != "pumps"}
    assert notes == {"demo catalogue"}
    assert category_zh("Pumps", terms) == "水泵"  # the team's rendering survived the seeding
    assert category_zh("Adhesives & Sealants", terms) == "胶粘剂与密封剂"
    assert [category_zh(c.name, terms) for c in CATEGORIES[1:]] == [c.name_zh for c in CATEGORIES[1:]]
    assert attr_label("pressure_rating", "zh", terms) == "压力等级" and attr_label("ip_rating", "en", terms) == "IP rating"
    assert value_zh("400V 3-phase", terms) == "400V三相" and value_zh("pallet", terms) == "托盘用"
    assert unit_zh("case", terms) == "箱" and unit_zh("pallet", terms) == "托"  # a unit is not a value
