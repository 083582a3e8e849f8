"""List and detail routes generated from the entity registry: adding an entity there adds its routes here.

Each list route gets its own query model (limit/offset/q/sort plus the entity's filterable columns; ``archived``
and ``owner`` where records can be archived or owned), so the OpenAPI page documents exactly what can be filtered.
The records people edit also get their write routes (``api/records.py``). No ``from __future__ import
annotations`` here: FastAPI must see the real, dynamically created types.
"""

from typing import Annotated, Any, Literal, get_args, get_origin

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field, create_model

from bizpilot.api.deps import SessionDep
from bizpilot.api.export import EXPORT_PARAMS, EXPORT_RESPONSES, ExportDep, all_pages, entity_rows, exportable
from bizpilot.api.params import MAX_OFFSET
from bizpilot.api.records import add_record_routes, etag
from bizpilot.api.schemas import ERROR_RESPONSES, NOT_FOUND, Page
from bizpilot.api.security import authenticate
from bizpilot.domain import ENTITIES, EntityInfo
from bizpilot.errors import ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.listing import DEFAULT_LIMIT, MAX_LIMIT, archivable, get_row, list_rows, owned
from bizpilot.services.record_input import MAX_ID, RECORD_ENTITIES

CONTROLS = ("limit", "offset", "q", "sort", "archived", "owner")
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id")]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _filter_type(info: EntityInfo, column: str) -> type:
    try:
        py_type = info.model.__table__.c[column].type.python_type
    except NotImplementedError:
        return str
    return py_type if py_type in (int, float, bool) else str


def _closed_set(info: EntityInfo, column: str) -> Any:
    """The column's Literal type where the entity's input schema declares one (a channel, a kind, an outcome)."""
    for schema in (info.create, info.update):
        field = schema.model_fields.get(column) if schema is not None else None
        if field is None:
            continue
        for option in (field.annotation, *get_args(field.annotation)):
            if get_origin(option) is Literal:
                return option
    return None


def _filter_field(info: EntityInfo, column: str) -> tuple[Any, Any]:
    """An exact-match filter: the closed set where there is one, integers within the database's 64 bits (a larger
    one is a 422, not a 500), text of at most 255 characters."""
    py_type = _filter_type(info, column)
    description = f"Exact match on {column}"
    if py_type is int:
        return int | None, Field(None, ge=-(2**63), le=2**63 - 1, description=description)
    if py_type is str:
        closed = _closed_set(info, column)
        if closed is not None:
            return closed | None, Field(None, description=description)
        return str | None, Field(None, max_length=255, description=description)
    return py_type | None, Field(None, description=description)


def sort_pattern(keys: tuple[str, ...]) -> str:
    """The sort parameter's grammar: sortable keys, each optionally prefixed with - (descending) or +, separated by
    commas; empty means the default order."""
    key = "[+-]?(?:" + "|".join(keys) + ")"
    return f"^(?:{key}(?: *, *{key})*)?$"


def list_query_model(info: EntityInfo) -> type[BaseModel]:
    """The query parameters of ``GET /api/v1/{name}`` as a pydantic model (validated and documented)."""
    clash = set(info.filterable) & set(CONTROLS) - ({"owner"} if owned(info) else set())
    if clash:
        raise RuntimeError(f"{info.name}: filterable column(s) {clash} clash with list controls")
    sortable = ", ".join(info.sortable)
    fields: dict[str, Any] = {
        "limit": (int, Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size (1-{MAX_LIMIT})")),
        "offset": (int, Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip")),
        # The pattern documents the sortable keys; the listing service checks them and names the bad one (422).
        "sort": (str | None, Field(None, max_length=500, json_schema_extra={"pattern": sort_pattern(info.sortable)},
                                   description=(
            f"Sort by {sortable}; prefix '-' for descending, comma-separate several keys. "
            f"Default: {info.default_sort}"))),
    }
    if info.searchable:
        fields["q"] = (str | None, Field(None, max_length=200, description=(
            f"Case-insensitive search in {', '.join(info.searchable)}")))
    for column in info.filterable:
        fields[column] = _filter_field(info, column)
    if archivable(info):
        fields["archived"] = (Literal["exclude", "include", "only"], Field("exclude", description=(
            "Archived records: left out (exclude), listed too (include) or listed alone (only)")))
    if owned(info):
        also = "; or the owner name as imported" if "owner" in info.model.__table__.c else ""
        fields["owner"] = (str | None, Field(None, max_length=255, description=(
            f"The owner: me (the caller), a user id, a user's name or e-mail, or none (nobody's){also}")))
    return create_model(f"{_camel(info.name)}ListQuery", **fields)


def _reject_unknown(request: Request, info: EntityInfo, model: type[BaseModel]) -> None:
    unknown = sorted({name for name in request.query_params
                      if name not in model.model_fields and name not in EXPORT_PARAMS})
    if unknown:
        controls = ", ".join(c for c in CONTROLS if c in model.model_fields)
        raise ValidationFailed(
            f"unknown query parameter(s) {', '.join(unknown)} for {info.name}; filters: "
            f"{', '.join(info.filterable) or '(none)'}; other parameters: {controls}",
            details=[{"field": name, "reason": "unknown query parameter"} for name in unknown],
        )


def _add_entity_routes(router: APIRouter, info: EntityInfo) -> None:
    query_model = list_query_model(info)
    page_model = Page[info.public]  # type: ignore[name-defined]

    def list_endpoint(request: Request, params: Annotated[query_model, Query()],  # type: ignore[valid-type]
                      session: SessionDep, principal: Annotated[Principal, Depends(authenticate)],
                      export: ExportDep) -> Any:
        _reject_unknown(request, info, query_model)
        values: dict[str, Any] = BaseModel.model_dump(params)
        filters = {c: values[c] for c in info.filterable if values[c] is not None and c != "owner"}

        def fetch(limit: int, offset: int) -> Any:
            return list_rows(session=session, entity=info, filters=filters, q=values.get("q"), sort=values["sort"],
                             limit=limit, offset=offset, archived=values.get("archived", "include"),
                             owner=values.get("owner"), user_id=principal.user_id)

        if export:  # a download holds every matching row, unless limit pages it
            items = (fetch(values["limit"], values["offset"]).items if "limit" in request.query_params
                     else all_pages(fetch, page_size=MAX_LIMIT, offset=values["offset"]))
            rows, columns = entity_rows(session=session, public=info.public, items=items)
            return exportable(rows, columns, export, info.name)
        page = fetch(values["limit"], values["offset"])
        return page_model(items=[info.public.model_validate(r) for r in page.items], total=page.total,
                          limit=page.limit, offset=page.offset)

    def detail_endpoint(item_id: ItemId, session: SessionDep, response: Response) -> Any:
        row = get_row(session=session, entity=info, row_id=item_id)
        if getattr(row, "version", None) is not None:
            response.headers["ETag"] = etag(row.version)
        return info.public.model_validate(row)

    label = info.name.replace("_", " ")
    router.add_api_route(f"/{info.name}", list_endpoint, methods=["GET"], response_model=page_model,
                         name=f"list_{info.name}", operation_id=f"list_{info.name}", tags=[info.name],
                         summary=f"List {label}", responses={**ERROR_RESPONSES, **EXPORT_RESPONSES})
    router.add_api_route(f"/{info.name}/{{item_id}}", detail_endpoint, methods=["GET"],
                         response_model=info.public, name=f"get_{info.name}", operation_id=f"get_{info.name}",
                         tags=[info.name], summary=f"One of {label} by id", responses={**NOT_FOUND,
                                                                                       **ERROR_RESPONSES})


def entity_router() -> APIRouter:
    """A router with list + detail routes for every registry entity (built fresh, so tests can add entities), and
    the write routes of the records people edit (and the upsert of orders)."""
    router = APIRouter()
    for info in ENTITIES.values():
        if info.name in (*RECORD_ENTITIES, "orders"):
            add_record_routes(router, info)  # before /{name}/{item_id}: the literal paths must match first
        _add_entity_routes(router, info)
    return router
