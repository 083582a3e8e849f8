"""Training the customer-intelligence models from the workspace, and what each computes for the pages.

Each trainer follows the model store's contract (``services/models/spec.py``): it reads the workspace's order
history as of ``as_of``, fits, and returns the estimator, its metrics, and its outputs (a segment and RFM values per
account; a repurchase probability with factors per account; a win probability with factors per open opportunity; a
weekly forecast with intervals per product), so pages read scores instead of computing them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Interaction, Opportunity
from bizpilot.domain.product import NON_MERCHANDISE
from bizpilot.errors import InsufficientData
from bizpilot.services.intelligence.data import account_transactions, workspace_transactions
from bizpilot.services.models.spec import Output, Progress, Trained

CHURN_HORIZON_DAYS = 90
FORECAST_HORIZON_WEEKS = 8
FORECAST_HISTORY_WEEKS = 26
WINPROB_FEATURES = ("amount", "source", "owner", "tier", "industry", "size_band", "country",
                    "orders_90d_before", "spend_365d_before", "negative_messages_90d_before")
CHURN_DRIFT_FEATURES = ("recency_days", "orders_365d", "spend_365d", "avg_order_value", "n_products",
                        "tenure_days")


def history(*, session: Session, as_of: datetime) -> pd.DataFrame:
    """The workspace's order lines of known accounts before ``as_of`` (the transactions frame)."""
    tx = account_transactions(workspace_transactions(session=session))
    return tx[tx["ordered_at"] < pd.Timestamp(as_of)] if not tx.empty else tx


def opportunity_frame(*, session: Session, tx: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per opportunity: its fields, its account's firmographics, and the account's buying and mood in
    the 90/365 days before the opportunity was created (known at that time)."""
    rows = session.execute(select(Opportunity.id, Opportunity.account_id, Opportunity.name, Opportunity.stage,
                                  Opportunity.amount, Opportunity.source, Opportunity.owner, Opportunity.created_at,
                                  Opportunity.outcome, Account.tier, Account.industry, Account.size_band,
                                  Account.country)
                           .outerjoin(Account, Account.id == Opportunity.account_id)).all()
    cols = ["id", "account_id", "name", "stage", "amount", "source", "owner", "created_at", "outcome", "tier",
            "industry", "size_band", "country"]
    opp = pd.DataFrame(rows, columns=cols)
    if opp.empty:
        return opp
    tx = account_transactions(workspace_transactions(session=session) if tx is None else tx)
    sales = tx[~tx["is_return"] & (tx["quantity"] > 0)]
    neg = pd.DataFrame(session.execute(select(Interaction.account_id, Interaction.occurred_at)
                                       .where(Interaction.sentiment == "negative")).all(),
                       columns=["account_id", "occurred_at"])
    orders_90, spend_365, neg_90 = [], [], []
    by_acct = {k: g for k, g in sales.groupby("account")}
    neg_by = {k: g for k, g in neg.groupby("account_id")} if not neg.empty else {}
    for acct, created in zip(opp["account_id"], pd.to_datetime(opp["created_at"]), strict=True):
        g = by_acct.get(str(int(acct))) if pd.notna(acct) else None
        if g is None:
            orders_90.append(0.0)
            spend_365.append(0.0)
        else:
            w90 = g[(g["ordered_at"] < created) & (g["ordered_at"] >= created - pd.Timedelta(days=90))]
            w365 = g[(g["ordered_at"] < created) & (g["ordered_at"] >= created - pd.Timedelta(days=365))]
            orders_90.append(float(w90["order"].nunique()))
            spend_365.append(float(w365["amount"].sum()))
        n = neg_by.get(acct)
        neg_90.append(0.0 if n is None else float(((n["occurred_at"] < created) &
                                                   (n["occurred_at"] >= created - pd.Timedelta(days=90))).sum()))
    opp["orders_90d_before"] = orders_90
    opp["spend_365d_before"] = spend_365
    opp["negative_messages_90d_before"] = neg_90
    opp["log_amount"] = np.log1p(pd.to_numeric(opp["amount"], errors="coerce").astype(float))
    return opp


def train_segments(*, session: Session, as_of: datetime, progress: Progress, **_: Any) -> Trained:
    """RFM quintile edges and named segments; outputs each account's RFM values and segment."""
    from bizpilot.ml.segment import RFMSegmenter, rfm_values

    values = rfm_values(history(session=session, as_of=as_of), pd.Timestamp(as_of))
    if values.empty:
        raise InsufficientData("no orders of known accounts to segment: import orders first")
    model = RFMSegmenter().fit(values)
    seg = model.transform(values)
    outputs = [Output("account", int(acct), score=float(r.monetary), payload={
        "recency_days": int(r.recency_days), "frequency": int(r.frequency), "monetary": round(float(r.monetary), 2),
        "r": int(r.r), "f": int(r.f), "m": int(r.m), "rfm": str(r.rfm), "segment": str(r.segment)})
        for acct, r in seg.iterrows()]
    counts = seg["segment"].value_counts().to_dict()
    revenue = seg.groupby("segment")["monetary"].sum().round(2).to_dict()
    return Trained(model, {"segments": {k: int(v) for k, v in counts.items()},
                           "revenue": {k: float(v) for k, v in revenue.items()}, "n_accounts": len(seg)},
                   n_rows=len(values), outputs=outputs, reference=values[["recency_days", "frequency", "monetary"]])


def segments_drift(*, session: Session, as_of: datetime) -> pd.DataFrame:
    """Recency, frequency and spend of every account as of now (compared with those at training for drift)."""
    from bizpilot.ml.segment import rfm_values

    values = rfm_values(history(session=session, as_of=as_of), pd.Timestamp(as_of))
    return values[["recency_days", "frequency", "monetary"]] if not values.empty else values


def train_churn(*, session: Session, as_of: datetime, progress: Progress, **_: Any) -> Trained:
    """Repurchase propensity with an out-of-time check; outputs each account's probability, factors, spend and
    risk value ((1 - p) x spend, what the at-risk list ranks by)."""
    from bizpilot.ml.evaluation import classification_report
    from bizpilot.ml.scoring.churn import RepurchaseModel
    from bizpilot.ml.scoring.features import buyers_between
    from bizpilot.ml.segment import rfm_values

    tx = history(session=session, as_of=as_of)
    if tx.empty:
        raise InsufficientData("no orders of known accounts to learn from: import orders first")
    asof = pd.Timestamp(as_of)
    metrics: dict[str, Any] = {}
    check_cut = asof - pd.Timedelta(days=CHURN_HORIZON_DAYS)  # out of time: learn a horizon ago, score the last one
    past = tx[tx["ordered_at"] < check_cut]
    if not past.empty:
        progress(0.1, "out-of-time check")
        probe = RepurchaseModel(horizon_days=CHURN_HORIZON_DAYS).fit(past, check_cut)
        x = probe.features(tx, check_cut)
        y = x.index.isin(list(buyers_between(tx, check_cut, asof))).astype(int)
        if len(np.unique(y)) == 2:
            metrics = {k: round(v, 4) for k, v in classification_report(y, probe.predict_proba(x)).items()}
            metrics["checked_on"] = f"{check_cut.date()} .. {asof.date()}"
    progress(0.5, "fitting")
    model = RepurchaseModel(horizon_days=CHURN_HORIZON_DAYS).fit(tx, asof)
    metrics.update({"method": model.method_, "n_train": model.n_train_, "fallback_reason": model.fallback_reason_})
    progress(0.8, "scoring accounts")
    scores = model.score(tx, asof, k=3)
    spend = rfm_values(tx, asof)["monetary"].reindex(scores.index).fillna(0.0).clip(lower=0.0)
    outputs = [Output("account", int(acct), score=float((1.0 - r.probability) * spend.loc[acct]), payload={
        "probability": round(float(r.probability), 4), "positive": r.positive, "negative": r.negative,
        "method": r.method, "horizon_days": CHURN_HORIZON_DAYS, "monetary": round(float(spend.loc[acct]), 2)})
        for acct, r in scores.iterrows()]
    features = model.features(tx, asof)
    reference = features[[c for c in CHURN_DRIFT_FEATURES if c in features.columns]]
    return Trained(model, metrics, n_rows=len(tx), outputs=outputs, reference=reference)


def churn_drift(*, session: Session, as_of: datetime) -> pd.DataFrame:
    """The churn model's main features as of now (compared with those at training for drift)."""
    from bizpilot.ml.scoring.features import account_features

    tx = history(session=session, as_of=as_of)
    if tx.empty:
        return pd.DataFrame(columns=list(CHURN_DRIFT_FEATURES))
    features = account_features(tx, pd.Timestamp(as_of))
    return features[[c for c in CHURN_DRIFT_FEATURES if c in features.columns]]


def train_winprob(*, session: Session, as_of: datetime, progress: Progress, **_: Any) -> Trained:
    """Win probability from closed deals; outputs every open opportunity's probability with its factors."""
    from bizpilot.ml.scoring.winprob import WinProbabilityModel

    opp = opportunity_frame(session=session)
    closed = opp[opp["outcome"].isin(["won", "lost"])] if not opp.empty else opp
    if closed.empty:
        raise InsufficientData("no closed (won/lost) opportunities to learn from")
    y = (closed["outcome"] == "won").to_numpy(dtype=int)
    model = WinProbabilityModel().fit(closed[list(WINPROB_FEATURES)], y)
    metrics: dict[str, Any] = {"method": model.method_, "n_closed": int(len(y)), "won": int(y.sum()),
                               "fallback_reason": model.fallback_reason_}
    if model.method_ == "lightgbm":
        from bizpilot.services.evaluation.intelligence import evaluate_winprob

        progress(0.3, "cross-validating")
        frame = closed[list(WINPROB_FEATURES)].assign(outcome=closed["outcome"].to_numpy())
        cv = evaluate_winprob(frame, label_col="outcome")
        metrics.update({"cv_auc": round(cv["auc"], 4), "cv_brier": round(cv["brier"], 4),
                        "cv_auc_frequency": round(cv["auc_frequency"], 4)})
    open_opp = opp[opp["outcome"] == "open"]
    outputs: list[Output] = []
    if not open_opp.empty:
        x = open_opp[list(WINPROB_FEATURES)]
        for r, p, (pos, neg) in zip(open_opp.itertuples(), model.predict_proba(x), model.explain(x, 3), strict=True):
            outputs.append(Output("opportunity", int(r.id), score=float(p),
                                  item_id=None if pd.isna(r.account_id) else int(r.account_id), payload={
                "probability": round(float(p), 4), "positive": [f.to_dict() for f in pos],
                "negative": [f.to_dict() for f in neg], "method": model.method_,
                "fallback_reason": model.fallback_reason_}))
    reference = closed[["amount", "orders_90d_before", "spend_365d_before"]]
    return Trained(model, metrics, n_rows=len(y), outputs=outputs, reference=reference)


def forecast_drift(*, session: Session, as_of: datetime) -> pd.DataFrame:
    """Each product's mean weekly quantity over the recent weeks (compared with that at training for drift)."""
    from bizpilot.ml.forecast import weekly_matrix

    tx = workspace_transactions(session=session)
    # Postage, fees and discount lines are revenue, not demand (``domain.product.NON_MERCHANDISE``).
    tx = tx[(tx["ordered_at"] < pd.Timestamp(as_of)) & (tx["category"] != NON_MERCHANDISE)] if not tx.empty else tx
    weeks = weekly_matrix(tx)
    y = weeks.to_numpy(dtype=float)
    return pd.DataFrame({"weekly_quantity": y[:, -FORECAST_HISTORY_WEEKS:].mean(axis=1) if y.size else []})


def train_forecast(*, session: Session, as_of: datetime, progress: Progress, **_: Any) -> Trained:
    """Weekly demand forecaster chosen by backtest; outputs every product's recent weeks and its forecast with the
    interval (``score`` = quantity sold in the history, what "top products" ranks by)."""
    from bizpilot.ml.forecast import DemandForecaster, weekly_matrix

    tx = workspace_transactions(session=session)
    # Postage, fees and discount lines are revenue, not demand (``domain.product.NON_MERCHANDISE``).
    tx = tx[(tx["ordered_at"] < pd.Timestamp(as_of)) & (tx["category"] != NON_MERCHANDISE)] if not tx.empty else tx
    weeks = weekly_matrix(tx)
    if weeks.empty or weeks.shape[1] < 12:
        raise InsufficientData("need at least 12 complete weeks of sales to forecast")
    model = DemandForecaster(horizon=FORECAST_HORIZON_WEEKS).fit(weeks.to_numpy())
    progress(0.7, "forecasting every product")
    y = weeks.to_numpy(dtype=float)
    fc = model.predict(y)
    last = weeks.columns[-1]
    future = [(last + pd.Timedelta(days=7 * (i + 1))).date().isoformat() for i in range(model.horizon)]
    past = [c.date().isoformat() for c in weeks.columns[-FORECAST_HISTORY_WEEKS:]]
    totals = y.sum(axis=1)
    outputs = [Output("product", int(pid), score=float(totals[i]), payload={
        "history_weeks": past, "history": np.round(y[i, -FORECAST_HISTORY_WEEKS:], 2).tolist(), "weeks": future,
        "mean": np.round(fc.mean[i], 2).tolist(), "lower": np.round(fc.lower[i], 2).tolist(),
        "upper": np.round(fc.upper[i], 2).tolist(), "total_next": round(float(fc.mean[i].sum()), 2)})
        for i, pid in enumerate(weeks.index)]
    chosen = model.backtest_.get(model.method_)
    metrics = {"method": model.describe(), "backtest_mase": {k: round(v, 4) for k, v in model.backtest_.items()},
               "backtest_relative": {k: round(v, 4) for k, v in model.relative_.items()},
               "mase": None if chosen is None else round(float(chosen), 4), "level": model.level,
               "n_series": int(weeks.shape[0]), "weeks": int(weeks.shape[1])}
    reference = pd.DataFrame({"weekly_quantity": y[:, -FORECAST_HISTORY_WEEKS:].mean(axis=1)})
    return Trained(model, metrics, n_rows=int(weeks.shape[0]), outputs=outputs, reference=reference)


__all__ = ["CHURN_HORIZON_DAYS", "FORECAST_HORIZON_WEEKS", "WINPROB_FEATURES", "churn_drift", "forecast_drift",
           "history", "opportunity_frame", "segments_drift", "train_churn", "train_forecast", "train_segments",
           "train_winprob"]
