"""Transactions frames (see `bizpilot.ml.scoring.features`) from a file or from the workspace database.

The models only ever see this frame, so a model trained on the workspace scores the workspace the same way the
evaluation CLI measures it on a file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Order, OrderLine, Product
from bizpilot.errors import RowError, ValidationFailed

MAX_REPORTED = 50
MAX_SKIPPED_SHARE = 0.001  # up to 0.1 % bad lines are skipped with a warning; more is an error
logger = logging.getLogger("bizpilot.intelligence")


def online_retail_transactions(path: str | Path) -> pd.DataFrame:
    """An Online Retail file (parquet, CSV(.gz), xlsx) as a transactions frame, plus ``description``.

    Guest rows (no CustomerID) are kept with ``account`` <NA> (forecasts use them; account models drop them);
    cancellations ('C' invoices) and negative quantities are returns. Bad rows raise ``ValidationFailed`` naming
    the first one's line and column (up to 0.1 % of a large file are skipped with a warning instead)."""
    from bizpilot.ingest.online_retail import prepare
    from bizpilot.ingest.readers import read_table

    path = Path(path)
    frame = read_table(path)
    lines, rejects = prepare(frame)
    if rejects and len(rejects) <= MAX_SKIPPED_SHARE * len(frame):
        # A handful of unusable lines in a large export are skipped (and named on the log), not fatal.
        first = rejects[0]
        logger.warning("%s: skipped %d bad row(s); first: line %s, column %r: %s", path, len(rejects), first.row,
                       first.field, first.reason)
    elif rejects:
        first = rejects[0]
        raise ValidationFailed(f"{path}: {len(rejects)} bad row(s); first: line {first.row}, column "
                               f"{first.field!r}: {first.reason}",
                               details=[r.to_dict() for r in rejects[:MAX_REPORTED]])
    if lines.empty:
        raise ValidationFailed(f"{path}: no rows")
    invoice = lines["invoice"].astype(str)
    tx = pd.DataFrame({
        "account": lines["customer"].astype(object).where(lines["customer"].notna(), None),
        "order": invoice.to_numpy(),
        "product": lines["sku"].astype(str).to_numpy(),
        "description": lines["description"].astype(object).to_numpy(),
        "ordered_at": lines["ordered_at"].to_numpy(),
        "quantity": lines["quantity"].to_numpy(dtype=float),
        "unit_price": lines["unit_price"].to_numpy(dtype=float),
        "is_return": (invoice.str.startswith("C") | (lines["quantity"] < 0)).to_numpy(),
        "country": lines["country"].astype(object).to_numpy(),
    })
    tx["amount"] = tx["quantity"] * tx["unit_price"]
    # Bad-debt adjustments ('A' invoices) are bookkeeping, not demand.
    return tx[~invoice.str.startswith("A").to_numpy()].reset_index(drop=True)


def account_transactions(tx: pd.DataFrame) -> pd.DataFrame:
    """Only the rows of known accounts (guest orders excluded), with ``account`` as text."""
    known = tx[tx["account"].notna()].copy()
    known["account"] = known["account"].astype(str)
    return known


def workspace_transactions(*, session: Session) -> pd.DataFrame:
    """All order lines of the workspace as a transactions frame (``account``/``product`` are database ids as
    text; ``product_name``/``category`` added). Cancellation and return lines count as returns."""
    stmt = (select(Order.id, Order.account_id, Order.ordered_at, Order.kind, Order.country, OrderLine.product_id,
                   OrderLine.line_type, OrderLine.quantity, OrderLine.unit_price, OrderLine.discount,
                   Product.name, Product.category)
            .join(OrderLine, OrderLine.order_id == Order.id).join(Product, Product.id == OrderLine.product_id))
    rows = session.execute(stmt).all()
    cols = ["order", "account_id", "ordered_at", "kind", "country", "product_id", "line_type", "quantity",
            "unit_price", "discount", "product_name", "category"]
    df = pd.DataFrame(rows, columns=cols)
    if df.empty:
        return pd.DataFrame(columns=["account", "order", "product", "ordered_at", "quantity", "amount", "is_return",
                                     "country", "product_name", "category"])
    quantity = df["quantity"].astype(float)
    # ``discount`` is a share of the line (0..1), as everywhere else (``domain/order.py``, the overview's revenue).
    amount = quantity * df["unit_price"].astype(float) * (1.0 - df["discount"].fillna(0).astype(float))
    is_return = (df["kind"] == "cancellation") | df["line_type"].isin(["cancellation", "return"]) | (quantity < 0)
    keep = df["kind"] != "adjustment"
    tx = pd.DataFrame({
        "account": df["account_id"].map(lambda v: None if pd.isna(v) else str(int(v))),
        "order": df["order"].astype(str),
        "product": df["product_id"].astype(int).astype(str),
        "ordered_at": pd.to_datetime(df["ordered_at"]),
        "quantity": quantity,
        "amount": amount,
        "is_return": is_return.to_numpy(dtype=bool),
        "country": df["country"],
        "product_name": df["product_name"],
        "category": df["category"],
    })
    return tx[keep.to_numpy()].reset_index(drop=True)


def outcome_labels(values: pd.Series, column: str) -> np.ndarray:
    """won/lost, 1/0, true/false, yes/no (any case) -> 1/0; ``ValidationFailed`` naming the first bad row."""
    mapping = {"won": 1, "win": 1, "1": 1, "1.0": 1, "true": 1, "yes": 1, "y": 1, "closed won": 1,
               "lost": 0, "loss": 0, "0": 0, "0.0": 0, "false": 0, "no": 0, "n": 0, "closed lost": 0}
    text = values.astype(str).str.strip().str.lower()
    mapped = text.map(mapping)
    bad = mapped.isna()
    if bad.any():
        idx = int(np.flatnonzero(bad.to_numpy())[0])
        errors = [RowError(row=int(i) + 2, field=column, reason="not an outcome (won/lost, 1/0, true/false)",
                           value=str(values.iat[i])) for i in np.flatnonzero(bad.to_numpy())[:MAX_REPORTED]]
        raise ValidationFailed(f"line {idx + 2}, column {column!r}: {values.iat[idx]!r} is not an outcome "
                               "(won/lost, 1/0, true/false)", details=[e.to_dict() for e in errors])
    return mapped.to_numpy(dtype=int)
