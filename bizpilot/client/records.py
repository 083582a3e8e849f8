"""The workspace's records through the client: typed lists and details of every entity, their CSV/Excel downloads,
and the writes of the records people edit (create, change with the version read, archive, restore, sync by external
id, the audit trail); orders sync with their lines; imports upload files and follow their runs."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from bizpilot.client._http import Connection, ExportFormat, body, if_match, query
from bizpilot.domain.audit import AuditEntryPublic
from bizpilot.domain.ops import ImportRunStatus, RejectedRow
from bizpilot.domain.order import OrderLinePublic, OrderPublic

T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class OrderWithLines(OrderPublic):
    """An order as a sync by external id answers it: with its lines."""

    lines: list[OrderLinePublic]


class Resource(Generic[T]):
    """List/get one entity; ``iter_all`` walks every page; ``export`` downloads the list as CSV or Excel."""

    def __init__(self, client: Connection, name: str, model: type[T]) -> None:
        self._client, self.name, self.model = client, name, model

    def list(self, *, limit: int = 50, offset: int = 0, sort: str | None = None, q: str | None = None,
             **filters: Any) -> Page[T]:
        """One page; ``filters`` are the entity's columns, plus ``owner`` (me, a user id/name/e-mail, none) and
        ``archived`` (exclude, include, only) where records have them."""
        params = {"limit": limit, "offset": offset, "sort": sort, "q": q, **filters}
        data = self._client.request("GET", f"/{self.name}", params=query(params))
        return Page[self.model].model_validate(data)  # type: ignore[name-defined]

    def get(self, item_id: int) -> T:
        return self.model.model_validate(self._client.request("GET", f"/{self.name}/{item_id}"))

    def iter_all(self, *, page_size: int = 500, **filters: Any) -> Iterator[T]:
        offset = 0
        while True:
            page = self.list(limit=page_size, offset=offset, **filters)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def export(self, *, format: ExportFormat = "csv", lang: str | None = None, sort: str | None = None,
               q: str | None = None, limit: int | None = None, offset: int = 0, **filters: Any) -> bytes:
        """The list as a file: every row matching the filters (``limit`` pages it), column titles in ``lang``."""
        params = {"lang": lang, "sort": sort, "q": q, "limit": limit, "offset": offset or None, **filters}
        return self._client.download(f"/{self.name}", format=format, params=params)


class Records(Resource[T]):
    """A record people edit (accounts, contacts, products, opportunities, interactions). Writes act with the key's
    user: sales and service users change what they own (else ``Forbidden``), viewers nothing. Send the ``version``
    you read: when someone changed the record meanwhile the write raises ``Conflict`` with ``current_version`` and
    changes nothing."""

    def create(self, **fields: Any) -> T:
        """A new record, validated as an import row (e.g. ``name=``, ``owner=`` a user's name or e-mail,
        ``account_id=`` or ``account_external_id=`` for a link)."""
        return self.model.model_validate(self._client.request("POST", f"/{self.name}", json=body(fields)))

    def update(self, item_id: int, *, version: int | None = None, **fields: Any) -> T:
        """Change the fields given (None clears one), at ``version`` when given."""
        data = self._client.request("PATCH", f"/{self.name}/{item_id}", json=body(fields), headers=if_match(version))
        return self.model.model_validate(data)

    def archive(self, item_id: int, *, version: int | None = None) -> None:
        """Soft delete: the record leaves lists (``archived="include"`` still shows it) until restored."""
        self._client.request("DELETE", f"/{self.name}/{item_id}", headers=if_match(version))

    def restore(self, item_id: int, *, version: int | None = None) -> T:
        data = self._client.request("POST", f"/{self.name}/{item_id}/restore", headers=if_match(version))
        return self.model.model_validate(data)

    def upsert(self, external_id: str, *, version: int | None = None, **fields: Any) -> T:
        """Create or update by external id (a product's SKU): idempotent, for syncing from another system."""
        data = self._client.request("PUT", f"/{self.name}/by-external-id/{external_id}", json=body(fields),
                                    headers=if_match(version))
        return self.model.model_validate(data)

    def audit(self, item_id: int, *, limit: int = 200) -> list[AuditEntryPublic]:
        """Who changed which field from what to what, when and through which channel; newest first."""
        data = self._client.request("GET", f"/{self.name}/{item_id}/audit", params={"limit": limit})
        return [AuditEntryPublic.model_validate(e) for e in data["items"]]


class Interactions(Records[T]):
    """Logged calls, meetings, e-mails and notes; a call or meeting also as a calendar invitation."""

    def invite(self, interaction_id: int, *, minutes: int | None = None) -> bytes:
        """The iCalendar (.ics) invitation of a logged call or meeting."""
        return self._client.send("GET", f"/interactions/{interaction_id}/invite.ics",
                                 params=query({"minutes": minutes})).content


class Orders(Resource[OrderPublic]):
    """Orders are read, and synced with their lines from an ERP or web shop."""

    def upsert(self, external_id: str, *, ordered_at: datetime | str | None = None,
               lines: Sequence[Mapping[str, Any]] | None = None, **fields: Any) -> OrderWithLines:
        """Create or update the order and replace its lines as a set (each with ``sku``, ``quantity``,
        ``unit_price``...); ``account_external_id=`` or ``account_id=`` names the customer."""
        given = {"ordered_at": ordered_at, "lines": None if lines is None else list(lines)}
        payload = body({**{k: v for k, v in given.items() if v is not None}, **fields})
        data = self._client.request("PUT", f"/orders/by-external-id/{external_id}", json=payload)
        return OrderWithLines.model_validate(data)


class Imports:
    """Upload files for import and follow their runs."""

    def __init__(self, client: Connection) -> None:
        self._client = client

    def upload(self, entity: str, path: str | Path, *, strict: bool = False, wait: bool = False,
               timeout: float = 600.0) -> ImportRunStatus:
        path = Path(path)
        with path.open("rb") as fh:
            data = self._client.request("POST", "/imports", data={"entity": entity, "strict": str(strict).lower()},
                                        files={"file": (path.name, fh)})
        status = ImportRunStatus.model_validate(data)
        return self.wait(status.id, timeout=timeout) if wait else status

    def status(self, run_id: int) -> ImportRunStatus:
        return ImportRunStatus.model_validate(self._client.request("GET", f"/imports/{run_id}"))

    def wait(self, run_id: int, *, timeout: float = 600.0, poll: float = 0.2) -> ImportRunStatus:
        deadline = time.monotonic() + timeout
        status = self.status(run_id)
        while status.status == "running":
            if time.monotonic() > deadline:
                raise TimeoutError(f"import run {run_id} still running after {timeout:.0f} s")
            time.sleep(poll)
            status = self.status(run_id)
        return status

    def rejects(self, run_id: int, *, limit: int = 500) -> list[RejectedRow]:
        data = self._client.request("GET", f"/imports/{run_id}/rejects", params={"limit": limit})
        return [RejectedRow.model_validate(r) for r in data["rows"]]


__all__ = ["Imports", "Interactions", "OrderWithLines", "Orders", "Page", "Records", "Resource"]
