"""Demand forecasts of the workspace: weekly quantity per product (the top sellers) with intervals, and per
account-product for reorder planning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Product
from bizpilot.errors import NotFoundError
from bizpilot.services.intelligence.data import workspace_transactions
from bizpilot.services.intelligence.models import load_model


@dataclass
class ProductForecast:
    product_id: int
    sku: str
    name: str
    history_weeks: list[str]
    history: list[float]
    weeks: list[str]
    mean: list[float]
    lower: list[float]
    upper: list[float]
    method: str
    level: float
    total_next: float = 0.0
    backtest_mase: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def product_forecasts(session: Session, *, top: int = 20, product_id: int | None = None,
                      history_weeks: int = 26) -> list[ProductForecast]:
    """Forecasts for the ``top`` products by quantity sold (or one product), next ``horizon`` weeks."""
    from bizpilot.ml.forecast import weekly_matrix

    weeks = weekly_matrix(workspace_transactions(session))
    if weeks.empty:
        return []
    if product_id is not None:
        if str(product_id) not in weeks.index:
            raise NotFoundError(f"product {product_id} has no sales to forecast")
        chosen = [str(product_id)]
    else:
        chosen = list(weeks.sum(axis=1).sort_values(ascending=False, kind="mergesort").index[:top])
    model = load_model(session, name="forecast")
    y = weeks.loc[chosen].to_numpy(dtype=float)
    fc = model.predict(y)
    last = weeks.columns[-1]
    future = [(last + pd.Timedelta(days=7 * (i + 1))).date().isoformat() for i in range(model.horizon)]
    past = [c.date().isoformat() for c in weeks.columns[-history_weeks:]]
    products = {str(pid): (sku, name) for pid, sku, name in session.execute(
        select(Product.id, Product.sku, Product.name).where(Product.id.in_([int(c) for c in chosen]))).all()}
    out = []
    for i, pid in enumerate(chosen):
        sku, name = products.get(pid, (pid, pid))
        out.append(ProductForecast(product_id=int(pid), sku=sku, name=name, history_weeks=past,
                                   history=[round(float(v), 2) for v in y[i, -history_weeks:]], weeks=future,
                                   mean=np.round(fc.mean[i], 2).tolist(), lower=np.round(fc.lower[i], 2).tolist(),
                                   upper=np.round(fc.upper[i], 2).tolist(), method=model.describe(),
                                   level=model.level, total_next=round(float(fc.mean[i].sum()), 2),
                                   backtest_mase={k: round(v, 3) for k, v in model.backtest_.items()}))
    return out
