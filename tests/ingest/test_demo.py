"""The demo generator: deterministic, imported without a single reject, a no-op to rebuild, and carrying the
patterns later features rely on (seasonality, churn, sentiment in both languages, a consistent bilingual KB)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, func, select

from bizpilot.config import reset_settings
from bizpilot.db import upgrade
from bizpilot.domain import Account, Interaction, Opportunity, Order, OrderLine
from bizpilot.domain.user import User
from bizpilot.errors import ImportRejected
from bizpilot.ingest import demo
from bizpilot.ingest.demo import ENTITY_ORDER, build_demo, generate_demo
from bizpilot.ingest.demo_kb import POLICY
from bizpilot.ingest.demo_text import CUSTOMER, NEUTRAL_REVIEW, STAFF, template_tags
from bizpilot.ingest.specs import SPECS, OrderRow

MOODS = ("positive", "negative", "neutral")


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate_demo(seed=42)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, dict]]]:
    """One demo build on a module-wide SQLite workspace (the shared ``workspace`` fixture is per test)."""
    home: Path = tmp_path_factory.mktemp("demo-ws")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIZPILOT_HOME", str(home))
        mp.delenv("BIZPILOT_DATABASE_URL", raising=False)
        reset_settings()
        engine = create_engine(f"sqlite:///{home / 'demo.sqlite'}")
        upgrade(engine)
        yield engine, build_demo(seed=42, engine=engine)
        engine.dispose()
    reset_settings()


def _fragments(pool: tuple[str, ...]) -> list[str]:
    """The longest literal piece of each template: enough to recognise which template a text came from."""
    return [max(re.split(r"\{\w+\}", template_tags(t)[1]), key=len).strip() for t in pool]


MARKERS = {(lang, mood): _fragments(CUSTOMER[(lang, mood)]) + _fragments(STAFF[(lang, mood)])
           + (_fragments(NEUTRAL_REVIEW[lang]) if mood == "neutral" else [])
           for lang in ("en", "zh") for mood in MOODS}


def _mood(text: str, lang: str) -> str | None:
    """The sentiment of the templates a text was built from; None when no template, or several moods, match."""
    hits = [mood for mood in MOODS if any(m and m in text for m in MARKERS[(lang, mood)])]
    return hits[0] if len(hits) == 1 else None


def _revenue(orders: pd.DataFrame) -> pd.Series:
    return orders["quantity"] * orders["unit_price"] * (1 - orders["discount"])


def test_same_seed_gives_identical_frames_and_another_seed_does_not(frames: dict[str, pd.DataFrame]) -> None:
    again = generate_demo(seed=42)
    assert list(again) == list(ENTITY_ORDER)
    for entity in ENTITY_ORDER:
        assert again[entity].to_csv(index=False) == frames[entity].to_csv(index=False), entity
    other = generate_demo(seed=7)
    assert other["accounts"]["name"].tolist() != frames["accounts"]["name"].tolist()
    assert other["orders"].to_csv(index=False) != frames["orders"].to_csv(index=False)


def test_sizes_are_in_the_expected_ranges(frames: dict[str, pd.DataFrame]) -> None:
    assert 250 <= len(frames["accounts"]) <= 350
    assert 450 <= len(frames["products"]) <= 550
    per_account = frames["contacts"].groupby("account_external_id").size()
    assert len(per_account) == len(frames["accounts"]) and per_account.between(1, 3).all()
    assert 15_000 <= len(frames["orders"]) <= 30_000
    assert 2_000 <= len(frames["interactions"]) <= 4_000
    assert 400 <= len(frames["opportunities"]) <= 600
    assert 45 <= len(frames["knowledge"]) <= 60


def test_columns_are_the_import_format(frames: dict[str, pd.DataFrame]) -> None:
    for entity, frame in frames.items():
        schema = OrderRow if entity == "orders" else SPECS[entity].schema
        assert set(frame.columns) <= set(schema.model_fields), entity
        key = "sku" if entity == "products" else "external_id"
        assert frame[key].notna().all(), entity
    assert frames["orders"].duplicated(["external_id", "line_no"]).sum() == 0


def test_references_point_at_generated_rows(frames: dict[str, pd.DataFrame]) -> None:
    accounts = set(frames["accounts"]["external_id"])
    skus = set(frames["products"]["sku"])
    orders = frames["orders"]
    assert set(frames["contacts"]["account_external_id"]) <= accounts
    assert set(orders["account_external_id"]) <= accounts and set(orders["sku"]) <= skus
    ix = frames["interactions"]
    assert set(ix["sku"].dropna()) <= skus
    assert set(ix["order_external_id"].dropna()) <= set(orders["external_id"])
    assert set(ix["contact_external_id"].dropna()) <= set(frames["contacts"]["external_id"])
    emails = frames["contacts"]["email"]
    assert emails.is_unique and emails.str.endswith(".example").all()


def test_cancellations_and_returns_reverse_their_original_order(frames: dict[str, pd.DataFrame]) -> None:
    orders = frames["orders"]
    lines = orders.groupby("external_id")
    reversals = orders[orders["kind"].isin(["cancellation", "return"])]
    assert reversals["external_id"].nunique() >= 50
    assert (reversals["quantity"] < 0).all() and (orders.loc[orders["kind"] == "sale", "quantity"] > 0).all()
    for doc_id, doc in reversals.groupby("external_id"):
        original = lines.get_group(doc_id[:-2])
        assert set(doc["sku"]) <= set(original["sku"])
        assert doc["ordered_at"].min() > original["ordered_at"].min()
        if doc["kind"].iloc[0] == "cancellation":
            assert (original["status"] == "cancelled").all()
            assert _revenue(doc).sum() == pytest.approx(-_revenue(original).sum())


def test_build_imports_everything_without_rejects(built: tuple[Engine, dict[str, dict]],
                                                  frames: dict[str, pd.DataFrame]) -> None:
    engine, tables = built
    assert tables["orders"]["order_lines"]["inserted"] == len(frames["orders"])
    with engine.connect() as conn:
        for entity, spec in SPECS.items():  # accounts, contacts, products, interactions, opportunities, knowledge
            assert conn.scalar(select(func.count()).select_from(spec.model)) == len(frames[entity]), entity
        assert conn.scalar(select(func.count()).select_from(Order)) == frames["orders"]["external_id"].nunique()
        assert conn.scalar(select(func.count()).select_from(OrderLine)) == len(frames["orders"])
        unlinked = select(func.count()).select_from(Interaction).where(Interaction.account_id.is_(None))
        assert conn.scalar(unlinked) == 0


def test_the_demo_team_owns_the_accounts_between_two_reps(built: tuple[Engine, dict[str, dict]]) -> None:
    engine, out = built
    assert out["team"]["users"] == {"inserted": 4, "updated": 0, "unchanged": 0}
    with engine.connect() as conn:
        users = {row.name: (row.id, row.role) for row in conn.execute(select(User.id, User.name, User.role))}
        owned = conn.execute(select(Account.language, Account.owner_id, func.count()).group_by(
            Account.language, Account.owner_id)).all()
        deal_owners = dict(conn.execute(select(Opportunity.owner_id, func.count()).where(
            Opportunity.owner.in_(["Emily Carter", "王芳"])).group_by(Opportunity.owner_id)).all())
    assert sorted(role for _, role in users.values()) == ["admin", "sales", "sales", "service"]
    emily, wang = users["Emily Carter"][0], users["王芳"][0]
    assert {(language, owner) for language, owner, _ in owned} == {("en", emily), ("zh", wang)}
    assert set(deal_owners) == {emily, wang}  # the reps' own deals are theirs; the others follow their account


def test_rebuilding_the_same_seed_changes_nothing(built: tuple[Engine, dict[str, dict]]) -> None:
    engine, _ = built
    again = build_demo(seed=42, engine=engine)
    for entity, tables in again.items():
        for table, counts in tables.items():
            assert counts["inserted"] == 0 and counts["updated"] == 0, (entity, table, counts)
            assert counts["unchanged"] > 0


@pytest.mark.storage
def test_build_refuses_a_demo_that_rejects_its_own_rows(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = pd.DataFrame([{"external_id": "ACC-1", "name": "Fine Co"}, {"external_id": "ACC-2", "name": ""}])
    monkeypatch.setattr(demo, "generate_demo", lambda **_: {"accounts": bad})
    with pytest.raises(ImportRejected):
        build_demo(engine=engine)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Account)) == 0


def test_q4_outsells_q2_and_chinese_new_year_dips(frames: dict[str, pd.DataFrame]) -> None:
    orders = frames["orders"]
    usd = orders[orders["currency"] == "USD"].assign(revenue=lambda d: _revenue(d))
    by_quarter = usd.groupby([usd["ordered_at"].dt.year, usd["ordered_at"].dt.quarter])["revenue"].sum()
    assert by_quarter.loc[(2024, 4)] > 1.15 * by_quarter.loc[(2024, 2)]
    zh = set(frames["accounts"].query("language == 'zh'")["external_id"])
    zh_sales = usd[usd["account_external_id"].isin(zh) & (usd["kind"] == "sale")]
    monthly = zh_sales.groupby(zh_sales["ordered_at"].dt.to_period("M"))["revenue"].sum()
    assert monthly[pd.Period("2024-02", "M")] < 0.75 * monthly["2024-03":"2024-06"].mean()


def test_churning_accounts_stop_buying_and_complain_first(frames: dict[str, pd.DataFrame]) -> None:
    sales = frames["orders"].query("kind == 'sale'")
    end = sales["ordered_at"].max()
    per_account = sales.groupby("account_external_id")["ordered_at"].agg(["min", "max", "count"])
    churned = per_account[(end - per_account["max"]).dt.days > 120]
    assert 0.08 <= len(churned) / len(frames["accounts"]) <= 0.25
    assert (churned["count"] >= 3).mean() > 0.9  # they were real customers before they left
    ix = frames["interactions"].copy()
    ix["mood"] = [_mood(t, lang) for t, lang in zip(ix["text"], ix["language"], strict=True)]
    last = ix["account_external_id"].map(churned["max"])
    before_leaving = ix[last.notna() & (ix["occurred_at"] > last - pd.Timedelta(days=150))]
    others = ix[~ix["account_external_id"].isin(churned.index)]
    assert (before_leaving["mood"] == "negative").mean() > 2 * (others["mood"] == "negative").mean()


def test_sentiment_exists_in_both_languages_with_consistent_ratings(frames: dict[str, pd.DataFrame]) -> None:
    ix = frames["interactions"].copy()
    ix["mood"] = [_mood(t, lang) for t, lang in zip(ix["text"], ix["language"], strict=True)]
    assert ix["mood"].notna().all()
    counts = ix.groupby(["language", "mood"]).size()
    for lang in ("en", "zh"):
        for mood in MOODS:
            assert counts.loc[(lang, mood)] >= 60, (lang, mood)
    reviews = ix[ix["channel"] == "review"]
    assert reviews["rating"].notna().all() and ix.loc[ix["channel"] != "review", "rating"].isna().all()
    assert (reviews.loc[reviews["mood"] == "positive", "rating"] >= 4).all()
    assert (reviews.loc[reviews["mood"] == "negative", "rating"] <= 2).all()
    assert (reviews.loc[reviews["mood"] == "neutral", "rating"] == 3).all()
    assert ix["text"].nunique() > 0.8 * len(ix)
    assert set(ix["channel"]) == {"email", "chat", "ticket", "review", "call", "note"}


def test_product_specific_complaints_only_name_products_they_fit(frames: dict[str, pd.DataFrame]) -> None:
    tagged = [(tags, fragment) for pool in CUSTOMER.values() for template in pool
              for tags, text in [template_tags(template)] if tags
              for fragment in [max(re.split(r"\{\w+\}", text), key=len).strip()]]
    ix = frames["interactions"].dropna(subset=["sku"])
    checked = 0
    for text, sku in zip(ix["text"], ix["sku"], strict=True):
        for tags, fragment in tagged:
            if fragment in text:
                assert sku.split("-")[0] in tags, (sku, text)
                checked += 1
    assert checked > 50
    assert not ix["text"].str.contains(r"\[").any()


def test_opportunity_outcomes_carry_signal(frames: dict[str, pd.DataFrame]) -> None:
    opps = frames["opportunities"].merge(frames["accounts"][["external_id", "tier"]],
                                         left_on="account_external_id", right_on="external_id")
    assert set(opps["stage"]) == {"prospecting", "qualification", "proposal", "negotiation", "closed"}
    assert ((opps["stage"] == "closed") == opps["outcome"].isin(["won", "lost"])).all()
    assert (opps["closed_at"].notna() == (opps["stage"] == "closed")).all()
    data_end = frames["orders"]["ordered_at"].max().normalize() + pd.Timedelta(days=1)
    closed_at = opps["closed_at"].dropna()
    assert (closed_at > opps.loc[closed_at.index, "created_at"]).all() and (closed_at < data_end).all()
    assert (frames["interactions"]["occurred_at"] < data_end).all()
    closed = opps[opps["stage"] == "closed"].assign(won=lambda d: d["outcome"] == "won")
    by_tier = closed.groupby("tier")["won"].mean()
    by_source = closed.groupby("source")["won"].mean()
    assert by_tier[["strategic", "key"]].min() > by_tier["small"] + 0.1
    assert by_source[["referral", "existing customer"]].min() > by_source["cold call"] + 0.15


def test_knowledge_base_is_bilingual_and_consistent(frames: dict[str, pd.DataFrame]) -> None:
    kb = frames["knowledge"]
    assert kb["external_id"].is_unique
    assert (kb["language"].value_counts() >= 20).all() and set(kb["language"]) == {"en", "zh"}
    assert kb["body"].str.contains("## ").all() and not kb["body"].str.contains(r"\{\w+\}").any()
    assert kb["tags"].map(lambda t: isinstance(t, list) and len(t) > 0).all()
    assert {"shipping", "returns", "payments", "invoices", "ordering", "account", "warranty", "products"} <= set(
        kb["category"])
    text = "\n".join(kb["body"])
    assert f"Net {POLICY['net_days']}" in text and POLICY["free_ship_usd"] in text
    assert re.findall(r"within (\d+) days of delivery", text) == [str(POLICY["return_days"])]
    product_categories = set(frames["products"]["category"].str.lower())
    covered = {t for tags in kb["tags"] for t in tags}
    assert product_categories <= covered


def test_the_demo_pipeline_has_its_stages_and_every_open_deal_an_owner_of_the_team(
        built: tuple[Engine, dict[str, dict]], monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm import Session

    from bizpilot.services.pipeline import board, totals
    from bizpilot.services.pipeline_forecast import forecast
    from bizpilot.services.pipeline_stages import DEFAULT_STAGES, get_stages

    engine, _ = built
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")  # the board reads the win model: never train it here
    reset_settings()
    try:
        with Session(engine) as session:
            assert get_stages(session=session) == list(DEFAULT_STAGES)
            open_keys = [s.key for s in DEFAULT_STAGES if s.kind == "open"]
            columns = board(session=session)["columns"]
            assert [c["key"] for c in columns] == open_keys and all(c["cards"] for c in columns)
            counts = {r["key"]: r["count"] for r in totals(session=session)["stages"]}
            closed = dict(session.execute(select(Opportunity.outcome, func.count()).where(
                Opportunity.outcome != "open").group_by(Opportunity.outcome)).all())
            assert (counts["won"], counts["lost"]) == (closed["won"], closed["lost"])
            by_owner = forecast(session=session, by="owner")  # other reps' deals count for the account's owner
            assert {r["label"] for r in by_owner["rows"]} == {"Emily Carter", "王芳"}
            assert by_owner["total"]["count"] == sum(counts[k] for k in open_keys) > 0
    finally:
        monkeypatch.undo()
        reset_settings()


def test_the_demo_gets_tasks_from_its_data_for_its_reps(built: tuple[Engine, dict[str, dict]]) -> None:
    """What `bizpilot demo` does after building (train, then refresh the tasks), with the two quick models: the
    reorders due and the customers drifting away become tasks of the reps who own them, and a second refresh
    opens nothing new."""
    from sqlalchemy.orm import Session

    from bizpilot.domain import Task
    from bizpilot.services.intelligence.specs import CHURN
    from bizpilot.services.models.jobs import run_training
    from bizpilot.services.recommend.specs import REORDER
    from bizpilot.services.tasks import refresh_tasks

    engine, _ = built
    for spec in (CHURN, REORDER):
        assert run_training(spec, engine=engine, trigger="demo").status == "finished"
    with Session(engine) as session:
        first = refresh_tasks(session=session)
        session.commit()
        assert first["created"]["reorder"] > 0 and first["created"]["churn"] > 0
        assert first["created"]["stale_deal"] > 0 and first["created"]["sequence"] > 0
        owners = dict(session.execute(select(User.name, func.count()).join(Task, Task.owner_id == User.id)
                                      .group_by(User.name)).all())
        assert set(owners) == {"Emily Carter", "王芳"}
        assert session.scalar(select(func.count()).select_from(Task).where(Task.owner_id.is_(None))) == 0
        second = refresh_tasks(session=session)
        assert sum(second["created"].values()) == 0 and second["kept"] == first["created"]
        session.rollback()
