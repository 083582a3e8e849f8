"""Records through the client against a live server: create, change with the version read (a stale one raises
``Conflict`` carrying the stored version and changes nothing), archive/restore, sync by external id (orders with
lines), the audit trail, ownership (403 for a rep on another's record, for a viewer on any write), CSV/Excel
downloads with filters and formula escaping, and a logged call as an .ics invitation."""

from __future__ import annotations

import io
from datetime import datetime

import icalendar
import openpyxl
import pytest

from bizpilot.client import Conflict, OrderWithLines
from bizpilot.domain.account import AccountPublic
from bizpilot.domain.audit import AuditEntryPublic
from bizpilot.errors import ConflictError, Forbidden, ModelNotReady, NotFoundError, ValidationFailed
from tests.client.conftest import Team


def test_create_change_archive_restore_and_audit(team: Team) -> None:
    with team.client("sam") as sam:
        created = sam.accounts.create(name="Zeta Traders", country="Spain", industry="Retail")
        assert isinstance(created, AccountPublic)
        assert (created.name, created.owner_id, created.version) == ("Zeta Traders", team.users["sam"], 1)
        changed = sam.accounts.update(created.id, version=1, tier="key", industry=None)
        assert (changed.tier, changed.industry, changed.version) == ("key", None, 2)
        assert [a.name for a in sam.accounts.list(owner="me", sort="name").items] == ["Acme Trading Co",
                                                                                    "Zeta Traders"]
        sam.accounts.archive(created.id, version=2)
        assert "Zeta Traders" not in [a.name for a in sam.accounts.list(owner="me").items]
        assert [a.id for a in sam.accounts.list(archived="only").items] == [created.id]
        restored = sam.accounts.restore(created.id)
        assert (restored.archived_at, restored.version) == (None, 4)
        trail = sam.accounts.audit(created.id)
        assert all(isinstance(e, AuditEntryPublic) for e in trail)
        assert [e.action for e in trail] == ["restore", "archive", "update", "create"]
        assert trail[1].user_id == team.users["sam"] and trail[1].channel == "api"
        assert trail[2].changes == {"tier": [None, "key"], "industry": ["Retail", None]}
        with pytest.raises(NotFoundError):
            sam.accounts.update(999_999, tier="key")
        with pytest.raises(ValidationFailed) as bad:
            sam.accounts.create(name="X", mood="happy")
        assert bad.value.details[0]["field"] == "mood"


def test_a_stale_version_raises_conflict_with_the_current_version(team: Team) -> None:
    acme = team.ids["ACME"]
    with team.client("sam") as first, team.client("max") as second:
        seen_by_first, seen_by_second = first.accounts.get(acme), second.accounts.get(acme)
        assert seen_by_first.version == seen_by_second.version == 1
        first.accounts.update(acme, version=seen_by_first.version, industry="Wholesale")
        with pytest.raises(Conflict) as stale:
            second.accounts.update(acme, version=seen_by_second.version, industry="Food")
        assert isinstance(stale.value, ConflictError) and stale.value.status == 409
        assert (stale.value.current_version, stale.value.stale) == (2, True)
        assert "changed by someone else meanwhile" in stale.value.message
        assert second.accounts.get(acme).industry == "Wholesale"  # nothing lost, nothing overwritten
        retried = second.accounts.update(acme, version=stale.value.current_version, industry="Food")
        assert (retried.industry, retried.version) == ("Food", 3)
        with pytest.raises(Conflict) as archived:  # archiving checks the version too
            first.accounts.archive(acme, version=1)
        assert archived.value.current_version == 3
        with pytest.raises(Conflict) as taken:  # a clash that is not about versions: no current version
            second.products.create(sku="MUG-01", name="Duplicate")
        assert (taken.value.current_version, taken.value.stale) == (None, False)
        assert "PUT /api/v1/products/by-external-id/MUG-01" in taken.value.message


def test_ownership_and_roles_on_writes(team: Team) -> None:
    acme, borealis = team.ids["ACME"], team.ids["BOREALIS"]
    with team.client("sam") as sam:
        assert sam.accounts.update(acme, tier="strategic").tier == "strategic"
        for write in (lambda: sam.accounts.update(borealis, tier="key"),
                      lambda: sam.accounts.archive(borealis),
                      lambda: sam.accounts.upsert("BOREALIS", tier="key"),
                      lambda: sam.contacts.create(name="Eve", account_id=borealis),
                      lambda: sam.products.create(sku="S-1", name="S")):
            with pytest.raises(Forbidden) as denied:
                write()
            assert denied.value.status == 403 and denied.value.code == "forbidden"
    with team.client("vic") as vic:
        assert [e.action for e in vic.accounts.audit(acme)] == ["update"]  # viewers read
        for write in (lambda: vic.accounts.create(name="V"), lambda: vic.accounts.update(acme, tier="key"),
                      lambda: vic.accounts.restore(acme),
                      lambda: vic.orders.upsert("X-1", ordered_at="2024-05-01", lines=[])):
            with pytest.raises(Forbidden):
                write()
    with team.client("sam") as sam:
        assert sam.accounts.get(acme).tier == "strategic"


def test_sync_by_external_id_and_orders_with_lines(team: Team) -> None:
    with team.client("max") as max_:
        new = max_.products.upsert("CUP-9", name="Espresso cup", category="Kitchen", price=2.5, currency="EUR")
        assert (new.sku, new.version) == ("CUP-9", 1)
        again = max_.products.upsert("CUP-9", price=2.75)
        assert (again.id, again.price, again.name, again.version) == (new.id, 2.75, "Espresso cup", 2)
        assert max_.products.upsert("CUP-9", price=2.75).version == 2  # idempotent: nothing changed
        order = max_.orders.upsert("SO-77", ordered_at=datetime(2024, 3, 20, 10), account_external_id="ACME",
                                   currency="EUR", lines=[{"sku": "CUP-9", "quantity": 12, "unit_price": 2.5},
                                                          {"sku": "MUG-01", "quantity": 6, "unit_price": 4.0}])
        assert isinstance(order, OrderWithLines) and order.account_id == team.ids["ACME"]
        assert [(line.line_no, line.quantity) for line in order.lines] == [(1, 12.0), (2, 6.0)]
        replaced = max_.orders.upsert("SO-77", ordered_at=datetime(2024, 3, 20, 10), account_external_id="ACME",
                                      lines=[{"sku": "CUP-9", "quantity": 24, "unit_price": 2.5}])
        assert replaced.id == order.id and [line.quantity for line in replaced.lines] == [24.0]
        assert max_.orders.get(order.id).external_id == "SO-77"
        assigned = max_.accounts.create(name="Gamma Imports", owner="rita@example.com")  # by name or e-mail
        assert assigned.owner_id == team.users["rita"]


def test_downloads_keep_filters_and_escape_formulas(team: Team) -> None:
    with team.client("sam") as sam:
        sam.accounts.create(name="=HYPERLINK(\"http://x\")", country="Spain")
        mine = sam.accounts.export(owner="me", sort="name").decode("utf-8-sig")
        lines = mine.strip().splitlines()
        assert lines[0].startswith("ID,Customer ID,Name,") and len(lines) == 3  # the header, ACME and the new one
        assert "Acme Trading Co" in mine and "Borealis" not in mine
        assert "'=HYPERLINK" in mine  # a spreadsheet shows it, never runs it
        workbook = openpyxl.load_workbook(io.BytesIO(sam.accounts.export(format="xlsx", country="China",
                                                                          sort="name")))
        rows = list(workbook.active.iter_rows(values_only=True))
        names = [row[rows[0].index("Name")] for row in rows[1:]]
        assert names == ["Acme Trading Co", "Delta 100% Supplies_", "Echo Wholesale"]
        assert sam.export("/accounts", owner="me", sort="name").decode("utf-8-sig") == mine  # any list, by path
        with pytest.raises(ModelNotReady) as waiting:  # a model-backed list waits for its model, as the JSON does
            sam.export("/intelligence/at-risk", format="xlsx")
        assert (waiting.value.status, waiting.value.model) == (503, "churn")
        zh = sam.contacts.export(lang="zh").decode("utf-8-sig").splitlines()[0]
        assert zh.split(",")[0] == "编号" and "名称" in zh.split(",")


def test_a_logged_call_as_an_invitation(team: Team) -> None:
    with team.client("sam") as sam:
        call = sam.interactions.create(channel="call", direction="outbound", subject="Reorder call",
                                       text="Agreed to send a quote for 200 mugs.", account_id=team.ids["ACME"],
                                       occurred_at=datetime(2024, 4, 2, 10, 30))
        assert (call.channel, call.account_id) == ("call", team.ids["ACME"])
        calendar = icalendar.Calendar.from_ical(sam.interactions.invite(call.id, minutes=45))
        [event] = calendar.walk("VEVENT")
        assert str(event["SUMMARY"]) == "Reorder call"
        assert event["DTEND"].dt - event["DTSTART"].dt == (datetime(2024, 1, 1, 0, 45) - datetime(2024, 1, 1))
        assert str(event["ATTENDEE"]).lower() == "mailto:li.wei@acme.example"  # the account's main contact
        note = sam.interactions.create(channel="note", text="Likes green tea.", account_id=team.ids["ACME"])
        with pytest.raises(ValidationFailed, match="only calls and meetings"):
            sam.interactions.invite(note.id)
