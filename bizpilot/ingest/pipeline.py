"""The generic import: read -> map columns -> validate rows -> dedupe -> resolve references -> write once.

Bad rows go to a rejects file with their row number, field and reason. ``strict`` writes nothing when any row
is bad. Otherwise the good rows are written in one transaction, so an import killed half-way leaves the
database as it was.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine

from bizpilot.config import get_settings
from bizpilot.db.engine import get_engine
from bizpilot.domain import Order, OrderLine
from bizpilot.errors import ImportRejected, RowError, ValidationFailed
from bizpilot.ingest.mapping import load_mapping_file, normalise_header, resolve_columns
from bizpilot.ingest.owners import OWNER_COLUMN, resolve_owners
from bizpilot.ingest.quality import outlier_mask
from bizpilot.ingest.readers import SOURCE_ROW, SourceTable, read_source
from bizpilot.ingest.report import ImportReport, write_issue_file
from bizpilot.ingest.rows import ValidRow, required_fields, validate_rows
from bizpilot.ingest.specs import (
    ACCOUNT_REF,
    IMPORTABLE,
    PRODUCT_REF,
    SPECS,
    EntitySpec,
    OrderRow,
    Reference,
)
from bizpilot.ingest.writer import Progress, TableWrite, key_to_id, upsert

ATTR_PREFIXES = ("attr:", "attr_", "attribute:", "attributes.", "属性:")
OUTLIER_FIELDS = ("price", "amount", "quantity", "unit_price")


def default_report_path(entity: str, kind: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return get_settings().reports_dir / "imports" / f"{stamp}-{entity}-{kind}.csv"


def _attr_columns(headers: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for h in headers:
        for prefix in ATTR_PREFIXES:
            if h.lower().startswith(prefix) and len(h) > len(prefix):
                out[h[len(prefix):].strip()] = h
    return out


def _dedupe(rows: list[ValidRow], key_of: Any, rejects: list[RowError]) -> tuple[list[ValidRow], int]:
    """Keep the last row per natural key. Exact repeats are counted; conflicting earlier rows are rejected with
    the row that superseded them, so nothing disappears silently."""
    last: dict[Any, ValidRow] = {}
    repeats = 0
    for row in rows:
        key = key_of(row)
        prev = last.get(key)
        if prev is not None:
            if prev.data == row.data:
                repeats += 1
            else:
                rejects.append(RowError(prev.source_row, "(natural key)",
                                        f"duplicate key {key!r}; superseded by row {row.source_row}", key))
        last[key] = row
    return list(last.values()), repeats


def _resolve(conn: Connection, rows: list[ValidRow], refs: tuple[Reference, ...],
             rejects: list[RowError]) -> list[tuple[ValidRow, dict[str, int | None]]]:
    """Turn natural-key references into foreign keys; an unknown reference rejects the row and says which."""
    lookups = {ref.field: key_to_id(conn, ref.model, ref.key) for ref in refs
               if any(r.data.get(ref.field) is not None for r in rows)}
    out = []
    for row in rows:
        ids: dict[str, int | None] = {}
        ok = True
        for ref in refs:
            value = row.data.get(ref.field)
            if value is None:
                ids[ref.column] = None
                continue
            found = lookups.get(ref.field, {}).get(str(value))
            if found is None:
                rejects.append(RowError(row.source_row, ref.field,
                                        f"unknown {ref.label} '{value}' (import {ref.label}s first)", value))
                ok = False
            ids[ref.column] = found
        if ok:
            out.append((row, ids))
    return out


def _flag_outliers(rows: list[ValidRow], fields: tuple[str, ...]) -> list[RowError]:
    flags: list[RowError] = []
    for f in fields:
        values = pd.Series([r.data.get(f) for r in rows], dtype="float64")
        for idx in outlier_mask(values).nonzero()[0]:
            flags.append(RowError(rows[idx].source_row, f, "unusual value (robust z > 6 on log scale); imported",
                                  rows[idx].data.get(f)))
    return flags


def _entity_writes(conn: Connection, spec: EntitySpec, rows: list[ValidRow], present: set[str],
                   rejects: list[RowError]) -> list[TableWrite]:
    resolved = _resolve(conn, rows, spec.references, rejects)
    ref_fields = {r.field for r in spec.references}
    columns = [c for c in spec.model.__table__.c.keys() if c != "id"]
    fields = [*spec.schema.model_fields, *((OWNER_COLUMN,) if spec.owned else ())]
    value_fields = [f for f in fields if f in present and f not in ref_fields and f in columns]
    ref_columns = [r.column for r in spec.references if r.field in present]
    records = []
    for row, ids in resolved:
        rec = {spec.key: row.data[spec.key]}
        rec.update({f: row.data[f] for f in value_fields if f != spec.key})
        rec.update({c: ids[c] for c in ref_columns})
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=[spec.key, *[f for f in value_fields if f != spec.key],
                                                        *ref_columns])
    return [TableWrite(spec.model, (spec.key,), frame, spec.json_columns)]


def _order_line_type(kind: str, quantity: float) -> str:
    if kind == "sale":
        return "sale" if quantity >= 0 else "return"
    return kind


def _order_writes(conn: Connection, rows: list[ValidRow], present: set[str], rejects: list[RowError],
                  flags: list[RowError]) -> tuple[TableWrite, int, pd.DataFrame]:
    """Flat order lines -> orders (header from each order's first line) + lines keyed by (order, line_no).

    Lines come back with the order's natural key; their ``order_id`` is known only once orders are written."""
    seq: dict[str, int] = {}
    for row in rows:
        oid = row.data["external_id"]
        seq[oid] = seq.get(oid, 0) + 1
        if row.data.get("line_no") is None:
            row.data["line_no"] = seq[oid]
    rows, repeats = _dedupe(rows, lambda r: (r.data["external_id"], r.data["line_no"]), rejects)
    resolved = _resolve(conn, rows, (ACCOUNT_REF, PRODUCT_REF), rejects)
    resolved_rows = {id(r) for r, _ in resolved}
    bad_orders = {r.data["external_id"] for r in rows if id(r) not in resolved_rows}
    for row, _ in resolved:
        if row.data["external_id"] in bad_orders:
            rejects.append(RowError(row.source_row, "external_id",
                                    f"order '{row.data['external_id']}' has rejected lines; whole order skipped",
                                    row.data["external_id"]))
    header_cols = [c for c in ("kind", "status", "ordered_at", "currency", "country", "channel")
                   if c in present or c in ("kind", "status", "ordered_at")]
    flagged: dict[int, list[str]] = {}
    for f in flags:
        flagged.setdefault(f.row, []).append(f.field)
    headers: dict[str, dict[str, Any]] = {}
    lines = []
    for row, ids in resolved:
        oid = row.data["external_id"]
        if oid in bad_orders:
            continue
        if oid not in headers:
            headers[oid] = {"external_id": oid, **{c: row.data[c] for c in header_cols},
                            "account_id": ids["account_id"], "is_guest": ids["account_id"] is None}
        line_type = row.data.get("line_type") or _order_line_type(headers[oid]["kind"], row.data["quantity"])
        outliers = flagged.get(row.source_row)
        lines.append({"order_external_id": oid, "line_no": row.data["line_no"], "product_id": ids["product_id"],
                      "line_type": line_type, "quantity": row.data["quantity"],
                      "unit_price": row.data["unit_price"], "discount": row.data.get("discount") or 0.0,
                      "flags": {"outlier": outliers} if outliers else None})
    return TableWrite(Order, ("external_id",), pd.DataFrame(list(headers.values()))), repeats, pd.DataFrame(lines)


def write_order_lines(conn: Connection, lines: pd.DataFrame, progress: Progress | None = None) -> dict[str, int]:
    """Write lines that carry their order's natural key (``order_external_id``) once the orders exist."""
    if lines.empty:
        return {"inserted": 0, "updated": 0, "unchanged": 0}
    lines = lines.copy()
    lines["order_id"] = lines.pop("order_external_id").map(key_to_id(conn, Order, "external_id"))
    write = TableWrite(OrderLine, ("order_id", "line_no"), lines, json_columns=("flags",))
    return upsert(conn, write, progress=progress).as_dict()


def import_file(entity: str, path: str | Path, *, mapping_file: str | Path | None = None, strict: bool = False,
                rejects_path: str | Path | None = None, engine: Engine | None = None,
                progress: Progress | None = None, encoding: str | None = None) -> ImportReport:
    """Import ``path`` into ``entity`` (accounts, contacts, products, orders, interactions, opportunities,
    knowledge). Raises :class:`ImportRejected` in strict mode when any row is bad (nothing written).
    ``encoding`` overrides the detected encoding of a text file."""
    path = Path(path)
    if entity not in IMPORTABLE:
        raise ValidationFailed(f"unknown entity '{entity}'; choose one of {', '.join(IMPORTABLE)}")
    explicit = load_mapping_file(mapping_file) if mapping_file else None
    table = read_source(path, encoding=encoding)
    return import_frame(entity, table.frame, source=str(path), mapping=explicit, strict=strict,
                        rejects_path=rejects_path, engine=engine, progress=progress, read=table)


def import_frame(entity: str, frame: pd.DataFrame, *, source: str, mapping: dict[str, str | None] | None = None,
                 strict: bool = False, rejects_path: str | Path | None = None, engine: Engine | None = None,
                 progress: Progress | None = None, read: SourceTable | None = None) -> ImportReport:
    """Import an in-memory table (uploads, the demo generator). ``frame`` may carry ``__source_row__``;
    otherwise rows are numbered as a CSV with a header line would be. ``read`` is how the file was read: the rows
    its reader set aside are rejects of this import, its notes and encoding go into the report."""
    if entity not in IMPORTABLE:
        raise ValidationFailed(f"unknown entity '{entity}'; choose one of {', '.join(IMPORTABLE)}")
    started = time.perf_counter()
    engine = engine or get_engine()
    if SOURCE_ROW not in frame.columns:
        frame = frame.reset_index(drop=True).assign(**{SOURCE_ROW: range(2, 2 + len(frame))})
    name = Path(source).name
    report = ImportReport(entity=entity, source=source, rows_read=len(frame), strict=strict)
    read_rejects: list[RowError] = []
    if read is not None:
        read_rejects = list(read.rejects)
        report.rows_read += len({r.row for r in read_rejects})
        if read.encoding is not None:
            report.encoding = f"{read.encoding.label} ({read.encoding.how})"
            if not read.encoding.plain:  # plain UTF-8 goes without saying (it is in report.encoding)
                report.notes.append(read.encoding.describe())
        report.notes.extend(read.notes)
    if frame.empty and not read_rejects:
        report.notes.append(f"{name} has a header but no data rows: nothing to import")
    schema = OrderRow if entity == "orders" else SPECS[entity].schema
    headers = [c for c in frame.columns if c != SOURCE_ROW]
    explicit = mapping
    attr_cols = _attr_columns(headers) if entity == "products" else {}
    mapping, unused = resolve_columns(entity, [h for h in headers if h not in attr_cols.values()],
                                      set(schema.model_fields), explicit)
    report.mapping, report.unused_columns = mapping, unused
    spec = SPECS.get(entity)
    needed = [f for f in required_fields(schema) if not (spec and f == spec.key and spec.derive_key)]
    missing = [f for f in needed if f not in mapping]
    if missing:
        raise ValidationFailed(
            f"{name}: no column for required field(s) {', '.join(missing)}; file columns are "
            f"{', '.join(headers)} (use --mapping to name them)",
            details=[{"field": f, "reason": "no matching column"} for f in missing])
    valid, rejects = validate_rows(frame, schema, mapping, attr_cols)
    rejects = read_rejects + rejects
    present = set(mapping) | ({"attributes"} if attr_cols else set())
    if spec is not None:
        for row in valid:
            if not row.data.get(spec.key):
                row.data[spec.key] = spec.derive_key(row.data) if spec.derive_key else None
        present.add(spec.key)
        valid, report.duplicates_in_file = _dedupe(valid, lambda r: r.data[spec.key], rejects)
    flags = _flag_outliers(valid, tuple(f for f in OUTLIER_FIELDS if f in present))
    report.outliers_flagged = len(flags)
    with engine.begin() as conn:
        lines: pd.DataFrame | None = None
        if spec is None:
            order_write, report.duplicates_in_file, lines = _order_writes(conn, valid, present, rejects, flags)
            writes = [order_write]
        else:
            if spec.owned:  # an owner column names users: owner_id (ingest/owners.py)
                valid = resolve_owners(conn, valid, present, rejects, report.notes, unknown=spec.owned)
            writes = _entity_writes(conn, spec, valid, present, rejects)
        report.rejected = len({r.row for r in rejects})
        if rejects:
            target = Path(rejects_path) if rejects_path else default_report_path(entity, "rejects")
            report.rejects_path = str(write_issue_file(target, rejects, frame,
                                                       read.originals if read is not None else None))
        if flags:
            report.outliers_path = str(write_issue_file(default_report_path(entity, "outliers"), flags, frame))
        if strict and rejects:
            conn.rollback()
            raise rejected(report, name, rejects, started)
        for write in writes:
            report.tables[write.model.__tablename__] = upsert(conn, write, progress=progress).as_dict()
        if lines is not None:
            report.tables["order_lines"] = write_order_lines(conn, lines, progress)
    report.seconds = time.perf_counter() - started
    return report


def rejected(report: ImportReport, name: str, rejects: list[RowError], started: float) -> ImportRejected:
    """The error a strict import raises; it carries the report so callers can log the run."""
    report.status = "rejected"
    report.seconds = time.perf_counter() - started
    exc = ImportRejected(f"{report.rejected} bad row(s) in {name}; strict mode wrote nothing. "
                         f"Reasons: {report.rejects_path}", details=[r.to_dict() for r in rejects[:50]])
    exc.report = report
    return exc


__all__ = ["import_file", "ImportReport", "normalise_header"]
