"""Orders pushed from an ERP or a web shop (``PUT /api/v1/orders/by-external-id/{id}``): the header and its lines,
checked as the orders importer checks them (the same row schema, accounts by external id, products by SKU, line
numbers and line types as an import assigns them), the lines replaced as a set. Pushing the same order twice changes
nothing and writes no audit row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Order, OrderLine, Product
from bizpilot.domain.order import OrderCreate
from bizpilot.errors import ValidationFailed
from bizpilot.ingest.pipeline import _order_line_type as order_line_type
from bizpilot.services.audit_trail import audit, plain
from bizpilot.services.auth import Principal
from bizpilot.services.policy import require_change
from bizpilot.services.record_input import MAX_ID, normalise, validate

HEADER = ("account_id", "is_guest", "kind", "status", "ordered_at", "currency", "country", "channel")
LINE_FIELDS = ("product_id", "line_type", "quantity", "unit_price", "discount")


def _account_id(session: Session, data: Mapping[str, Any], order: OrderCreate) -> int | None:
    if order.account_external_id is not None:
        found = session.scalar(select(Account.id).where(Account.external_id == order.account_external_id))
        if found is None:
            raise ValidationFailed(f"unknown account '{order.account_external_id}'",
                                   details=[{"field": "account_external_id", "reason": "unknown account",
                                             "value": order.account_external_id}])
        if data.get("account_id") not in (None, found):
            raise ValidationFailed("account_external_id and account_id name different accounts",
                                   details=[{"field": "account_id", "reason": "not the account of "
                                             "account_external_id", "value": data["account_id"]}])
        return int(found)
    value = data.get("account_id")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID \
            or session.get(Account, value) is None:
        raise ValidationFailed(f"unknown account id {value!r}",
                               details=[{"field": "account_id", "reason": "unknown account", "value": value}])
    return value


def _lines(session: Session, order: OrderCreate, kind: str) -> dict[int, dict[str, Any]]:
    """The order's lines by line number: numbered by position where the data gives none (as imports number
    them), each product found by SKU, each line type as the importer derives it."""
    skus = {line.sku for line in order.lines}
    products = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all()) \
        if skus else {}
    out: dict[int, dict[str, Any]] = {}
    for i, line in enumerate(order.lines):
        number = line.line_no or i + 1
        if number in out:
            raise ValidationFailed(f"line number {number} appears twice in order '{order.external_id}'",
                                   details=[{"field": f"lines.{i}.line_no", "reason": "duplicate line number",
                                             "value": number}])
        if line.sku not in products:
            raise ValidationFailed(f"unknown product '{line.sku}' on line {number} (import or create products first)",
                                   details=[{"field": f"lines.{i}.sku", "reason": "unknown product",
                                             "value": line.sku}])
        out[number] = {"product_id": products[line.sku],
                       "line_type": line.line_type or order_line_type(kind, line.quantity),
                       **{f: normalise(OrderLine, f, float(getattr(line, f)))
                          for f in ("quantity", "unit_price", "discount")}}
    return out


def _line_view(lines: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"line_no": n, **{f: plain(v[f]) for f in LINE_FIELDS}} for n, v in sorted(lines.items())]


def upsert_order(*, session: Session, external_id: str, data: Mapping[str, Any], principal: Principal,
                 channel: str) -> tuple[Order, bool, dict[str, list[Any]]]:
    """Create or update order ``external_id`` (header fields the data leaves out keep their stored values; given
    ``lines`` replace the stored ones). Returns the order, whether it is new, and ``{field: [old, new]}``."""
    raw = dict(data)
    if raw.get("external_id") not in (None, external_id):
        raise ValidationFailed(f"the body's external_id '{raw['external_id']}' is not the one in the path "
                               f"('{external_id}')", details=[{"field": "external_id", "reason": "differs from the "
                                                               "path", "value": raw["external_id"]}])
    unknown = sorted(set(raw) - set(OrderCreate.model_fields) - {"account_id"})
    if unknown:
        raise ValidationFailed(f"unknown field(s) for order: {', '.join(unknown)}",
                               details=[{"field": f, "reason": "unknown or read-only field"} for f in unknown])
    raw["external_id"] = external_id
    order = session.scalar(select(Order).where(Order.external_id == external_id))
    checked = {k: v for k, v in raw.items() if k != "account_id"}
    if order is not None and "ordered_at" not in checked:
        checked["ordered_at"] = order.ordered_at
    parsed = validate("orders", OrderCreate, checked)
    given = set(raw) | ({"account_id"} if "account_external_id" in raw else set())
    header = {f: normalise(Order, f, getattr(parsed, f)) for f in HEADER if hasattr(parsed, f)}
    header["account_id"] = _account_id(session, raw, parsed)
    header["is_guest"] = header["account_id"] is None
    kind = parsed.kind if order is None or "kind" in raw else order.kind
    lines = _lines(session, parsed, kind) if "lines" in raw or order is None else None
    if order is None:
        order = Order(external_id=external_id, **header)
        require_change(principal, session=session, record=order, what=f"a new order '{external_id}'")
        session.add(order)
        session.flush()
        for number, line in (lines or {}).items():
            session.add(OrderLine(order_id=order.id, line_no=number, **line))
        session.flush()
        changes = {k: [None, plain(v)] for k, v in header.items() if v is not None}
        if lines:
            changes["lines"] = [None, _line_view(lines)]
        audit(session=session, entity="orders", record_id=order.id, action="create", changes=changes,
              principal=principal, channel=channel)
        return order, True, changes
    require_change(principal, session=session, record=order, what=f"order '{external_id}'")
    changes: dict[str, list[Any]] = {}
    for name in HEADER:
        if (name in given or (name == "is_guest" and "account_id" in given)) \
                and plain(getattr(order, name)) != plain(header[name]):
            changes[name] = [plain(getattr(order, name)), plain(header[name])]
    if changes.get("account_id") and header["account_id"] is not None:
        require_change(principal, session=session, record=session.get(Account, header["account_id"]),
                       what=f"orders of account {header['account_id']}")
    if lines is not None:
        query = select(OrderLine).where(OrderLine.order_id == order.id)
        stored = {line.line_no: line for line in session.scalars(query)}
        before = {n: {f: getattr(line, f) for f in LINE_FIELDS} for n, line in stored.items()}
        if _line_view(before) != _line_view(lines):
            changes["lines"] = [_line_view(before), _line_view(lines)]
            for number, line in stored.items():
                if number not in lines:
                    session.delete(line)
            session.flush()  # free the removed line numbers before new lines take them
            for number, values in lines.items():
                if number in stored:
                    for f, v in values.items():
                        setattr(stored[number], f, v)
                else:
                    session.add(OrderLine(order_id=order.id, line_no=number, **values))
    if changes:
        for name in HEADER:
            if name in changes:
                setattr(order, name, header[name])
        session.flush()
        audit(session=session, entity="orders", record_id=order.id, action="update", changes=changes,
              principal=principal, channel=channel)
    return order, False, changes


__all__ = ["upsert_order"]
