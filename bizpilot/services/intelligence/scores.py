"""Scores of the workspace: segments, repurchase propensity with factors, reorder propensity per product, win
probability of open opportunities with factors. Every score carries its factors (or its numbers) and the method
that produced it, so a fallback is visible."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Product
from bizpilot.ml.segment import SEGMENT_BY_KEY, SEGMENTS
from bizpilot.services.intelligence.data import account_transactions, workspace_transactions
from bizpilot.services.intelligence.models import WINPROB_FEATURES, asof_date, load_model, opportunity_frame


def segment_definitions(lang: str = "en") -> list[dict[str, Any]]:
    """Every named segment with its rule and suggested action (shown next to the segment)."""
    return [{"key": s.key, "name": s.name_zh if lang == "zh" else s.name, "definition": s.definition,
             "action": s.action} for s in SEGMENTS]


def segments(session: Session, *, tx: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per account (id as text): recency_days, frequency, monetary, r, f, m, rfm, segment."""
    from bizpilot.ml.segment import rfm_values

    tx = account_transactions(workspace_transactions(session) if tx is None else tx)
    model = load_model(session, name="segments")
    return model.transform(rfm_values(tx, asof_date(tx)))


def segment_summary(session: Session, *, lang: str = "en") -> list[dict[str, Any]]:
    seg = segments(session)
    counts = seg.groupby("segment").agg(accounts=("rfm", "size"), revenue=("monetary", "sum"))
    return [{**d, "accounts": int(counts.loc[d["key"], "accounts"]) if d["key"] in counts.index else 0,
             "revenue": float(counts.loc[d["key"], "revenue"]) if d["key"] in counts.index else 0.0}
            for d in segment_definitions(lang)]


def churn_scores(session: Session, *, tx: pd.DataFrame | None = None, k: int = 3) -> pd.DataFrame:
    """Per account: probability of buying within the model's horizon, factors, method."""
    tx = account_transactions(workspace_transactions(session) if tx is None else tx)
    model = load_model(session, name="churn")
    if tx.empty:
        return pd.DataFrame(columns=["probability", "positive", "negative", "method"])
    out = model.score(tx, asof_date(tx), k=k)
    out["horizon_days"] = model.horizon_days
    return out


def reorder_list(session: Session, *, account_id: int, horizon_days: int = 30, limit: int = 10,
                 tx: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The account's products most likely to be reordered within ``horizon_days`` (with cycle and due date)."""
    from bizpilot.ml.scoring.propensity import product_propensity

    tx = account_transactions(workspace_transactions(session) if tx is None else tx)
    prop = product_propensity(tx, asof_date(tx), horizon_days=horizon_days, accounts=[str(account_id)])
    prop = prop[prop["n_orders"] >= 2].head(limit)
    if prop.empty:
        return []
    ids = [int(p) for p in prop["product"]]
    names = dict(session.execute(select(Product.id, Product.name).where(Product.id.in_(ids))).all())
    expected = _account_product_forecast(session, tx, account_id, [str(p) for p in prop["product"]])
    return [{"product_id": int(r.product), "product": names.get(int(r.product), r.product),
             "probability": float(r.probability), "n_orders": int(r.n_orders), "cycle_days": float(r.cycle_days),
             "days_since_last": float(r.days_since_last), "due_in_days": float(r.due_in_days),
             "horizon_days": horizon_days, **expected.get(str(r.product), {})} for r in prop.itertuples()]


def _account_product_forecast(session: Session, tx: pd.DataFrame, account_id: int, products: list[str]
                              ) -> dict[str, dict[str, Any]]:
    """Units the account is expected to order per product over the forecaster's horizon, with a range (the
    workspace forecaster applied to the account-product weekly series)."""
    from bizpilot.ml.forecast import weekly_matrix

    mine = tx[(tx["account"] == str(account_id)) & tx["product"].isin(products)]
    weeks = weekly_matrix(mine, start=tx["ordered_at"].min(), end=asof_date(tx) - pd.Timedelta(days=1))
    if weeks.empty or weeks.shape[1] < 2:
        return {}
    model = load_model(session, name="forecast")
    fc = model.predict(weeks.to_numpy(dtype=float))
    return {str(p): {"expected_units": round(float(fc.mean[i].sum()), 1),
                     "expected_low": round(float(fc.lower[i].sum()), 1),
                     "expected_high": round(float(fc.upper[i].sum()), 1), "expected_weeks": int(model.horizon)}
            for i, p in enumerate(weeks.index)}


def opportunity_scores(session: Session, *, account_id: int | None = None, open_only: bool = True,
                       k: int = 3, tx: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Win probability of (open) opportunities with their top positive/negative factors."""
    opp = opportunity_frame(session, tx)
    if opp.empty:
        return []
    if account_id is not None:
        opp = opp[opp["account_id"] == account_id]
    if open_only:
        opp = opp[opp["outcome"] == "open"]
    if opp.empty:
        return []
    model = load_model(session, name="winprob")
    x = opp[list(WINPROB_FEATURES)]
    p = model.predict_proba(x)
    factors = model.explain(x, k)
    return [{"id": int(r.id), "account_id": None if pd.isna(r.account_id) else int(r.account_id), "name": r.name,
             "stage": r.stage, "amount": None if pd.isna(r.amount) else float(r.amount), "outcome": r.outcome,
             "probability": float(pi), "positive": [f.to_dict() for f in pos], "negative": [f.to_dict() for f in neg],
             "method": model.method_, "fallback_reason": model.fallback_reason_}
            for r, pi, (pos, neg) in zip(opp.itertuples(), p, factors, strict=True)]


def at_risk_accounts(session: Session, *, limit: int = 20) -> list[dict[str, Any]]:
    """Valuable accounts least likely to buy again soon (lowest repurchase probability x spend)."""
    tx = account_transactions(workspace_transactions(session))
    scores = churn_scores(session, tx=tx)
    seg = segments(session, tx=tx)
    if scores.empty:
        return []
    df = scores.join(seg[["monetary", "segment"]], how="left")
    df["risk_value"] = (1 - df["probability"]) * df["monetary"].clip(lower=0)
    df = df.sort_values("risk_value", ascending=False).head(limit)
    names = dict(session.execute(select(Account.id, Account.name)
                                 .where(Account.id.in_([int(i) for i in df.index]))).all())
    return [{"account_id": int(i), "name": names.get(int(i), i), "probability": float(r.probability),
             "segment": r.segment, "segment_name": SEGMENT_BY_KEY[r.segment].name if r.segment in SEGMENT_BY_KEY
             else r.segment, "monetary": float(r.monetary), "negative": r.negative, "positive": r.positive}
            for i, r in df.iterrows()]


CLUSTER_FEATURES = ("recency_days", "orders_365d", "spend_365d", "avg_order_value", "n_products", "tenure_days")


def behaviour_clusters(session: Session, *, n_clusters: int = 5) -> list[dict[str, Any]]:
    """Optional data-driven view beside the rule-based segments: K-means on log behaviour features; each cluster
    with its size and centre in the features' own units."""
    from bizpilot.ml.scoring.features import account_features
    from bizpilot.ml.segment import BehaviourClusters

    tx = account_transactions(workspace_transactions(session))
    x = account_features(tx, asof_date(tx))[list(CLUSTER_FEATURES)]
    if x.empty:
        return []
    model = BehaviourClusters(n_clusters=n_clusters).fit(x)
    labels = model.predict(x)
    return [{"cluster": i, "accounts": int((labels == i).sum()), "centre": centre}
            for i, centre in enumerate(model.describe())]
