"""Demand forecasts of the workspace as training computed them: weekly quantity per product with intervals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Product
from bizpilot.errors import NotFoundError
from bizpilot.services.intelligence.specs import FORECAST
from bizpilot.services.models.access import outputs, require_ready


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


def product_forecasts(*, session: Session, top: int = 20, product_id: int | None = None) -> list[ProductForecast]:
    """Forecasts of the ``top`` products by quantity sold (or of one product) for the model's horizon."""
    run = require_ready(session=session, spec=FORECAST)
    if product_id is not None:
        rows = outputs(session=session, spec=FORECAST, subject="product", subject_id=product_id)
        if not rows:
            raise NotFoundError(f"product {product_id} has no sales to forecast",
                                details=[{"field": "product_id", "reason": "no sales", "value": product_id}])
    else:
        rows = outputs(session=session, spec=FORECAST, subject="product", order="-score", limit=top)
    products = {pid: (sku, name) for pid, sku, name in session.execute(
        select(Product.id, Product.sku, Product.name).where(Product.id.in_([r.subject_id for r in rows]))).all()}
    method = str(run.metrics.get("method", ""))
    level = float(run.metrics.get("level", 0.8))
    backtest = {k: round(float(v), 3) for k, v in (run.metrics.get("backtest_mase") or {}).items()
                if isinstance(v, int | float)}
    out = []
    for r in rows:
        sku, name = products.get(r.subject_id, (str(r.subject_id), str(r.subject_id)))
        p = r.payload
        out.append(ProductForecast(product_id=int(r.subject_id), sku=sku, name=name,
                                   history_weeks=p["history_weeks"], history=p["history"], weeks=p["weeks"],
                                   mean=p["mean"], lower=p["lower"], upper=p["upper"], method=method, level=level,
                                   total_next=p["total_next"], backtest_mase=backtest))
    return out


__all__ = ["ProductForecast", "product_forecasts"]
