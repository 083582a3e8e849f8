"""``?format=csv|xlsx`` on list routes: the same rows the JSON has (filters, search and sort applied), as a
download with column titles in the reader's language.

A list route declares it once: take ``export: ExportDep``, add ``**EXPORT_RESPONSES`` to its ``responses`` and
return ``exportable(rows, COLUMNS, export, "name", json=...)``, which is the download when a format was asked for
and the usual JSON otherwise. Columns are ``ExportColumn``s (a row key, optionally how to read it); their titles are
the texts ``export.col.<list>.<key>`` or ``export.col.<key>`` of ``web/texts/export.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response, StreamingResponse

from bizpilot.domain.user import User
from bizpilot.services.export import MEDIA_TYPES, Column, ExportFormat, collect, file_name, render

EXPORT_PARAMS = ("format", "lang")
FORMAT_HELP = ("Download the list instead of JSON: `csv` (UTF-8 with BOM, opens in Excel) or `xlsx`. The file "
               "holds the rows the JSON would (same filters, search and sort); column titles are in `lang` "
               "(en|zh), else the dashboard's language. Text that begins with = + - @ is prefixed with ' so a "
               "spreadsheet never runs it.")
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "The list (JSON), or the file when `format` is given",
    "content": {"text/csv": {"schema": {"type": "string"}},
                MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}},
}}


@dataclass(frozen=True)
class ExportColumn:
    """A column of an exported list: the row's ``key``; ``value`` when it is computed from the row; ``kind="date"``
    for ISO date text that Excel should see as a date."""

    key: str
    value: Callable[[Any], Any] | None = None
    kind: Literal["date"] | None = None


def _texts() -> tuple[Callable[..., str], dict[str, dict[str, str]], Callable[[str | None], str | None]]:
    # Imported when used: the API package must not import the web package while it is being imported (the web
    # package imports the API's security module), and the catalogs are plain data here.
    from bizpilot.web.i18n import CATALOGS, normalise_lang, t

    return t, CATALOGS, normalise_lang


@dataclass(frozen=True)
class Export:
    """What a request asked for: a download ``format`` (None: JSON) and the language of the column titles."""

    format: ExportFormat | None
    lang: str = "en"

    def __bool__(self) -> bool:
        return self.format is not None

    def title(self, name: str, key: str) -> str:
        t, catalogs, _ = _texts()
        for text_key in (f"export.col.{name}.{key}", f"export.col.{key}"):
            if text_key in catalogs["en"]:
                return t(text_key, self.lang)
        return key.replace("_", " ").capitalize()

    def columns(self, name: str, specs: Sequence[ExportColumn]) -> list[Column]:
        return [Column(s.key, self.title(name, s.key), s.value, s.kind) for s in specs]

    def response(self, rows: Iterable[Any], specs: Sequence[ExportColumn], name: str, *,
                 filename: str | None = None) -> Response:
        """The download (``<filename or name>-<date>.<format>``), rendered while the response is sent (in the
        thread pool, off the event loop)."""
        if self.format is None:
            raise ValueError("no export format was asked for")
        t, catalogs, _ = _texts()
        fmt, columns, materialised = self.format, self.columns(name, specs), list(rows)
        sheet = t(f"export.list.{name}", self.lang) if f"export.list.{name}" in catalogs["en"] else name

        def body() -> Iterator[bytes]:
            yield render(materialised, columns, format=fmt, sheet=sheet)

        download = file_name((filename or name).replace("_", "-"), fmt)
        return StreamingResponse(body(), media_type=MEDIA_TYPES[fmt], headers={
            "Content-Disposition": f'attachment; filename="{download}"', "Cache-Control": "no-store"})


def _request_lang(request: Request) -> str:
    _, _, normalise = _texts()
    accept = request.headers.get("accept-language", "").split(",")[0].split(";")[0]
    return (normalise(request.query_params.get("lang")) or normalise(request.cookies.get("bizpilot_lang"))
            or normalise(accept) or "en")


def export_request(request: Request,
                   format: Annotated[ExportFormat | None, Query(description=FORMAT_HELP)] = None) -> Export:
    return Export(format=format, lang=_request_lang(request) if format else "en")


ExportDep = Annotated[Export, Depends(export_request)]


def exportable(rows: Iterable[Any], columns: Sequence[ExportColumn], export: Export, name: str, *,
               json: Any = None, filename: str | None = None) -> Any:
    """The download of ``rows`` when the request asked for a format; otherwise ``json`` (default: the rows).
    ``name`` names the list (its texts ``export.list.<name>`` and ``export.col.<name>.<key>``, and the file
    unless ``filename`` is given)."""
    if export:
        return export.response(rows, columns, name, filename=filename)
    return rows if json is None else json


# --- the lists --------------------------------------------------------------------------------------------------

def factors(key: str) -> Callable[[Any], str]:
    """Factors (``[{label, value}]``) as one cell: "label (value); ..."."""

    def read(row: Any) -> str:
        parts = []
        for f in row.get(key) or []:
            value = f.get("value")
            parts.append(f"{f.get('label')} ({value})" if value is not None else str(f.get("label")))
        return "; ".join(parts)

    return read


AT_RISK = (ExportColumn("account_id"), ExportColumn("name"), ExportColumn("segment_name"),
           ExportColumn("probability"), ExportColumn("monetary"), ExportColumn("risk_value"),
           ExportColumn("negative", factors("negative")), ExportColumn("positive", factors("positive")))
SEGMENT_ACCOUNTS = (ExportColumn("account_id"), ExportColumn("external_id"), ExportColumn("name"),
                    ExportColumn("industry"), ExportColumn("country"), ExportColumn("owner_id"),
                    ExportColumn("segment_name"), ExportColumn("rfm"), ExportColumn("recency_days"),
                    ExportColumn("frequency"), ExportColumn("monetary"))
REORDER = (ExportColumn("account_id"), ExportColumn("account_name"), ExportColumn("sku"), ExportColumn("name"),
           ExportColumn("status"), ExportColumn("due_date", kind="date"), ExportColumn("due_in_days"),
           ExportColumn("last_purchase", kind="date"), ExportColumn("days_since_last"), ExportColumn("cycle_days"),
           ExportColumn("n_orders"), ExportColumn("probability"), ExportColumn("expected_units"),
           ExportColumn("reason"))
RECOMMENDATIONS = (ExportColumn("product_id"), ExportColumn("sku"), ExportColumn("name"), ExportColumn("category"),
                   ExportColumn("price"), ExportColumn("currency"), ExportColumn("score"), ExportColumn("reason"),
                   ExportColumn("new_product"))

PIPELINE = (ExportColumn("id"), ExportColumn("external_id"), ExportColumn("name"), ExportColumn("account_name"),
            ExportColumn("stage_name"), ExportColumn("amount"), ExportColumn("currency"),
            ExportColumn("probability"), ExportColumn("weighted"), ExportColumn("owner_name"),
            ExportColumn("next_step"), ExportColumn("expected_close", kind="date"), ExportColumn("created_at"),
            ExportColumn("age_days"), ExportColumn("positive", factors("positive")),
            ExportColumn("negative", factors("negative")))


def pipeline_rows(board: dict[str, Any]) -> list[dict[str, Any]]:
    """The deals of a pipeline board, one row each, stage by stage (with the stage's name)."""
    return [{**card, "stage_name": column["name"]} for column in board["columns"] for card in column["cards"]]


def entity_rows(*, session: Session, public: type[BaseModel], items: Iterable[Any]) -> tuple[
        list[dict[str, Any]], list[ExportColumn]]:
    """Rows of a registry entity as its public schema shows them, and its columns; an ``owner_id`` column is
    followed by the owner's name (what a person reading the file needs)."""
    rows = [public.model_validate(item).model_dump() for item in items]
    columns = [ExportColumn(name) for name in public.model_fields]
    if "owner_id" in public.model_fields:
        ids = {r["owner_id"] for r in rows if r.get("owner_id") is not None}
        names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
        at = [c.key for c in columns].index("owner_id") + 1
        columns.insert(at, ExportColumn("owner_name", lambda r: names.get(r.get("owner_id"))))
    return rows, columns


def all_pages(fetch: Callable[[int, int], Any], *, page_size: int, offset: int = 0) -> list[Any]:
    """Every item of a paged list (``fetch(limit, offset)`` returns a ``listing.Page``) from ``offset``."""
    return collect(lambda limit, start: fetch(limit, start).items, page_size=page_size, offset=offset)


__all__ = ["AT_RISK", "EXPORT_PARAMS", "EXPORT_RESPONSES", "PIPELINE", "RECOMMENDATIONS", "REORDER",
           "SEGMENT_ACCOUNTS", "Export", "ExportColumn", "ExportDep", "all_pages", "entity_rows", "export_request",
           "exportable", "factors", "pipeline_rows"]
