"""Owners on import: an owner column names a user by name or e-mail (without regard to case) and becomes owner_id;
an unknown owner rejects an account row and keeps an opportunity's name as text; a workspace without users sets
no owner and says so; the demo team owns the accounts and deals as a re-import would leave them."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.db.engine import session_scope
from bizpilot.domain import Account, Opportunity
from bizpilot.errors import ImportRejected
from bizpilot.ingest.demo_users import build_demo_users, seed_demo_users
from bizpilot.ingest.owners import NO_USERS_NOTE
from bizpilot.ingest.pipeline import import_file, import_frame
from bizpilot.services.users import create_user, deactivate_user, get_user, list_users
from tests.ingest.helpers import write_rows

pytestmark = pytest.mark.storage


@pytest.fixture
def team(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        create_user(session=session, name="Alex Morgan", email="alex@x.example", role="admin")
        emily = create_user(session=session, name="Emily Carter", email="emily.carter@x.example")
        wang = create_user(session=session, name="王芳", email="wang.fang@x.example")
        gone = create_user(session=session, name="Daniel Brooks", email="daniel@x.example")
        deactivate_user(session=session, user=gone)
        return {"Emily Carter": emily.id, "王芳": wang.id, "Daniel Brooks": gone.id}


def owners(engine: Engine, model: type) -> dict[str, tuple[int | None, str | None]]:
    with engine.connect() as conn:
        text = model.owner if model is Opportunity else model.name
        return {row[0]: (row[1], row[2]) for row in conn.execute(select(model.external_id, model.owner_id, text))}


def test_account_owners_by_name_or_email(engine: Engine, team: dict[str, int], tmp_path: Path) -> None:
    path = write_rows(tmp_path, "accounts.csv", "Customer ID,Company Name,Account Owner",
                      "A1,Acme GmbH,Emily Carter", "A2,恒达机械,WANG.FANG@x.example", "A3,Bright Hotels, emily carter ",
                      "A4,Old Co,daniel brooks", "A5,Nobody's Co,")
    report = import_file("accounts", path, engine=engine)
    assert report.rejected == 0 and report.mapping["owner"] == "Account Owner" and report.notes == []
    got = {k: v[0] for k, v in owners(engine, Account).items()}
    assert got == {"A1": team["Emily Carter"], "A2": team["王芳"], "A3": team["Emily Carter"],
                   "A4": team["Daniel Brooks"], "A5": None}  # a deactivated user still owns what they owned


def test_an_unknown_account_owner_rejects_the_row_naming_it(engine: Engine, team: dict[str, int],
                                                            tmp_path: Path) -> None:
    path = write_rows(tmp_path, "accounts.csv", "Customer ID,Company Name,负责人",
                      "A1,Acme GmbH,王芳", "A2,Typo Ltd,Emilly Carter")
    report = import_file("accounts", path, engine=engine)
    assert report.rejected == 1 and report.tables["accounts"]["inserted"] == 1
    with open(report.rejects_path, encoding="utf-8") as fh:  # type: ignore[arg-type]
        rejects = list(csv.DictReader(fh))
    assert [(r["_row"], r["_field"], r["_value"]) for r in rejects] == [("3", "owner", "Emilly Carter")]
    assert "unknown owner 'Emilly Carter'" in rejects[0]["_reason"] and "bizpilot users add" in rejects[0]["_reason"]
    with pytest.raises(ImportRejected) as strict:
        import_file("accounts", write_rows(tmp_path, "more.csv", "Customer ID,Company Name,Sales Rep",
                                           "A9,Fine Co,Emily Carter", "A8,Bad Co,nobody@x.example"),
                    strict=True, engine=engine)
    assert strict.value.details[0]["field"] == "owner" and strict.value.details[0]["value"] == "nobody@x.example"
    assert set(owners(engine, Account)) == {"A1"}  # strict: nothing written


def test_reimport_reassigns_and_an_empty_cell_clears(engine: Engine, team: dict[str, int], tmp_path: Path) -> None:
    import_file("accounts", write_rows(tmp_path, "a.csv", "Customer ID,Company Name,Owner", "A1,Acme,Emily Carter",
                                       "A2,Beta,Emily Carter"), engine=engine)
    again = import_file("accounts", write_rows(tmp_path, "b.csv", "Customer ID,Company Name,Owner", "A1,Acme,王芳",
                                               "A2,Beta,"), engine=engine)
    assert again.tables["accounts"] == {"inserted": 0, "updated": 2, "unchanged": 0}
    assert {k: v[0] for k, v in owners(engine, Account).items()} == {"A1": team["王芳"], "A2": None}
    same = import_file("accounts", write_rows(tmp_path, "c.csv", "Customer ID,Company Name,Owner", "A1,Acme,王芳",
                                              "A2,Beta,"), engine=engine)
    assert same.tables["accounts"] == {"inserted": 0, "updated": 0, "unchanged": 2}
    untouched = import_file("accounts", write_rows(tmp_path, "d.csv", "Customer ID,Company Name", "A1,Acme Corp"),
                            engine=engine)  # no owner column: owners stay as they are
    assert untouched.tables["accounts"]["updated"] == 1 and owners(engine, Account)["A1"][0] == team["王芳"]


def test_opportunity_owners_keep_unknown_names_as_text(engine: Engine, team: dict[str, int], tmp_path: Path) -> None:
    import_file("accounts", write_rows(tmp_path, "a.csv", "Customer ID,Company Name", "A1,Acme"), engine=engine)
    path = write_rows(tmp_path, "opps.csv", "Deal ID,Customer ID,Deal Name,Stage,Amount,Deal Owner,Created",
                      "D1,A1,Pumps,proposal,1000,emily.carter@x.example,2024-01-05",
                      "D2,A1,Valves,negotiation,500,Priya Nair,2024-02-05",
                      "D3,A1,Gloves,proposal,50,Priya Nair,2024-03-05",
                      "D4,A1,Old deal,closed,70,Daniel Brooks,2023-03-05",
                      "D5,A1,Unassigned,proposal,10,,2024-03-06")
    report = import_file("opportunities", path, engine=engine)
    assert report.rejected == 0 and report.mapping["owner"] == "Deal Owner"
    assert report.notes == ["2 row(s) name an owner who is no user: Priya Nair (2); the name is kept as text and "
                            "the record belongs to its account's owner"]
    assert owners(engine, Opportunity) == {
        "D1": (team["Emily Carter"], "Emily Carter"),  # the user's name, whichever way the file named them
        "D2": (None, "Priya Nair"), "D3": (None, "Priya Nair"),
        "D4": (team["Daniel Brooks"], "Daniel Brooks"), "D5": (None, None)}
    assert import_file("opportunities", path, engine=engine).tables["opportunities"]["updated"] == 0


def test_without_users_owners_are_not_matched_and_the_report_says_so(engine: Engine, tmp_path: Path) -> None:
    accounts = import_file("accounts", write_rows(tmp_path, "a.csv", "Customer ID,Company Name,Account Owner",
                                                  "A1,Acme,Emily Carter"), engine=engine)
    assert accounts.rejected == 0 and accounts.notes == [NO_USERS_NOTE]
    opps = import_file("opportunities", write_rows(tmp_path, "o.csv", "Customer ID,Name,Stage,Owner,Created",
                                                   "A1,Pumps,proposal,Emily Carter,2024-01-05"), engine=engine)
    assert opps.rejected == 0 and opps.notes == [NO_USERS_NOTE]
    assert list(owners(engine, Opportunity).values()) == [(None, "Emily Carter")]  # the text, as before users
    assert owners(engine, Account)["A1"][0] is None


def _demo_like(engine: Engine) -> None:
    """Accounts in both languages and deals of the two reps and of two former ones, as the demo has."""
    accounts = pd.DataFrame([{"external_id": f"ACC-{i}", "name": f"Co {i}", "language": lang}
                             for i, lang in enumerate(["en", "zh", "en", "zh", "en"])])
    import_frame("accounts", accounts, source="test", strict=True, engine=engine)
    deals = pd.DataFrame([{"external_id": f"OPP-{i}", "account_external_id": f"ACC-{i % 5}", "name": f"Deal {i}",
                           "stage": "proposal", "owner": owner, "created_at": "2024-01-05"}
                          for i, owner in enumerate(["Emily Carter", "王芳", "Priya Nair", "陈浩", "Emily Carter"])])
    import_frame("opportunities", deals, source="test", strict=True, engine=engine)


def test_the_demo_team_owns_accounts_and_deals_as_an_import_would(engine: Engine) -> None:
    _demo_like(engine)  # imported before the team exists, as on the demo's first build
    first = build_demo_users(engine)
    assert first == {"users": {"inserted": 4, "updated": 0, "unchanged": 0},
                     "accounts": {"inserted": 0, "updated": 5, "unchanged": 0},
                     "opportunities": {"inserted": 0, "updated": 3, "unchanged": 2}}
    with session_scope(engine) as session:
        team = {u.name: (u.role, u.email, u.active) for u in list_users(session=session)}
        emily, wang = get_user(session=session, ref="Emily Carter").id, get_user(session=session, ref="王芳").id
    assert team == {"Alex Morgan": ("admin", "alex.morgan@harborline.example", True),
                    "Emily Carter": ("sales", "emily.carter@harborline.example", True),
                    "王芳": ("sales", "wang.fang@harborline.example", True),
                    "Sam Rivera": ("service", "sam.rivera@harborline.example", True)}
    assert {k: v[0] for k, v in owners(engine, Account).items()} == {
        "ACC-0": emily, "ACC-1": wang, "ACC-2": emily, "ACC-3": wang, "ACC-4": emily}
    assert {k: v[0] for k, v in owners(engine, Opportunity).items()} == {
        "OPP-0": emily, "OPP-1": wang, "OPP-2": None, "OPP-3": None, "OPP-4": emily}
    _demo_like(engine)  # a rebuild imports again, now with the team there: nothing changes
    with session_scope(engine) as session:
        again = seed_demo_users(session)
    assert all(c["inserted"] == 0 and c["updated"] == 0 and c["unchanged"] > 0 for c in again.values()), again


def test_the_demo_team_joins_users_already_there(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session=session, name="boss", email="alex.morgan@harborline.example", role="admin")
        create_user(session=session, name="emily carter", role="viewer")
    _demo_like(engine)  # users exist, but not the reps: deals keep their rep's name, no row is rejected
    with Session(engine) as session:
        counts = seed_demo_users(session)
        session.commit()
    assert counts["users"] == {"inserted": 3, "updated": 0, "unchanged": 1}  # all but "emily carter"
    with session_scope(engine) as session:
        users = {u.name: (u.role, u.email) for u in list_users(session=session)}
    assert users["boss"] == ("admin", "alex.morgan@harborline.example")
    assert users["Alex Morgan"] == ("admin", None)  # the e-mail was taken: added without one
    assert users["emily carter"] == ("viewer", None)  # kept as it was
