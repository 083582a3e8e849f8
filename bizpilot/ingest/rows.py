"""Turn raw cells into validated records with the entity's Create schema, collecting clear per-row errors."""

from __future__ import annotations

import json
import math
import re
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from bizpilot.errors import RowError
from bizpilot.ingest.readers import SOURCE_ROW, is_missing

_NUMBER_JUNK = re.compile(r"[\s,$€£¥￥%]|RMB|CNY|USD|EUR|GBP", re.IGNORECASE)
_TAG_SPLIT = re.compile(r"[,;|，；、]")
# What no business record holds: the file has a typo, a unit mix-up or an Excel serial number where a value belongs.
MAX_NUMBER = 1e12
MAX_QUANTITY = 1e9
QUANTITY_FIELDS = ("quantity", "stock_qty")
YEARS = (1900, 2100)
EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!"}


def _base_types(annotation: Any) -> set[type]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        out: set[type] = set()
        for arg in typing.get_args(annotation):
            out |= _base_types(arg)
        return out
    if origin is not None:
        return {origin}
    return {annotation} if isinstance(annotation, type) else set()


def field_kinds(schema: type[BaseModel]) -> dict[str, str]:
    """'number', 'datetime', 'bool', 'dict', 'list' or 'text' for each field, to pre-clean spreadsheet cells."""
    kinds: dict[str, str] = {}
    for name, info in schema.model_fields.items():
        types_ = _base_types(info.annotation)
        if types_ & {float, int} and bool not in types_:
            kinds[name] = "number"
        elif types_ & {datetime, date}:
            kinds[name] = "datetime"
        elif bool in types_:
            kinds[name] = "bool"
        elif dict in types_:
            kinds[name] = "dict"
        elif list in types_:
            kinds[name] = "list"
        else:
            kinds[name] = "text"
    return kinds


def required_fields(schema: type[BaseModel]) -> list[str]:
    return [name for name, info in schema.model_fields.items() if info.is_required()]


def _clean_cell(value: Any, kind: str) -> Any:
    if kind == "number" and isinstance(value, str):
        cleaned = _NUMBER_JUNK.sub("", value)
        return cleaned if cleaned else value
    if kind == "datetime":
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
        if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
            parsed = pd.to_datetime(value, errors="coerce", format="mixed")
            return value if pd.isna(parsed) else parsed.to_pydatetime()
    if kind == "dict" and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if kind == "list" and isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
        return [t.strip() for t in _TAG_SPLIT.split(text) if t.strip()]
    if kind == "text" and not isinstance(value, str):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return value


def implausible(name: str, value: Any) -> str | None:
    """Why a value that passed the schema still cannot be right (infinite, 1e12 units, the year 1700 or 9999)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return "the number is not finite"
        limit = MAX_QUANTITY if name in QUANTITY_FIELDS else MAX_NUMBER
        if abs(value) > limit:
            return f"{value:g} is beyond ±{limit:g}: a typo or a unit mix-up?"
    if isinstance(value, date) and not YEARS[0] <= value.year <= YEARS[1]:
        return f"the year {value.year} is outside {YEARS[0]}-{YEARS[1]}: a typo or a wrong date format?"
    return None


@dataclass
class ValidRow:
    """A row that passed validation: all schema fields (defaults filled) and which ones the file provided."""

    source_row: int
    data: dict[str, Any]
    present: set[str]


def validate_rows(frame: pd.DataFrame, schema: type[BaseModel], mapping: dict[str, str],
                  attr_columns: dict[str, str] | None = None) -> tuple[list[ValidRow], list[RowError]]:
    """Validate each row. Blank cells count as absent so schema defaults apply; an error names the row, the
    field and (where they differ) the source column."""
    kinds = field_kinds(schema)
    attr_columns = attr_columns or {}
    fields = list(mapping)
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    columns = {f: frame[mapping[f]].tolist() for f in fields}
    attr_values = {a: frame[col].tolist() for a, col in attr_columns.items()}
    source_rows = frame[SOURCE_ROW].tolist()
    for i, source_row in enumerate(source_rows):
        raw: dict[str, Any] = {}
        excel_errors: list[str] = []
        for f in fields:
            v = columns[f][i]
            if isinstance(v, str) and v.strip() in EXCEL_ERRORS:
                raw[f] = v
                excel_errors.append(f)
            elif not is_missing(v):
                raw[f] = _clean_cell(v, kinds.get(f, "text"))
        if attr_values:
            attrs = dict(raw.get("attributes") or {}) if isinstance(raw.get("attributes"), dict) else {}
            for a, vals in attr_values.items():
                if not is_missing(vals[i]):
                    attrs[a] = vals[i] if not hasattr(vals[i], "item") else vals[i].item()
            if attrs:
                raw["attributes"] = attrs
        try:
            model = schema.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else "(row)"
                column = mapping.get(name, name)
                label = name if column == name else f"{name} (column '{column}')"
                reason = err["msg"]
                if err["type"] == "missing":
                    reason = "required value is missing"
                errors.append(RowError(row=int(source_row), field=label, reason=reason,
                                       value=raw.get(name)))
            continue
        data = model.model_dump()
        problems = [(f, f"the cell shows the Excel error {raw[f]}; fix the formula or the value")
                    for f in excel_errors]
        problems += [(f, why) for f, v in data.items() if f in raw and (why := implausible(f, v))]
        if problems:
            for name, why in problems:
                column = mapping.get(name, name)
                label = name if column == name else f"{name} (column '{column}')"
                errors.append(RowError(row=int(source_row), field=label, reason=why, value=raw.get(name)))
            continue
        valid.append(ValidRow(int(source_row), data, set(raw)))
    return valid, errors
