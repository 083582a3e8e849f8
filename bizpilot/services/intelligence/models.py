"""Training, saving and loading the workspace's intelligence models (files under ``settings.models_dir``), each
training recorded as a ``ModelRun`` with its metrics. Pages and API calls load the saved model; when none is
saved yet they train one first (and record it), so a fresh demo workspace shows scores straight away."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.domain import Account, Interaction, Opportunity
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.ml.base import Estimator, ModelFileError
from bizpilot.services.intelligence.data import account_transactions, workspace_transactions

MODEL_NAMES = ("churn", "winprob", "forecast", "segments")
CHURN_HORIZON_DAYS = 90
FORECAST_HORIZON_WEEKS = 8


def model_path(name: str) -> Path:
    return get_settings().models_dir / f"intel-{name}.npz"


def asof_date(tx: pd.DataFrame) -> pd.Timestamp:
    """The workspace's "today" for scores: the day after its last order (demo data may end in the past)."""
    if tx.empty:
        return pd.Timestamp(datetime.now().date())
    return pd.Timestamp(tx["ordered_at"].max()).normalize() + pd.Timedelta(days=1)


def opportunity_frame(session: Session, tx: pd.DataFrame | None = None) -> pd.DataFrame:
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
    tx = account_transactions(workspace_transactions(session) if tx is None else tx)
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


WINPROB_FEATURES = ("amount", "source", "owner", "tier", "industry", "size_band", "country",
                    "orders_90d_before", "spend_365d_before", "negative_messages_90d_before")


def _record(session: Session, *, task: str, model: Estimator, path: Path, metrics: dict[str, Any], n_rows: int,
            started: datetime) -> ModelRun:
    run = ModelRun(task=task, model_name=type(model).__name__, version=getattr(model, "method_", None),
                   params=model.get_params(), metrics=metrics, n_rows=n_rows, artifact_path=str(path),
                   status="finished", started_at=started, finished_at=datetime.now())
    session.add(run)
    session.flush()
    return run


def train_churn(session: Session) -> tuple[Estimator, ModelRun]:
    from bizpilot.ml.evaluation import classification_report
    from bizpilot.ml.scoring.churn import RepurchaseModel
    from bizpilot.ml.scoring.features import buyers_between

    started = datetime.now()
    tx = account_transactions(workspace_transactions(session))
    if tx.empty:
        raise ValidationFailed("no orders of known accounts to learn from: import orders first")
    asof = asof_date(tx)
    metrics: dict[str, Any] = {}
    # Out-of-time check first: learn as of one horizon ago, score the last horizon.
    check_cut = asof - pd.Timedelta(days=CHURN_HORIZON_DAYS)
    past = tx[tx["ordered_at"] < check_cut]
    if not past.empty:
        probe = RepurchaseModel(horizon_days=CHURN_HORIZON_DAYS).fit(past, check_cut)
        x = probe.features(tx, check_cut)
        y = x.index.isin(list(buyers_between(tx, check_cut, asof))).astype(int)
        if len(np.unique(y)) == 2:
            metrics = {k: round(v, 4) for k, v in classification_report(y, probe.predict_proba(x)).items()}
            metrics["checked_on"] = f"{check_cut.date()} .. {asof.date()}"
    model = RepurchaseModel(horizon_days=CHURN_HORIZON_DAYS).fit(tx, asof)
    path = model.save(model_path("churn"))
    metrics.update({"method": model.method_, "n_train": model.n_train_, "fallback_reason": model.fallback_reason_})
    return model, _record(session, task="churn", model=model, path=path, metrics=metrics, n_rows=len(tx),
                          started=started)


def train_winprob(session: Session) -> tuple[Estimator, ModelRun]:
    from bizpilot.ml.scoring.winprob import WinProbabilityModel

    started = datetime.now()
    opp = opportunity_frame(session)
    closed = opp[opp["outcome"].isin(["won", "lost"])] if not opp.empty else opp
    if closed.empty:
        raise ValidationFailed("no closed (won/lost) opportunities to learn from")
    y = (closed["outcome"] == "won").to_numpy(dtype=int)
    model = WinProbabilityModel().fit(closed[list(WINPROB_FEATURES)], y)
    metrics: dict[str, Any] = {"method": model.method_, "n_closed": int(len(y)), "won": int(y.sum()),
                               "fallback_reason": model.fallback_reason_}
    if model.method_ == "lightgbm":
        from bizpilot.services.intelligence.evaluate import evaluate_winprob

        frame = closed[list(WINPROB_FEATURES)].assign(outcome=closed["outcome"].to_numpy())
        cv = evaluate_winprob(frame, label_col="outcome")
        metrics.update({"cv_auc": round(cv["auc"], 4), "cv_brier": round(cv["brier"], 4),
                        "cv_auc_frequency": round(cv["auc_frequency"], 4)})
    path = model.save(model_path("winprob"))
    return model, _record(session, task="winprob", model=model, path=path, metrics=metrics, n_rows=len(y),
                          started=started)


def train_forecast(session: Session) -> tuple[Estimator, ModelRun]:
    from bizpilot.ml.forecast import DemandForecaster, weekly_matrix

    started = datetime.now()
    weeks = weekly_matrix(workspace_transactions(session))
    if weeks.empty or weeks.shape[1] < 12:
        raise ValidationFailed("need at least 12 complete weeks of sales to forecast")
    model = DemandForecaster(horizon=FORECAST_HORIZON_WEEKS).fit(weeks.to_numpy())
    path = model.save(model_path("forecast"))
    metrics = {"method": model.describe(), "backtest_mase": {k: round(v, 4) for k, v in model.backtest_.items()},
               "backtest_relative": {k: round(v, 4) for k, v in model.relative_.items()},
               "n_series": int(weeks.shape[0]), "weeks": int(weeks.shape[1])}
    return model, _record(session, task="forecast", model=model, path=path, metrics=metrics,
                          n_rows=int(weeks.shape[0]), started=started)


def train_segments(session: Session) -> tuple[Estimator, ModelRun]:
    from bizpilot.ml.segment import RFMSegmenter, rfm_values

    started = datetime.now()
    tx = account_transactions(workspace_transactions(session))
    values = rfm_values(tx, asof_date(tx))
    if values.empty:
        raise ValidationFailed("no orders of known accounts to segment")
    model = RFMSegmenter().fit(values)
    segs = model.transform(values)["segment"].value_counts().to_dict()
    path = model.save(model_path("segments"))
    return model, _record(session, task="segments", model=model, path=path,
                          metrics={"segments": {k: int(v) for k, v in segs.items()}}, n_rows=len(values),
                          started=started)


TRAINERS: dict[str, Callable[[Session], tuple[Estimator, ModelRun]]] = {
    "churn": train_churn, "winprob": train_winprob, "forecast": train_forecast, "segments": train_segments}


def train_model(session: Session, *, name: str) -> dict[str, Any]:
    """Train one model by name, save it, record the run; returns the run as a dict (with seconds)."""
    if name not in TRAINERS:
        raise NotFoundError(f"no model {name!r}; one of: {', '.join(MODEL_NAMES)}")
    t0 = time.perf_counter()
    _, run = TRAINERS[name](session)
    return {"task": run.task, "model": run.model_name, "method": run.version, "path": run.artifact_path,
            "n_rows": run.n_rows, "metrics": run.metrics, "run_id": run.id,
            "seconds": round(time.perf_counter() - t0, 3)}


def load_model(session: Session, *, name: str, train_if_missing: bool = True) -> Estimator:
    """The saved model, or a freshly trained one when none is saved (or the file no longer loads)."""
    path = model_path(name)
    if path.exists():
        try:
            return Estimator.load(path)
        except ModelFileError:
            if not train_if_missing:
                raise
    if not train_if_missing:
        raise NotFoundError(f"no {name} model yet: run `bizpilot train {name}`")
    model, _ = TRAINERS[name](session)
    session.commit()
    return model
