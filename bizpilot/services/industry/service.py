"""What people do with industry predictions: read an account's industry with where it came from, accept or correct
it (audited; the correction becomes training data), work through the review queue, and classify all accounts.

Reads never train: an account without an industry needs the ``industry`` model's outputs, and a model that is not
ready raises ``ModelNotReady`` (queued for training in the background, as every model-backed read does). Accounts
that arrive after the model's last run (an import, a new account) are classified by queueing the model again: an
upload import does it when it finishes (:func:`classify_after_import`), a read of such an account does it too.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.db.base import utcnow
from bizpilot.domain import Account
from bizpilot.domain.industry import AccountIndustry, label_key
from bizpilot.domain.model_run import ModelOutput
from bizpilot.errors import ModelNotReady, ValidationFailed
from bizpilot.services.audit_trail import audit
from bizpilot.services.auth import Principal
from bizpilot.services.industry.specs import INDUSTRY
from bizpilot.services.industry.taxonomy import LabelIndex, label_index
from bizpilot.services.models import access, jobs
from bizpilot.services.models.outputs import read_outputs
from bizpilot.services.records import apply_changes, get_record

LABEL_MAX = 100


def _prediction(session: Session, account_id: int, *, require: bool) -> dict[str, Any] | None:
    """The latest run's prediction for the account (``require``: through the readiness check, and an account the
    ready model has not seen while the data changed since queues it and raises ``ModelNotReady``)."""
    rows = (access.outputs(session=session, spec=INDUSTRY, subject="account", subject_id=account_id) if require
            else read_outputs(session=session, model=INDUSTRY.name, subject="account", subject_id=account_id))
    if not rows:
        if require and industry_model_stale(session=session):
            raise _queue_for_new_accounts(session, "this account is newer than the industry model's last run")
        return None
    return {**rows[0].payload, "run_id": rows[0].run_id, "priority": rows[0].score}


def _queue_for_new_accounts(session: Session, why: str) -> ModelNotReady:
    """Queue the model (when training on demand is on) and say so as a ``ModelNotReady`` (queued, or stale)."""
    engine = session.get_bind()
    if get_settings().train_on_demand and INDUSTRY.on_demand:
        jobs.request_training(INDUSTRY, engine=engine, trigger="on demand")  # type: ignore[arg-type]
    queued = jobs.in_flight(engine, INDUSTRY.name)  # type: ignore[arg-type]
    return ModelNotReady(f"{why}: the industry model {'is queued to classify it' if queued else 'needs training'}",
                         model=INDUSTRY.name, state="queued" if queued else "stale")


def unclassified_accounts(*, session: Session) -> int:
    """Accounts (not archived) without an industry that the model's stored run has no prediction for: imported or
    created since it last ran."""
    predicted = select(ModelOutput.subject_id).where(ModelOutput.model == INDUSTRY.name,
                                                     ModelOutput.subject == "account")
    return int(session.scalar(select(func.count()).select_from(Account).where(
        Account.industry.is_(None), Account.archived_at.is_(None), Account.id.not_in(predicted))) or 0)


def classify_after_import(*, session: Session) -> bool:
    """After an import: queue the ``industry`` model on the background worker when it has run before and accounts
    without an industry came in since (Chinese or English descriptions alike: one multilingual model), so they get
    their prediction without anyone asking. A workspace that never trained it trains it on the first read (or
    `train all`). Off with ``BIZPILOT_TRAIN_ON_DEMAND=0``. True when this call queued it."""
    if not get_settings().train_on_demand or access.model_state(session=session, spec=INDUSTRY).finished is None:
        return False
    if not unclassified_accounts(session=session):
        return False
    return jobs.request_training(INDUSTRY, engine=session.get_bind(), trigger="import")  # type: ignore[arg-type]


def _sector(index: LabelIndex, label: str | None) -> dict[str, Any] | None:
    sector = index.sector_of(label)
    return {"key": sector.key, "en": sector.en, "zh": sector.zh} if sector is not None else None


def account_industry(*, session: Session, account_id: int) -> dict[str, Any]:
    """An account's industry (``label``), its sector, where it came from (``source``: manual, model or
    zero-shot), whether a person reviewed it, the confidence and alternatives of the prediction, and the
    prediction itself. Raises ``ModelNotReady`` for an account without an industry while the model is not ready."""
    account = get_record(session=session, entity="accounts", record_id=account_id)
    prediction = _prediction(session, account_id, require=not account.industry)
    review = session.get(AccountIndustry, account_id)
    current = review is not None and review.label == account.industry
    index = label_index(session=session)
    label = account.industry or (prediction or {}).get("label")
    if account.industry:
        source = review.source if current and review is not None else "manual"
    else:
        source = (prediction or {}).get("source")
    confidence = (review.confidence if current and review is not None and review.source != "manual" else
                  None if account.industry else (prediction or {}).get("confidence"))
    return {"account_id": account.id, "name": account.name, "industry": account.industry, "label": label,
            "sector": _sector(index, label), "source": source, "reviewed": bool(current),
            "confidence": confidence,
            "alternatives": [] if account.industry else (prediction or {}).get("alternatives", []),
            "needs_review": bool(not account.industry and (prediction or {}).get("needs_review")),
            "prediction": prediction, "version": account.version,
            "review": None if review is None else {
                "label": review.label, "source": review.source, "predicted_label": review.predicted_label,
                "confidence": review.confidence, "reviewed_by": review.reviewed_by, "reviewed_at": review.reviewed_at}}


def canonical_label(*, session: Session, label: str) -> str:
    """The spelling the workspace already uses for ``label`` (same taxonomy label, or equal but for case and
    dashes), else the taxonomy's name for it (an alias becomes the name), else ``label`` as given."""
    index = label_index(session=session)
    node = index.node(label)
    used = Counter(v for v in session.scalars(select(Account.industry).where(Account.industry.is_not(None))) if v)
    same = [v for v in used if label_key(v) == label_key(label)
            or (node is not None and (found := index.node(v)) is not None and found.key == node.key)]
    if same:
        return max(same, key=lambda v: (used[v], v))
    return node.en if node is not None else label


def review_industry(*, session: Session, account_id: int, principal: Principal, channel: str,
                    label: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
    """Accept the prediction (``label`` None or equal to it) or correct it (another ``label``): sets the
    account's industry through the audited write path (policy, version check, audit row, ``record.changed``)
    and records the decision with the prediction the person saw. The label then trains the next model."""
    account = get_record(session=session, entity="accounts", record_id=account_id)
    prediction = _prediction(session, account_id, require=False)
    if label is None:
        if prediction is None:
            raise ValidationFailed(f"account {account_id} has no prediction to accept: give the label",
                                   details=[{"field": "label", "reason": "required without a prediction"}])
        label = str(prediction["label"])
    label = label.strip()
    if not label or len(label) > LABEL_MAX:
        raise ValidationFailed(f"a label is 1 to {LABEL_MAX} characters", details=[
            {"field": "label", "reason": f"1 to {LABEL_MAX} characters", "value": label}])
    label = canonical_label(session=session, label=label)
    predicted = prediction.get("label") if prediction else None
    accepted = predicted is not None and label_key(predicted) == label_key(label)
    source = str(prediction["source"]) if accepted and prediction else "manual"
    previous = session.get(AccountIndustry, account_id)
    changed = apply_changes(session=session, entity="accounts", record=account, changes={"industry": label},
                            principal=principal, channel=channel, expected_version=expected_version,
                            action="classify")
    if not changed:  # the label was already set: the review itself is the change worth recording
        audit(session=session, entity="accounts", record_id=account.id, action="classify",
              changes={"industry_source": [previous.source if previous else None, source]},
              principal=principal, channel=channel)
    row = previous or AccountIndustry(account_id=account.id)
    row.label, row.source, row.reviewed = label, source, True
    row.sector = (_sector(label_index(session=session), label) or {}).get("key")
    row.predicted_label = predicted
    row.confidence = prediction.get("confidence") if prediction else None
    row.alternatives = list(prediction.get("alternatives", [])) if prediction else []
    row.run_id = prediction.get("run_id") if prediction else None
    row.user_id, row.reviewed_by, row.reviewed_at = principal.user_id, principal.name, utcnow()
    if previous is None:
        session.add(row)
    session.flush()
    return account_industry(session=session, account_id=account_id)


def review_queue(*, session: Session, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Predictions waiting for a person, most useful label first (uncertain, and unlike those above them);
    accounts that got an industry meanwhile drop out."""
    run = access.require_ready(session=session, spec=INDUSTRY)
    rows = session.execute(
        select(ModelOutput, Account.name, Account.description)
        .join(Account, Account.id == ModelOutput.subject_id)
        .where(ModelOutput.model == INDUSTRY.name, ModelOutput.subject == "account", ModelOutput.score > 0,
               Account.industry.is_(None), Account.archived_at.is_(None))
        .order_by(ModelOutput.score.desc(), ModelOutput.id)).all()
    items = [{"account_id": out.subject_id, "name": name, "excerpt": (description or "")[:200],
              "label": out.payload["label"], "sector": out.payload.get("sector"),
              "confidence": out.payload["confidence"], "alternatives": out.payload.get("alternatives", []),
              "source": out.payload.get("source"), "priority": round(float(out.score or 0.0), 4),
              "rank": out.payload.get("review_rank")} for out, name, description in rows]
    return {"run_id": run.id, "mode": (run.metrics or {}).get("mode"), "total": len(items), "limit": limit,
            "offset": offset, "items": items[offset:offset + limit]}


def label_choices(*, session: Session, lang: str = "en") -> list[dict[str, str]]:
    """What a correction can pick: the labels the workspace uses, then the taxonomy's (value: what is stored;
    name: how it reads in ``lang``)."""
    used = sorted({v for v in session.scalars(select(Account.industry).where(Account.industry.is_not(None))) if v})
    index = label_index(session=session)
    seen = {label_key(v) for v in used}
    choices = [{"value": v, "name": v, "group": "workspace"} for v in used]
    for leaf in index.leaves:
        if label_key(leaf.en) not in seen:
            choices.append({"value": leaf.en, "name": (leaf.zh if lang == "zh" and leaf.zh else leaf.en),
                            "group": leaf.sector_zh if lang == "zh" and leaf.sector_zh else leaf.sector_en})
    return choices


def industry_panel(*, session: Session, account_id: int, lang: str = "en",
                   pending: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What ``accounts/_industry.html`` renders: the account's industry view (without the prediction while the
    model is not ready: its state goes to ``pending``, as ``web/pending.attempt`` records it) and the choices."""
    try:
        view = account_industry(session=session, account_id=account_id)
    except ModelNotReady as exc:
        if pending is not None and not any(p["model"] == exc.model for p in pending):
            pending.append({"model": exc.model, "state": exc.state, "message": exc.message})
        account = get_record(session=session, entity="accounts", record_id=account_id)
        view = {"account_id": account.id, "name": account.name, "industry": None, "label": None, "sector": None,
                "source": None, "reviewed": False, "confidence": None, "alternatives": [], "needs_review": False,
                "prediction": None, "review": None, "version": account.version}
    return {**view, "lang": lang, "choices": label_choices(session=session, lang=lang)}


def industry_model_stale(*, session: Session) -> bool:
    """Whether ``bizpilot classify accounts`` must train first: the ``industry`` model never finished, or the
    accounts or the taxonomy changed since its last run (its data fingerprint differs)."""
    from bizpilot.services.models.training import data_fingerprint

    state = access.model_state(session=session, spec=INDUSTRY)
    return state.finished is None or data_fingerprint(session=session, spec=INDUSTRY) != state.finished.data_fingerprint


def classification_summary(*, session: Session, trained: bool = False, limit: int | None = None) -> dict[str, Any]:
    """The ready ``industry`` model's predictions for `bizpilot classify accounts` (the first ``limit`` listed, most
    uncertain first), its cross-validated figures and how many accounts still lack an industry."""
    run = access.require_ready(session=session, spec=INDUSTRY)
    rows = session.execute(
        select(ModelOutput, Account.name).join(Account, Account.id == ModelOutput.subject_id)
        .where(ModelOutput.model == INDUSTRY.name, ModelOutput.subject == "account")
        .order_by(ModelOutput.score.desc(), ModelOutput.id)).all()
    unlabelled = session.scalar(select(func.count()).select_from(Account).where(
        Account.industry.is_(None), Account.archived_at.is_(None)))
    metrics = dict(run.metrics or {})
    predictions = [{"account_id": out.subject_id, "name": name, "label": out.payload["label"],
                    "sector": (out.payload.get("sector") or {}).get("en"), "confidence": out.payload["confidence"],
                    "needs_review": bool(out.payload.get("needs_review")), "source": out.payload.get("source")}
                   for out, name in rows]
    keys = ("mode", "n_accounts", "n_labelled", "n_labels", "n_predicted", "n_review", "mean_confidence",
            "cv_accuracy", "cv_macro_f1", "cv_top3_accuracy", "fit_seconds")
    return {"trained": trained, "run_id": run.id, **{k: metrics[k] for k in keys if k in metrics},
            "accounts_without_industry": int(unlabelled or 0),
            "by_label": dict(Counter(p["label"] for p in predictions).most_common()),
            "predictions": predictions if limit is None else predictions[:limit]}


__all__ = ["LABEL_MAX", "account_industry", "canonical_label", "classification_summary", "classify_after_import",
           "industry_model_stale", "industry_panel", "label_choices", "review_industry", "review_queue",
           "unclassified_accounts"]
