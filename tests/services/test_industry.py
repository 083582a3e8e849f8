"""Industry classification in the workspace: the taxonomy (default, edit, import, resolution), the ``industry``
model on a seeded workspace (trained and zero-shot), reading a prediction, accepting and correcting it (audited),
and the review queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.industry import AccountIndustry, TaxonomyIn
from bizpilot.errors import Forbidden, ModelNotReady, NotFoundError, ValidationFailed
from bizpilot.services.auth import SYSTEM, Principal
from bizpilot.services.industry import service, taxonomy
from bizpilot.services.industry.specs import INDUSTRY
from bizpilot.services.models.jobs import run_training
from bizpilot.services.models.outputs import read_outputs
from bizpilot.services.models.registry import train_all_specs
from tests.retrieval.kb_sample import embed_cache  # noqa: F401  (fixture: one embedding cache per test session)

LABELLED = [
    ("Harbor Savings Bank", "Banks", "Community bank taking deposits and making mortgage and small business loans."),
    ("First Valley Bancorp", "Banks", "Bank holding company; its bank offers checking, savings and commercial loans."),
    ("Coastal Credit Union Bank", "Banks", "Retail bank with branches offering deposits, cards and home loans."),
    ("Ningbo Commercial Bank", "Banks", "城市商业银行，吸收公众存款，发放企业贷款和个人住房贷款。"),
    ("Summit Trust Bank", "Banks", "Regional bank providing treasury services, deposits and business lending."),
    ("Golden Wok Group", "Restaurants", "Operates a chain of Chinese restaurants and a catering kitchen."),
    ("Pizza Lane", "Restaurants", "Franchises pizza restaurants offering dine-in, takeaway and delivery."),
    ("Morning Brew Cafes", "Restaurants", "Runs coffee shops and bakery cafes serving breakfast and lunch."),
    ("Sichuan House", "Restaurants", "经营连锁川菜餐厅和外卖业务。"),
    ("Grill Masters", "Restaurants", "Casual dining steakhouse restaurants across the state."),
    ("Ledgerly", "Software", "Cloud accounting software and payroll applications for small businesses."),
    ("TaskFlow Inc", "Software", "Subscription project management software sold as SaaS to teams."),
    ("Datawise", "Software", "Enterprise analytics software and developer tools for data teams."),
    ("云帆软件", "Software", "为企业提供云端客户关系管理软件和协同办公应用。"),
    ("CodeForge", "Software", "Develops application software for design and engineering firms."),
]
UNLABELLED = [
    ("Prairie State Bank", "A state-chartered bank offering deposit accounts and agricultural loans."),
    ("Noodle Bar Co", "Operates fast casual noodle restaurants in shopping malls."),
    ("杭州数联科技", "开发企业资源计划软件和财务云应用。"),
    ("Burger Town", "汉堡快餐连锁餐厅，提供堂食和外卖。"),
]
SMALL_TAXONOMY = {"sectors": [
    {"en": "Financial Services", "zh": "金融服务", "industries": [
        {"en": "Banks", "zh": "银行", "aliases": ["banking"],
         "description_en": "Takes deposits and makes commercial, mortgage and consumer loans."},
        {"en": "Insurance", "zh": "保险", "description_en": "Sells property, casualty and life insurance policies."}]},
    {"en": "Consumer Cyclical", "zh": "可选消费", "industries": [
        {"en": "Restaurants", "zh": "餐饮", "description_en": "Operates restaurants, fast food outlets and cafes."}]},
    {"en": "Technology", "zh": "信息技术", "industries": [
        {"en": "Software", "zh": "软件", "description_en": "Develops application software and cloud services."}]},
]}


def _seed(engine: Engine, labelled: list[tuple[str, str, str]], unlabelled: list[tuple[str, str]]) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = [Account(external_id=f"L{i}", name=n, industry=y, description=d) for i, (n, y, d) in
                enumerate(labelled)]
        rows += [Account(external_id=f"U{i}", name=n, description=d) for i, (n, d) in enumerate(unlabelled)]
        session.add_all(rows)
        session.flush()
        return {r.name: r.id for r in rows}


@pytest.fixture
def seeded(engine: Engine, embed_cache: Path) -> dict[str, int]:  # noqa: F811
    return _seed(engine, LABELLED, UNLABELLED)


def _train(engine: Engine) -> None:
    outcome = run_training(INDUSTRY, engine=engine, trigger="test")
    assert outcome.status == "finished", outcome.message


def test_the_default_taxonomy_and_a_workspace_one(engine: Engine) -> None:
    with session_scope(engine) as session:
        default = taxonomy.public(session=session)
        assert (default.source, default.n_sectors, default.n_industries) == ("default", 11, 145)
        own = taxonomy.set_taxonomy(session=session, taxonomy=TaxonomyIn.model_validate(SMALL_TAXONOMY))
        assert (own.source, own.n_sectors, own.n_industries) == ("workspace", 3, 4)
        assert own.sectors[0].industries[0].key == "banks" and own.updated_at is not None
    with session_scope(engine) as session:
        index = taxonomy.label_index(session=session)
        assert [x.en for x in index.leaves] == ["Banks", "Insurance", "Restaurants", "Software"]
        assert index.leaf("BANKING").key == "banks" and index.sector_of("banks").en == "Financial Services"
        assert taxonomy.reset_taxonomy(session=session).source == "default"


def test_names_aliases_and_spellings_resolve_to_one_label() -> None:
    from bizpilot.domain.industry import default_taxonomy

    index = taxonomy.LabelIndex(default_taxonomy())
    for name in ("Banks—Regional", "banks - regional", "BANKS-REGIONAL", "community banks", "银行—区域性"):
        assert index.leaf(name).key == "banks-regional", name
    assert index.sector_of("Banks—Regional").en == "Financial Services"
    assert index.leaf("Financial Services") is None and index.node("Financials").key == "financial-services"
    assert index.leaf("hospitality").en == "Lodging" and index.node("no such industry") is None


def test_taxonomy_validation_names_the_problem() -> None:
    with pytest.raises(ValidationFailed, match="names both"):
        taxonomy.validate_taxonomy({"sectors": [{"en": "A", "aliases": ["x"]}, {"en": "B", "aliases": ["X"]}]})
    with pytest.raises(ValidationFailed, match="at least two labels"):
        taxonomy.validate_taxonomy({"sectors": [{"en": "Only"}]})
    with pytest.raises(ValidationFailed) as info:
        taxonomy.validate_taxonomy({"sectors": [{"zh": "没有英文名"}, {"en": "B"}]})
    assert info.value.details[0]["field"] == "sectors.0.en"


def test_import_a_taxonomy_from_csv_and_json(tmp_path: Path) -> None:
    segments = tmp_path / "segments.csv"
    segments.write_text("\ufeffsector,industry,zh,description_en,aliases\n"
                        "Hotels & Catering,,酒店餐饮,Hotels restaurants and canteens,hospitality|HoReCa\n"
                        "Workshops,Metal workshops,金属加工,Machine shops and fabricators,\n"
                        "Workshops,Woodworking,木工,Joinery and furniture makers,\n", encoding="utf-8")
    parsed = taxonomy.read_taxonomy_file(segments)
    assert [s.en for s in parsed.sectors] == ["Hotels & Catering", "Workshops"]
    assert parsed.sectors[0].aliases == ["hospitality", "HoReCa"] and parsed.sectors[0].industries == []
    assert [i.key for i in parsed.sectors[1].industries] == ["metal-workshops", "woodworking"]
    as_json = tmp_path / "t.json"
    as_json.write_text(json.dumps(parsed.model_dump(), ensure_ascii=False), encoding="utf-8")
    assert taxonomy.read_taxonomy_file(as_json) == parsed
    bad = tmp_path / "bad.csv"
    bad.write_text("sector,industry\nRetail,Shops\n,Orphan\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="line 3"):
        taxonomy.read_taxonomy_file(bad)
    with pytest.raises(NotFoundError):
        taxonomy.read_taxonomy_file(tmp_path / "missing.json")


def test_the_industry_model_is_part_of_train_all() -> None:
    assert INDUSTRY in train_all_specs() and INDUSTRY.on_demand


@pytest.mark.slow
def test_trains_on_labelled_accounts_and_predicts_the_others(engine: Engine, seeded: dict[str, int]) -> None:
    _train(engine)
    with session_scope(engine) as session:
        outs = {o.subject_id: o.payload for o in read_outputs(session=session, model="industry", subject="account")}
        run_metrics = service.access.require_ready(session=session, spec=INDUSTRY).metrics
    assert sorted(outs) == sorted(seeded[n] for n, _ in UNLABELLED)
    assert [outs[seeded[n]]["label"] for n, _ in UNLABELLED] == ["Banks", "Restaurants", "Software", "Restaurants"]
    first = outs[seeded["Prairie State Bank"]]
    assert first["source"] == "model" and 0.0 < first["confidence"] <= 1.0 and len(first["alternatives"]) == 2
    assert first["confidence"] >= first["alternatives"][0]["confidence"]
    assert first["sector"] is None  # "Banks" is no label of the default taxonomy (it has regional, diversified)
    assert outs[seeded["Noodle Bar Co"]]["sector"] == {"key": "consumer-cyclical", "en": "Consumer Cyclical",
                                                     "zh": "可选消费"}
    assert run_metrics["mode"] == "trained" and run_metrics["n_labelled"] == 15 and run_metrics["n_labels"] == 3
    assert run_metrics["cv_accuracy"] >= 0.8 and run_metrics["n_predicted"] == 4


@pytest.mark.slow
def test_zero_shot_over_the_taxonomy_when_no_account_has_an_industry(engine: Engine,
                                                                      embed_cache: Path) -> None:  # noqa: F811
    ids = _seed(engine, [], UNLABELLED)
    with session_scope(engine) as session:
        taxonomy.set_taxonomy(session=session, taxonomy=TaxonomyIn.model_validate(SMALL_TAXONOMY))
    _train(engine)
    with session_scope(engine) as session:
        view = service.account_industry(session=session, account_id=ids["杭州数联科技"])
        labels = {o.subject_id: o.payload["label"] for o in
                  read_outputs(session=session, model="industry", subject="account")}
    assert [labels[ids[n]] for n, _ in UNLABELLED] == ["Banks", "Restaurants", "Software", "Restaurants"]
    assert view["source"] == "zero-shot" and view["label"] == "Software" and view["industry"] is None
    assert view["sector"]["en"] == "Technology" and not view["reviewed"]


@pytest.mark.slow
def test_accept_and_correct_are_audited_and_become_training_data(engine: Engine, seeded: dict[str, int]) -> None:
    _train(engine)
    bank, noodles = seeded["Prairie State Bank"], seeded["Noodle Bar Co"]
    with session_scope(engine) as session:
        accepted = service.review_industry(session=session, account_id=bank, principal=SYSTEM, channel="api")
        corrected = service.review_industry(session=session, account_id=noodles, label="Software",
                                            principal=SYSTEM, channel="page")
    assert (accepted["industry"], accepted["source"], accepted["reviewed"]) == ("Banks", "model", True)
    assert (corrected["industry"], corrected["source"], corrected["reviewed"]) == ("Software", "manual", True)
    with session_scope(engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "classify")
                                  .order_by(AuditEntry.id)).all()
        assert [(e.record_id, e.changes, e.channel) for e in entries] == [
            (bank, {"industry": [None, "Banks"]}, "api"), (noodles, {"industry": [None, "Software"]}, "page")]
        row = session.get(AccountIndustry, noodles)
        assert (row.label, row.predicted_label, row.source, row.reviewed_by) == (
            "Software", "Restaurants", "manual", "system")
        assert session.get(Account, bank).version == 2
    with session_scope(engine) as session:  # accepting again changes nothing but is still recorded
        again = service.review_industry(session=session, account_id=bank, principal=SYSTEM, channel="cli")
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert again["source"] == "model" and last.changes == {"industry_source": ["model", "model"]}
    _train(engine)
    with session_scope(engine) as session:
        metrics = service.access.require_ready(session=session, spec=INDUSTRY).metrics
        left = {o.subject_id for o in read_outputs(session=session, model="industry", subject="account")}
    assert metrics["n_labelled"] == 17 and bank not in left and noodles not in left


@pytest.mark.slow
def test_review_queue_and_reads(engine: Engine, seeded: dict[str, int]) -> None:
    unlabelled = seeded["Noodle Bar Co"]
    with session_scope(engine) as session:
        with pytest.raises(ModelNotReady):
            service.account_industry(session=session, account_id=unlabelled)
        manual = service.account_industry(session=session, account_id=seeded["Pizza Lane"])
        assert (manual["label"], manual["source"], manual["prediction"]) == ("Restaurants", "manual", None)
    from bizpilot.services.models import jobs

    jobs.wait(timeout=900)  # the read above queued the missing model, as every model-backed read does
    _train(engine)
    with session_scope(engine) as session:
        rows = read_outputs(session=session, model="industry", subject="account")
        priority = {seeded["Noodle Bar Co"]: 0.9, seeded["Burger Town"]: 0.5, seeded["Prairie State Bank"]: 0.7}
        for row in rows:  # queue chosen predictions, as a stricter review threshold would
            row.score = priority.get(row.subject_id, 0.0)
        session.get(Account, seeded["Prairie State Bank"]).archived_at = utcnow()  # archived: out of the queue
    with session_scope(engine) as session:
        queue = service.review_queue(session=session, limit=10)
        assert [i["account_id"] for i in queue["items"]] == [seeded["Noodle Bar Co"], seeded["Burger Town"]]
        assert queue["total"] == 2 and queue["items"][0]["priority"] == 0.9
        service.review_industry(session=session, account_id=seeded["Noodle Bar Co"], principal=SYSTEM,
                                channel="api")
    with session_scope(engine) as session:
        assert [i["account_id"] for i in service.review_queue(session=session)["items"]] == [seeded["Burger Town"]]
        panel = service.industry_panel(session=session, account_id=seeded["Burger Town"], lang="zh")
        assert panel["prediction"]["label"] == "Restaurants" and panel["choices"][0]["group"] == "workspace"
        assert {"value": "Banks—Regional", "name": "银行—区域性", "group": "金融服务"} in panel["choices"]
    html = _render_partial(panel, "zh")
    assert 'id="industry-label">Restaurants<' in html and "采纳“Restaurants”" in html and "可选消费" in html
    assert f'action="/accounts/{seeded["Burger Town"]}/industry"' in html and 'name="version" value="1"' in html


def _render_partial(panel: dict, lang: str) -> str:
    """``accounts/_industry.html`` as the account page includes it (its context: ``t``, ``request``, ``auth``)."""
    from types import SimpleNamespace

    from bizpilot.web.i18n import t
    from bizpilot.web.pages import templates

    template = templates.env.get_template("accounts/_industry.html")
    return template.render(industry=panel, t=lambda key, **values: t(key, lang, **values),
                           request=SimpleNamespace(scope={}), auth=SimpleNamespace(csrf_token="tok"))


def test_who_may_review(engine: Engine, embed_cache: Path) -> None:  # noqa: F811
    ids = _seed(engine, [], [("Corner Cafe", "A cafe")])
    viewer = Principal(kind="key", name="reader", role="read")
    with session_scope(engine) as session:
        with pytest.raises(Forbidden):
            service.review_industry(session=session, account_id=ids["Corner Cafe"], label="Restaurants",
                                    principal=viewer, channel="api")
        with pytest.raises(ValidationFailed, match="no prediction to accept"):
            service.review_industry(session=session, account_id=ids["Corner Cafe"], principal=SYSTEM, channel="api")
        with pytest.raises(NotFoundError):
            service.account_industry(session=session, account_id=999)


def test_spellings_follow_the_workspace(engine: Engine) -> None:
    ids = _seed(engine, [("A", "Banks—Regional", "x"), ("B", "Banks—Regional", "y")], [])
    with Session(engine) as session:
        assert service.canonical_label(session=session, label="community banks") == "Banks—Regional"
        assert service.canonical_label(session=session, label="banks - regional") == "Banks—Regional"
        assert service.canonical_label(session=session, label="Florists") == "Florists"
    assert len(ids) == 2


def _upload_accounts(engine: Engine, rows: list[tuple[str, str, str]]) -> None:
    """An accounts upload as the API and the Imports page run it (in this thread)."""
    from bizpilot.services.imports import start_upload_import

    lines = ["external_id,name,description"] + [f'{e},{n},"{d}"' for e, n, d in rows]
    start_upload_import(engine=engine, entity="accounts", filename="accounts.csv", wait=True,
                        content=("\n".join(lines) + "\n").encode("utf-8"))


@pytest.mark.slow
def test_an_upload_import_classifies_new_accounts_in_both_languages(engine: Engine, seeded: dict[str, int],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from bizpilot.config import reset_settings
    from bizpilot.services.models import jobs

    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "1")
    reset_settings()
    _train(engine)
    _upload_accounts(engine, [("N1", "Lakeside Bank", "Savings bank offering deposits and farm mortgages."),
                              ("N2", "川味小馆", "经营川菜餐厅，提供堂食和外卖。")])
    assert [(o.name, o.status) for o in jobs.wait(timeout=300)][-1] == ("industry", "finished")
    with session_scope(engine) as session:
        ids = dict(session.execute(select(Account.external_id, Account.id)
                                   .where(Account.external_id.in_(["N1", "N2"]))).all())
        views = [service.account_industry(session=session, account_id=ids[e]) for e in ("N1", "N2")]
        trigger = service.access.model_state(session=session, spec=INDUSTRY).finished.trigger  # type: ignore[union-attr]
        assert service.unclassified_accounts(session=session) == 0
    assert [(v["label"], v["source"], v["industry"]) for v in views] == [
        ("Banks", "model", None), ("Restaurants", "model", None)]
    assert trigger == "import"


def test_an_import_queues_nothing_before_the_model_ever_ran(engine: Engine, embed_cache: Path,  # noqa: F811
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from bizpilot.config import reset_settings
    from bizpilot.services.models import jobs

    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "1")
    reset_settings()
    _upload_accounts(engine, [("N1", "Lakeside Bank", "Savings bank offering deposits and farm mortgages.")])
    with session_scope(engine) as session:
        assert service.unclassified_accounts(session=session) == 1
        assert service.classify_after_import(session=session) is False  # the first read or `train all` trains it
        assert service.access.model_state(session=session, spec=INDUSTRY).latest is None
    assert not jobs.in_flight(engine, "industry")


@pytest.mark.slow
def test_reading_an_account_newer_than_the_model_says_so(engine: Engine, seeded: dict[str, int],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from bizpilot.config import reset_settings

    _train(engine)
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")  # nothing queued: the state says it needs training
    reset_settings()
    with session_scope(engine) as session:
        new = Account(external_id="N9", name="Harbor Noodles", description="Noodle restaurants.")
        session.add(new)
        session.flush()
        assert service.unclassified_accounts(session=session) == 1
        assert service.classify_after_import(session=session) is False  # training on demand is off
        with pytest.raises(ModelNotReady) as caught:
            service.account_industry(session=session, account_id=new.id)
        assert (caught.value.model, caught.value.state) == ("industry", "stale")
        panel = []
        view = service.industry_panel(session=session, account_id=new.id, pending=panel)
        assert view["label"] is None and [p["state"] for p in panel] == ["stale"]
        # accounts the model has seen read as before
        assert service.account_industry(session=session, account_id=seeded["Noodle Bar Co"])["label"] == \
            "Restaurants"
