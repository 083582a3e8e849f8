"""Webhooks and industry classification through the client against a live server: a subscription made (its secret
once), listed, changed, pinged to a real receiver on loopback with a valid signature, its deliveries, deleted,
and refused to everyone but admins; the taxonomy replaced and reset, an account's industry read and corrected
(audited, a stale version a ``Conflict``, another rep's account 403) and the review queue waiting for its model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bizpilot.client import Conflict
from bizpilot.errors import Forbidden, ModelNotReady, NotFoundError, ValidationFailed
from bizpilot.services.webhook_delivery import deliver_due
from tests.client.conftest import Team
from tests.services.webhook_receiver import Receiver, webhook_receiver

SEGMENTS = [{"en": "Banks", "zh": "银行", "description_en": "Takes deposits and makes loans"},
            {"en": "Restaurants", "zh": "餐饮", "description_en": "Operates restaurants and cafes"},
            {"en": "Retail", "zh": "零售", "description_en": "Sells goods in shops"}]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


def test_webhooks_subscribe_ping_deliveries_and_delete(team: Team, engine: Engine, receiver: Receiver) -> None:
    for name in ("max", "sam", "vic"):
        with team.client(name) as other:
            with pytest.raises(Forbidden):
                other.webhooks.list()
            with pytest.raises(Forbidden):
                other.webhooks.create(url=receiver.url)
    with team.client("adm") as adm:
        created = adm.webhooks.create(url=receiver.url, events=["record.changed"])
        sub, receiver.secret = created["subscription"], created["secret"]
        assert created["secret"].startswith("whsec_") and (sub["events"], sub["active"]) == (["record.changed"], True)
        assert adm.webhooks.list() == [sub]
        changed = adm.webhooks.update(sub["id"], events=["*"])
        assert (changed["events"], changed["url"]) == (["*"], receiver.url)
        ping = adm.webhooks.test(sub["id"])
        assert (ping["event"], ping["status"]) == ("ping", "pending")
        assert deliver_due(engine=engine).to_dict()["delivered"] == 1
        [got] = receiver.received
        assert got.signature_ok and got.headers["x-bizpilot-event"] == "ping"
        [delivery] = adm.webhooks.deliveries(sub["id"])
        assert (delivery["event"], delivery["status"], delivery["last_status_code"]) == ("ping", "delivered", 200)
        assert [(a["attempt"], a["status_code"]) for a in delivery["attempt_log"]] == [(1, 200)]
        assert adm.webhooks.deliveries(sub["id"], status="failed") == []
        assert adm.webhooks.update(sub["id"], active=False)["active"] is False
        assert adm.webhooks.list(active=True) == []
        with pytest.raises(Conflict):  # an inactive subscription is not pinged
            adm.webhooks.test(sub["id"])
        with pytest.raises(ValidationFailed) as bad:
            adm.webhooks.create(url="ftp://example.com/x")
        assert "url" in str(bad.value.details)
        adm.webhooks.delete(sub["id"])
        with pytest.raises(NotFoundError):
            adm.webhooks.deliveries(sub["id"])


def test_industry_taxonomy_account_review_and_queue(team: Team) -> None:
    acme, borealis = team.ids["ACME"], team.ids["BOREALIS"]
    with team.client("vic") as vic:
        default = vic.industry.taxonomy()
        assert (default["source"], default["n_sectors"]) == ("default", 11)
        with pytest.raises(Forbidden):
            vic.industry.set_taxonomy(sectors=SEGMENTS)
    with team.client("adm") as adm:
        ours = adm.industry.set_taxonomy(name="our segments", sectors=SEGMENTS)
        assert (ours["source"], ours["n_sectors"]) == ("workspace", 3)
        with pytest.raises(ValidationFailed):
            adm.industry.set_taxonomy(sectors=[{"en": "Banks", "aliases": ["x"]}, {"en": "Loans", "aliases": ["X"]}])
    with team.client("sam") as sam:
        view = sam.industry.account(acme)
        assert (view["industry"], view["label"], view["source"], view["version"]) == ("Retail", "Retail", "manual", 1)
        with pytest.raises(Forbidden):  # rita's customer
            sam.industry.review(borealis, label="Restaurants")
        with pytest.raises(Conflict) as stale:
            sam.industry.review(acme, label="Restaurants", version=7)
        assert stale.value.current_version == 1
        corrected = sam.industry.review(acme, label="restaurants", version=1)
        assert (corrected["industry"], corrected["source"], corrected["reviewed"], corrected["version"]) == (
            "Restaurants", "manual", True, 2)
        assert sam.accounts.audit(acme)[0].action == "classify"
        with pytest.raises(ModelNotReady) as waiting:  # nothing trains on a request here: the queue says so
            sam.industry.review_queue()
        assert waiting.value.model == "industry" and waiting.value.status == 503
    with team.client("adm") as adm:
        assert adm.industry.reset_taxonomy()["source"] == "default"
