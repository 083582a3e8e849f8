"""The Python client against a real server: typed results, paging, imports, errors as exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bizpilot.client import Client
from bizpilot.db.engine import session_scope
from bizpilot.domain.account import AccountPublic
from bizpilot.domain.ops import ImportRunStatus
from bizpilot.errors import BizpilotError, ModelNotReady, NotFoundError, ValidationFailed
from bizpilot.ingest.pipeline import import_file
from bizpilot.services.auth import create_api_key
from bizpilot.services.models import jobs
from tests.ingest.helpers import ACCOUNTS_CSV, PRODUCTS_CSV, write
from tests.live_server import live_server


@pytest.fixture
def server(engine: Engine, tmp_path: Path) -> Iterator[str]:
    import_file("accounts", write(tmp_path, "a.csv", ACCOUNTS_CSV), engine=engine)
    with live_server() as url:
        yield url


def _key(engine: Engine, role: str) -> str:
    with session_scope(engine) as session:
        return create_api_key(session=session, name=f"client-{role}", role=role)[0]


def test_typed_lists_details_and_paging(server: str, engine: Engine) -> None:
    with Client(server, _key(engine, "read")) as bp:
        assert bp.health()["status"] == "ok"
        assert bp.stats()["accounts"] == 3
        page = bp.accounts.list(sort="name", limit=2)
        assert page.total == 3 and len(page.items) == 2
        assert all(isinstance(a, AccountPublic) for a in page.items)
        assert [a.name for a in page.items] == ["Acme Industrial GmbH", "Bright Hotels Ltd"]
        one = bp.accounts.get(page.items[0].id)
        assert one.external_id == "A1" and one.industry == "Manufacturing"
        names = [a.name for a in bp.accounts.iter_all(page_size=1, sort="name")]
        assert names == ["Acme Industrial GmbH", "Bright Hotels Ltd", "苏州恒达精密机械有限公司"]
        assert bp.accounts.list(country="China").items[0].name == "苏州恒达精密机械有限公司"


def test_errors_arrive_as_exceptions(server: str, engine: Engine) -> None:
    with Client(server, _key(engine, "read")) as bp:
        with pytest.raises(NotFoundError):
            bp.accounts.get(999_999)
        with pytest.raises(ValidationFailed) as exc:
            bp.accounts.list(colour="red")
        assert exc.value.details[0]["field"] == "colour"
        with pytest.raises(BizpilotError) as denied:  # a read key cannot start an import
            bp.imports.upload("products", _tmp_csv())
        assert denied.value.code == "forbidden" and denied.value.status == 403
    with Client(server, "bp_nope_nope") as anonymous, pytest.raises(BizpilotError) as missing:
        anonymous.stats()
    assert missing.value.code == "unauthorized"


def _tmp_csv() -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "products.csv"
    path.write_text(PRODUCTS_CSV + "P-9,Broken,Tools,-1,EUR,,\n", encoding="utf-8")
    return path


def test_upload_import_and_read_rejects(server: str, engine: Engine) -> None:
    with Client(server, _key(engine, "write")) as bp:
        status = bp.imports.upload("products", _tmp_csv(), wait=True)
        assert isinstance(status, ImportRunStatus) and status.status == "finished"
        assert status.counts["tables"]["products"]["inserted"] == 3
        rejects = bp.imports.rejects(status.id)
        assert [(r.row, r.value) for r in rejects] == [(5, "-1")]
        assert bp.products.list(sort="sku").items[0].sku == "P-100"
        runs = bp.import_runs.list()
        assert runs.items[0].id == status.id and runs.items[0].status == "finished"
        with pytest.raises(ValidationFailed, match="cannot import an upload"):
            bp.imports.upload("widgets", _tmp_csv())


def test_ai_features_through_the_client(server: str, engine: Engine) -> None:
    with Client(server, _key(engine, "write")) as bp:
        signals = bp.analyse("The pump leaks and I want a refund now!")
        assert signals["sentiment"] == "negative" and signals["intent"] in ("returns_refunds", "complaint")
        turn = bp.ask("The pump leaks and I want a refund now!")
        assert turn["handoff"] and turn["ticket_id"]  # refunds go to a person, never answered from nothing
        account = bp.accounts.list(limit=1).items[0]
        with pytest.raises(ModelNotReady) as first:  # answered at once; the model trains in the background
            bp.recommend(account.external_id)
        assert first.value.model == "recommend"
        jobs.wait(timeout=300)
        with pytest.raises(ModelNotReady, match="no purchases") as skipped:  # nothing to learn from: said so
            bp.recommend(account.external_id)
        assert skipped.value.state == "skipped"
