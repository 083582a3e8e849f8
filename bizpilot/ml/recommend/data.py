"""Readers for the recommendation eval formats: each returns an ``Interactions`` frame-like bundle and names the
file, line and column of anything it cannot read.

* ``movielens``: the ml-100k folder (``u.data`` tab-separated ``user item rating timestamp``; the official
  ``u1..u5.base/test`` folds are read by ``movielens_folds``); ``u.item`` gives titles and genres.
* ``csv``: a file (gzip ok) with columns ``user_id,item_id,rating`` (optional ``timestamp``).
* ``online-retail``: the UCI Online Retail parquet/CSV: implicit purchases of customers x stock codes (sale lines
  with a customer id and a positive quantity; values = number of invoices with the item).
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bizpilot.errors import NotFoundError, RowError, UnsupportedFormat, ValidationFailed

FORMATS = ("movielens", "csv", "online-retail")


@dataclass
class Interactions:
    """Parallel arrays of one interaction set; ``timestamp`` is seconds since the epoch (NaN when unknown)."""

    users: np.ndarray
    items: np.ndarray
    values: np.ndarray
    timestamp: np.ndarray
    explicit: bool
    source: str

    def __len__(self) -> int:
        return int(self.users.size)

    def subset(self, idx: np.ndarray) -> Interactions:
        return Interactions(self.users[idx], self.items[idx], self.values[idx], self.timestamp[idx], self.explicit,
                            self.source)


def _ml_file(path: Path) -> Interactions:
    try:
        frame = pd.read_csv(path, sep="\t", header=None, names=["user", "item", "rating", "ts"], dtype=str)
    except (OSError, pd.errors.ParserError) as exc:
        raise ValidationFailed(f"{path}: cannot read as tab-separated ratings ({exc})") from None
    return _checked(frame, path, {"user": "user", "item": "item", "rating": "rating", "ts": "ts"}, explicit=True,
                    line_offset=1)


def _checked(frame: pd.DataFrame, path: Path, cols: dict[str, str], *, explicit: bool,
             line_offset: int) -> Interactions:
    """Validate columns: ids present, ratings numeric; errors name line and column."""
    errors: list[RowError] = []
    for key in ("user", "item", "rating"):
        col = cols[key]
        series = frame[col]
        bad = series.isna() | (series.astype(str).str.strip() == "")
        if key == "rating":
            numeric = pd.to_numeric(series, errors="coerce")
            bad = bad | numeric.isna() | ~np.isfinite(numeric.fillna(0))
        for pos in np.flatnonzero(bad.to_numpy())[:5]:
            errors.append(RowError(row=int(pos) + line_offset, field=col,
                                   reason="missing" if key != "rating" else "not a number",
                                   value=None if pd.isna(series.iloc[pos]) else str(series.iloc[pos])))
    if errors:
        first = errors[0]
        raise ValidationFailed(f"{path}: line {first.row}, column {first.field!r}: {first.reason}",
                               details=[e.to_dict() for e in errors])
    ts_col = cols.get("ts")
    ts = (pd.to_numeric(frame[ts_col], errors="coerce").to_numpy(dtype=np.float64) if ts_col in frame
          else np.full(len(frame), np.nan))
    users = frame[cols["user"]].astype(str).str.strip().to_numpy()
    items = frame[cols["item"]].astype(str).str.strip().to_numpy()
    users_arr, items_arr = _maybe_int(users), _maybe_int(items)
    return Interactions(users_arr, items_arr, pd.to_numeric(frame[cols["rating"]]).to_numpy(dtype=np.float64), ts,
                        explicit, str(path))


def _maybe_int(values: np.ndarray) -> np.ndarray:
    try:
        as_int = values.astype(np.int64)
    except (ValueError, OverflowError):
        return values.astype(str)
    return as_int if np.array_equal(as_int.astype(str), values) else values.astype(str)


def read_movielens(path: Path) -> Interactions:
    """All ratings of an ml-100k folder (``u.data``)."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"data not found: {path}")
    data = path / "u.data" if path.is_dir() else path
    if not data.is_file():
        raise ValidationFailed(f"{path}: no u.data in this folder (--format movielens takes the ml-100k folder)")
    return _ml_file(data)


def movielens_folds(path: Path) -> list[tuple[Interactions, Interactions]] | None:
    """The official u1..u5 (base, test) pairs of an ml-100k folder, or None when the folder lacks them."""
    path = Path(path)
    if not path.is_dir():
        return None
    names = [(path / f"u{i}.base", path / f"u{i}.test") for i in range(1, 6)]
    if not all(b.is_file() and t.is_file() for b, t in names):
        return None
    return [(_ml_file(b), _ml_file(t)) for b, t in names]


def read_ratings_csv(path: Path) -> Interactions:
    """``user_id,item_id,rating[,timestamp]`` (gzip ok)."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"data file not found: {path}")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError as exc:
            raise ValidationFailed(f"{path}: damaged gzip ({exc})") from None
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ValidationFailed(f"{path}: not a readable CSV ({exc})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("user_id", "item_id", "rating") if c not in frame.columns]
    if missing:
        raise ValidationFailed(f"{path}: missing column(s) {', '.join(missing)} (have: {', '.join(frame.columns)}); "
                               "--format csv needs user_id,item_id,rating",
                               details=[RowError(row=1, field=c, reason="missing column").to_dict() for c in missing])
    if frame.empty:
        raise ValidationFailed(f"{path}: no rows")
    cols = {"user": "user_id", "item": "item_id", "rating": "rating", "ts": "timestamp"}
    return _checked(frame, path, cols, explicit=True, line_offset=2)


def read_online_retail(path: Path) -> Interactions:
    """Customers x stock codes from UCI Online Retail (parquet or CSV/CSV.gz): sale lines with a customer and a
    positive quantity; value = number of invoices holding the item; timestamp = first purchase."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.parquet")) or sorted(path.glob("*.csv*"))
        if not found:
            raise ValidationFailed(f"{path}: no parquet or CSV file in this folder")
        path = found[0]
    if not path.is_file():
        raise NotFoundError(f"data file not found: {path}")
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
    except Exception as exc:  # noqa: BLE001 - pyarrow/pandas raise many types; report them uniformly
        raise ValidationFailed(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None
    need = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "CustomerID"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValidationFailed(f"{path}: missing column(s) {', '.join(missing)}",
                               details=[RowError(row=1, field=c, reason="missing column").to_dict() for c in missing])
    cust = frame["CustomerID"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    qty = pd.to_numeric(frame["Quantity"], errors="coerce")
    keep = (~frame["InvoiceNo"].astype(str).str.startswith("C") & (qty > 0) & ~cust.isin(["", "nan", "None", "<NA>"]))
    sub = pd.DataFrame({"user": cust[keep], "item": frame.loc[keep, "StockCode"].astype(str).str.strip().str.upper(),
                        "invoice": frame.loc[keep, "InvoiceNo"].astype(str),
                        "ts": pd.to_datetime(frame.loc[keep, "InvoiceDate"], errors="coerce")})
    sub = sub.dropna(subset=["ts"])
    if sub.empty:
        raise ValidationFailed(f"{path}: no sale lines with a customer id")
    grouped = sub.groupby(["user", "item"], sort=False).agg(n=("invoice", "nunique"), ts=("ts", "min")).reset_index()
    ts = (grouped["ts"].astype("datetime64[s]").astype("int64")).to_numpy(dtype=np.float64)
    return Interactions(_maybe_int(grouped["user"].to_numpy().astype(str)), grouped["item"].to_numpy().astype(str),
                        grouped["n"].to_numpy(dtype=np.float64), ts, False, str(path))


def read_interactions(path: Path, fmt: str) -> Interactions:
    fmt = fmt.lower()
    if fmt == "movielens":
        return read_movielens(path)
    if fmt == "csv":
        return read_ratings_csv(path)
    if fmt == "online-retail":
        return read_online_retail(path)
    raise UnsupportedFormat(f"unsupported --format {fmt!r} for eval recommend; one of: {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Interactions", "movielens_folds", "read_interactions", "read_movielens",
           "read_online_retail", "read_ratings_csv"]
