"""Write routes of the records people edit (accounts, contacts, products, opportunities, interactions), added to
the registry's routes by ``api/entities.py``: create, change (optimistic concurrency: ``If-Match`` or a ``version``
field; a stale one is a 409 and changes nothing), archive and restore, sync by external id (also orders with their
lines), and each record's audit trail. Every write goes through ``services/records.py`` (validation as imports,
the ownership policy, the audit row, the ``record.changed`` event). No ``from __future__ import annotations``:
FastAPI must see the real, dynamically created types.
"""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import select

from bizpilot.api.deps import SessionDep
from bizpilot.api.schemas import ERROR_RESPONSES, ErrorResponse
from bizpilot.api.security import WritePrincipal
from bizpilot.domain import EntityInfo, OrderLine
from bizpilot.domain.audit import AuditEntryPublic
from bizpilot.domain.order import OrderCreate, OrderLinePublic, OrderPublic
from bizpilot.domain.schemas import InputSchema
from bizpilot.errors import ValidationFailed
from bizpilot.services.listing import get_row
from bizpilot.services.record_input import EXTRAS, MAX_ID, NOW_FIELDS, label, spec_for
from bizpilot.services.records import (
    MOVED_ELSEWHERE,
    archive_record,
    create_record,
    get_record,
    history,
    restore_record,
    update_record,
    upsert_by_external_id,
)

CHANNEL = "api"
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id")]
ExternalId = Annotated[str, Path(min_length=1, max_length=64, description="The external id (a product's SKU)")]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=64, description=(
    'The version you read, as the ETag gave it (W/"3" or "3"): a stale one is refused with 409'))]
_IF_MATCH = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')

WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "Your role may not change this record (viewers never; sales and "
                                                 "service users only what they own)"},
    404: {"model": ErrorResponse, "description": "No such record"},
    409: {"model": ErrorResponse, "description": "Stale version (changed by someone else meanwhile), or the "
                                                 "external id is taken"},
    422: {"model": ErrorResponse, "description": "Invalid fields (named with their reason)"},
    **{k: v for k, v in ERROR_RESPONSES.items() if k != 422},
}


class _Body(InputSchema):
    model_config = ConfigDict(extra="forbid")


class AuditTrail(BaseModel):
    items: list[AuditEntryPublic] = Field(description="Changes of the record, newest first")


class OrderWithLines(OrderPublic):
    lines: list[OrderLinePublic]


def etag(version: int) -> str:
    return f'W/"{version}"'


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version the client read: ``If-Match`` (``*`` or absent: any) or the body's ``version``."""
    header: int | None = None
    if if_match is not None and if_match.strip() != "*":
        match = _IF_MATCH.match(if_match.strip())
        if match is None:
            raise ValidationFailed('If-Match must be the ETag of the record (W/"<version>" or "<version>")',
                                   details=[{"field": "If-Match", "reason": "not a version", "value": if_match}])
        header = int(match.group(1))
    if header is not None and body_version is not None and header != body_version:
        raise ValidationFailed(f"If-Match says version {header} but the body says {body_version}",
                               details=[{"field": "version", "reason": "differs from If-Match"}])
    return header if header is not None else body_version


def _optional(name: str, bases: tuple[type[BaseModel], ...], *, required: frozenset[str] = frozenset(),
              extra: dict[str, Any] | None = None) -> type[BaseModel]:
    """A body model with the fields of ``bases`` (optional unless ``required``; their constraints kept), unknown
    fields refused, plus ``extra`` fields."""
    fields: dict[str, Any] = {}
    for base in bases:
        for field_name, info in base.model_fields.items():
            annotation = info.annotation if field_name in required else info.annotation | None  # type: ignore[operator]
            if info.metadata:
                annotation = Annotated[(annotation, *info.metadata)]
            default = ... if field_name in required else None
            fields[field_name] = (annotation, Field(default, description=info.description))
    fields.update(extra or {})
    return create_model(name, __base__=_Body, **fields)


def _reference_ids(entity: str) -> dict[str, Any]:
    return {ref.column: (int | None, Field(None, ge=1, le=MAX_ID, description=f"The {ref.label}'s id (instead of "
                                                                             f"{ref.field})"))
            for ref in spec_for(entity).references}


def _create_body(entity: str, camel: str) -> type[BaseModel]:
    """The Create schema (what imports validate with) and the fields people set besides; "when" defaults to now
    and a key that imports derive may be left out (the service checks everything again, as an import does)."""
    spec = spec_for(entity)
    required = {n for n, i in spec.schema.model_fields.items() if i.is_required() and n not in NOW_FIELDS}
    return _optional(f"{camel}CreateBody", (spec.schema, *((EXTRAS[entity],) if entity in EXTRAS else ())),
                     required=frozenset(required), extra=_reference_ids(entity))


def add_record_routes(router: APIRouter, info: EntityInfo) -> None:
    """POST, PATCH, DELETE, restore, PUT by external id and the audit trail for ``info``'s records (orders: PUT)."""
    entity, camel = info.name, "".join(p.capitalize() for p in label(info.name).split("_"))
    tags, what = [entity], label(entity)
    if entity == "orders":
        _add_order_upsert(router)
        return
    public = info.public
    create_body = _create_body(entity, camel)
    upsert_body = _optional(f"{camel}UpsertBody", (create_body,))
    patch_fields = {"version": (int | None, Field(None, ge=1, le=MAX_ID, description=(
        "The version you read (or send If-Match): a stale one is refused with 409")))}
    # accepted only to be refused by the service with where to change them (a deal's stage: its stage route)
    patch_fields.update({f: (SkipJsonSchema[Any], None) for f in MOVED_ELSEWHERE.get(entity, ((),))[0]})
    patch_body = _optional(f"{camel}PatchBody", (info.update, *((EXTRAS[entity],) if entity in EXTRAS else ())),
                           extra=patch_fields) if info.update else None

    def create(body: Annotated[create_body, Body()], session: SessionDep,  # type: ignore[valid-type]
               principal: WritePrincipal, response: Response) -> Any:
        record = create_record(session=session, entity=entity, data=body.model_dump(exclude_unset=True),
                               principal=principal, channel=CHANNEL)
        response.headers["ETag"] = etag(record.version)
        return public.model_validate(record)

    def patch(item_id: ItemId, body: Annotated[patch_body, Body()],  # type: ignore[valid-type]
              session: SessionDep, principal: WritePrincipal, response: Response, if_match: IfMatch = None) -> Any:
        data = body.model_dump(exclude_unset=True)
        version = expected_version(if_match, data.pop("version", None))
        record = update_record(session=session, entity=entity, record_id=item_id, data=data, principal=principal,
                               channel=CHANNEL, expected_version=version)
        session.flush()
        response.headers["ETag"] = etag(record.version)
        return public.model_validate(record)

    def archive(item_id: ItemId, session: SessionDep, principal: WritePrincipal, if_match: IfMatch = None) -> Response:
        record = archive_record(session=session, entity=entity, record_id=item_id, principal=principal,
                                channel=CHANNEL, expected_version=expected_version(if_match, None))
        return Response(status_code=204, headers={"ETag": etag(record.version)})

    def restore(item_id: ItemId, session: SessionDep, principal: WritePrincipal, response: Response,
                if_match: IfMatch = None) -> Any:
        record = restore_record(session=session, entity=entity, record_id=item_id, principal=principal,
                                channel=CHANNEL, expected_version=expected_version(if_match, None))
        response.headers["ETag"] = etag(record.version)
        return public.model_validate(record)

    def upsert(external_id: ExternalId, body: Annotated[upsert_body, Body()],  # type: ignore[valid-type]
               session: SessionDep, principal: WritePrincipal, response: Response, if_match: IfMatch = None) -> Any:
        result = upsert_by_external_id(session=session, entity=entity, external_id=external_id,
                                       data=body.model_dump(exclude_unset=True), principal=principal,
                                       channel=CHANNEL, expected_version=expected_version(if_match, None))
        response.status_code = 201 if result.created else 200
        response.headers["ETag"] = etag(result.record.version)
        return public.model_validate(result.record)

    def audit_trail(item_id: ItemId, session: SessionDep,
                    limit: Annotated[int, Query(ge=1, le=500, description="At most this many changes")] = 200) -> Any:
        get_record(session=session, entity=entity, record_id=item_id)
        return AuditTrail(items=[AuditEntryPublic.model_validate(e)
                                 for e in history(session=session, entity=entity, record_id=item_id, limit=limit)])

    key = spec_for(entity).key
    routes: list[tuple[str, Any, str, str, str, Any, int]] = [
        (f"/{entity}", create, "POST", f"create_{entity}", f"Create a {what}", public, 201),
        (f"/{entity}/{{item_id}}", archive, "DELETE", f"archive_{entity}",
         f"Archive a {what} (soft delete: it leaves lists; restore brings it back)", None, 204),
        (f"/{entity}/{{item_id}}/restore", restore, "POST", f"restore_{entity}", f"Restore an archived {what}",
         public, 200),
        (f"/{entity}/by-external-id/{{external_id}}", upsert, "PUT", f"upsert_{entity}",
         f"Create or update a {what} by its {'SKU' if key == 'sku' else 'external id'} (idempotent; 201 when new)",
         public, 200),
        (f"/{entity}/{{item_id}}/audit", audit_trail, "GET", f"audit_{entity}",
         f"The {what}'s audit trail: who changed which field from what to what, when, through which channel",
         AuditTrail, 200),
    ]
    if patch_body is not None:
        routes.insert(1, (f"/{entity}/{{item_id}}", patch, "PATCH", f"update_{entity}",
                          f"Change a {what} (send the version you read: If-Match or version)", public, 200))
    for path, endpoint, method, op_id, summary, model, status in routes:
        extra: dict[str, Any] = {"response_model": model} if model is not None else {"response_class": Response}
        if method == "PUT":
            extra["responses"] = {**WRITE_RESPONSES, 201: {"model": public, "description": f"A new {what}"}}
        router.add_api_route(path, endpoint, methods=[method], status_code=status, name=op_id, operation_id=op_id,
                             tags=tags, summary=summary, **{"responses": WRITE_RESPONSES, **extra})


def _add_order_upsert(router: APIRouter) -> None:
    body_model = _optional("OrderUpsertBody", (OrderCreate,), extra={"account_id": (int | None, Field(
        None, ge=1, le=MAX_ID, description="The account's id (instead of account_external_id)"))})

    def upsert(external_id: ExternalId, body: Annotated[body_model, Body()],  # type: ignore[valid-type]
               session: SessionDep, principal: WritePrincipal, response: Response) -> Any:
        data = body.model_dump(exclude_unset=True)
        result = upsert_by_external_id(session=session, entity="orders", external_id=external_id, data=data,
                                       principal=principal, channel=CHANNEL)
        response.status_code = 201 if result.created else 200
        order = get_row(session=session, entity="orders", row_id=result.record.id)
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no))
        return OrderWithLines(**OrderPublic.model_validate(order).model_dump(),
                              lines=[OrderLinePublic.model_validate(line) for line in lines])

    router.add_api_route(
        "/orders/by-external-id/{external_id}", upsert, methods=["PUT"], response_model=OrderWithLines,
        name="upsert_orders", operation_id="upsert_orders", tags=["orders"],
        summary="Create or update an order with its lines by its external id (lines replaced as a set; "
                "idempotent; 201 when new)",
        responses={**WRITE_RESPONSES, 201: {"model": OrderWithLines, "description": "A new order"}})


__all__ = ["WRITE_RESPONSES", "AuditTrail", "OrderWithLines", "add_record_routes", "etag", "expected_version"]
