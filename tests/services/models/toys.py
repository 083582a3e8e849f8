"""A tiny model and tiny specs for the model store's mechanics: the toy learns the product prices of the workspace
(so its data is one table the test controls) and outputs one row per product; parameters make it fail, skip, wait
for the test, or report a chosen quality."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Product
from bizpilot.errors import InsufficientData
from bizpilot.ml.base import Estimator
from bizpilot.services.models.spec import ModelSpec, Output, Progress, Trained


class PriceModel(Estimator):
    """Remembers the prices it saw (times ``scale``); counts how often a file of it is read."""

    reads = 0
    reads_lock = threading.Lock()
    read_delay_s = 0.0  # a slow read, so concurrent loads overlap

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def fit(self, prices: list[float]) -> PriceModel:
        self.prices_ = np.asarray(prices, dtype=float) * self.scale
        return self

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        with PriceModel.reads_lock:
            PriceModel.reads += 1
        if PriceModel.read_delay_s:
            threading.Event().wait(PriceModel.read_delay_s)
        super()._set_state(meta, arrays)


class Gate:
    """Holds a toy training until the test opens it (``started`` tells the test it is inside)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.opened = threading.Event()

    def hold(self) -> None:
        self.started.set()
        if not self.opened.wait(timeout=60):
            raise TimeoutError("the test never opened the gate")


def prices(session: Session) -> list[tuple[int, float]]:
    return [(int(i), float(p)) for i, p in session.execute(select(Product.id, Product.price)
                                                           .where(Product.price.is_not(None))
                                                           .order_by(Product.id)).all()]


def train_prices(*, session: Session, as_of: datetime, progress: Progress, fail: str | None = None,
                 quality: float = 0.8, scale: float = 1.0, gate: Gate | None = None, late_gate: Gate | None = None,
                 **_: Any) -> Trained:
    if gate is not None:
        gate.hold()
    rows = prices(session)
    if not rows:
        raise InsufficientData("no priced products to learn from")
    if fail:
        raise RuntimeError(fail)
    progress(0.5, "fitting")
    if late_gate is not None:
        late_gate.hold()
    model = PriceModel(scale=scale).fit([p for _, p in rows])
    outputs = [Output("product", pid, score=price, payload={"price": price}) for pid, price in rows]
    return Trained(model, {"quality": quality, "mean_price": float(np.mean([p for _, p in rows]))},
                   n_rows=len(rows), outputs=outputs, reference=pd.DataFrame({"price": [p for _, p in rows]}))


def price_drift(*, session: Session, as_of: datetime) -> pd.DataFrame:
    return pd.DataFrame({"price": [p for _, p in prices(session)]})


def train_nothing(*, session: Session, as_of: datetime, progress: Progress, **_: Any) -> Trained:
    """A spec without a file (its artifact lives in the database, like the reorder view)."""
    rows = prices(session)
    return Trained(None, {"n": len(rows)}, n_rows=len(rows), params={"kind": "view"},
                   outputs=[Output("workspace", None, payload={"n": len(rows)})])


PRICES = ModelSpec(name="prices", title="Prices", summary="toy: the prices of the workspace", train=train_prices,
                   estimator=PriceModel, version="3", inputs=(Product,), key_metrics={"quality": "higher"},
                   drift=price_drift)
VIEW = ModelSpec(name="view", title="View", summary="toy: no file", train=train_nothing, inputs=(Product,),
                 depends_on=("prices",))


def add_products(session: Session, prices_: list[float], *, prefix: str = "P") -> None:
    start = session.query(Product).count()
    session.add_all([Product(sku=f"{prefix}-{start + i}", name=f"Product {start + i}", price=price)
                     for i, price in enumerate(prices_)])
    session.flush()


__all__ = ["PRICES", "VIEW", "Gate", "PriceModel", "add_products", "price_drift", "prices", "train_nothing",
           "train_prices"]
