"""The deal pipeline: the board of open opportunities by stage, moving and closing deals, and the stages' totals.

A card carries what a sales team looks at (amount, owner, next step, account, age) and the deal's win probability
with its top factors as the ``winprob`` model computed them (``services/models/access.py``; nothing is scored on the
request). A deal the model has not scored (created since training, or the model is not ready) is weighted by its
stage's probability, and says so. Moving a card is a change of the record like any other: through
``services/records.apply_changes`` (ownership policy, version check, audit row ``stage_change``), plus the
``opportunity.stage_changed`` event. Closing as won or lost needs a reason. Amounts are summed as recorded, without
currency conversion. The weighted forecast by month and owner is ``services/pipeline_forecast.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Opportunity
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.security import WorkspaceSetting
from bizpilot.domain.user import User
from bizpilot.errors import ConflictError, Forbidden, ModelNotReady, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.clock import workspace_today
from bizpilot.services.events import emit
from bizpilot.services.intelligence.specs import WINPROB
from bizpilot.services.models.access import outputs
from bizpilot.services.pipeline_stages import (
    SETTING_KEY,
    Stage,
    check_stages,
    closing_stage,
    get_stages,
    open_stages,
    stage_usage,
)
from bizpilot.services.policy import may_change, owner_of, require_change
from bizpilot.services.records import apply_changes, check_version, describe, get_record

ENTITY = "opportunities"
CARDS_PER_STAGE = 200


# --- who ----------------------------------------------------------------------------------------------------

def owner_condition(*, session: Session, owner: str | int | None, principal: Principal | None) -> Any:
    """The SQL condition of an owner filter: ``me`` (the caller's user), a user id, a user's name or e-mail, or
    (for imported deals whose owner is only a name) the owner text; None: everyone's deals."""
    if owner is None or str(owner).strip() in ("", "all"):
        return None
    value = str(owner).strip()
    if value.lower() == "me":
        if principal is None or principal.user_id is None:
            raise ValidationFailed(f"owner=me needs a signed-in user; {getattr(principal, 'name', 'the caller')} "
                                   "is not one (use a user's key or session, or owner=<user>)",
                                   details=[{"field": "owner", "reason": "caller is not a user", "value": value}])
        return owned_by(principal.user_id)
    if value.isdigit():
        return owned_by(int(value))
    user_id = session.scalar(select(User.id).where((User.name == value) | (User.email == value.lower())))
    return owned_by(user_id) if user_id is not None else Opportunity.owner == value


def owned_by(user_id: int) -> Any:
    """The deals a user owns: assigned to them, or unassigned on an account they own (``policy.owner_of``)."""
    return (Opportunity.owner_id == user_id) | (Opportunity.owner_id.is_(None) & Opportunity.account_id.in_(
        select(Account.id).where(Account.owner_id == user_id)))


def deal_owners(*, session: Session, deals: Iterable[Opportunity]) -> dict[int, int]:
    """The owning user per deal id, for the deals that have one: its own owner, else its account's (as
    ``policy.owner_of`` decides who may move it); an imported deal whose owner is only a name has no user here."""
    deals = list(deals)
    unassigned = {o.account_id for o in deals if o.owner_id is None and o.account_id is not None}
    by_account = dict(session.execute(select(Account.id, Account.owner_id).where(
        Account.id.in_(unassigned), Account.owner_id.is_not(None))).all()) if unassigned else {}
    owners = {o.id: o.owner_id if o.owner_id is not None else by_account.get(o.account_id) for o in deals}
    return {deal_id: owner for deal_id, owner in owners.items() if owner is not None}


def user_names(*, session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def owner_name(o: Opportunity, users: dict[int, str]) -> str | None:
    """The owning user's name, else the owner named by an import (None: nobody)."""
    return users.get(o.owner_id) if o.owner_id is not None else o.owner


# --- reading deals with their probability ---------------------------------------------------------------------

def win_scores(*, session: Session) -> tuple[dict[int, dict[str, Any]], dict[str, Any] | None]:
    """The winprob model's output per opportunity id, and the model's state when it is not ready (then no scores:
    every deal is weighted by its stage)."""
    try:
        rows = outputs(session=session, spec=WINPROB, subject="opportunity")
    except ModelNotReady as exc:
        return {}, {"model": exc.model, "state": exc.state, "message": exc.message}
    return {r.subject_id: r.payload for r in rows if r.subject_id is not None}, None


def weighting(o: Opportunity, stage: Stage | None, scores: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The probability a deal is weighted by: the model's score, else its stage's probability (``basis`` says
    which; ``none`` for a stage the pipeline does not have)."""
    scored = scores.get(o.id)
    if scored is not None:
        return {"probability": float(scored["probability"]), "basis": "model",
                "positive": scored.get("positive", [])[:3], "negative": scored.get("negative", [])[:3],
                "method": scored.get("method")}
    if stage is not None:
        return {"probability": stage.probability, "basis": "stage", "positive": [], "negative": [], "method": None}
    return {"probability": None, "basis": "none", "positive": [], "negative": [], "method": None}


def deals(*, session: Session, condition: Any = None, outcome: str | None = "open") -> list[Opportunity]:
    """Live (not archived) opportunities, of one outcome and owner condition, biggest first."""
    stmt = select(Opportunity).where(Opportunity.archived_at.is_(None))
    if outcome is not None:
        stmt = stmt.where(Opportunity.outcome == outcome)
    if condition is not None:
        stmt = stmt.where(condition)
    return list(session.scalars(stmt.order_by(Opportunity.amount.desc().nulls_last(), Opportunity.id)))


def weighted_amount(amount: float | None, probability: float | None) -> float:
    return round(float(amount or 0.0) * float(probability or 0.0), 2)


# --- the board ----------------------------------------------------------------------------------------------

def _card(o: Opportunity, *, stage: Stage | None, scores: dict[int, dict[str, Any]], users: dict[int, str],
          accounts: dict[int, Account], today: date, can_move: bool, model: dict[str, Any] | None) -> dict[str, Any]:
    win = weighting(o, stage, scores)
    account = accounts.get(o.account_id) if o.account_id is not None else None
    return {"id": o.id, "external_id": o.external_id, "name": o.name, "stage": o.stage, "account_id": o.account_id,
            "account_name": account.name if account is not None else None, "amount": o.amount,
            "currency": o.currency, "owner_id": o.owner_id, "owner_name": owner_name(o, users),
            "next_step": o.next_step, "created_at": o.created_at, "expected_close": o.expected_close,
            "age_days": max(0, (today - o.created_at.date()).days), "version": o.version, **win,
            "weighted": weighted_amount(o.amount, win["probability"]), "model_state": model and model["state"],
            "can_move": can_move}


def board(*, session: Session, principal: Principal | None = None, owner: str | int | None = None,
          lang: str = "en", limit: int = CARDS_PER_STAGE) -> dict[str, Any]:
    """Open opportunities by stage: a column per open stage (in the configured order; a deal in a stage the
    pipeline does not have gets a column of its own, so none disappears), each with its count, amount, weighted
    amount and up to ``limit`` cards (biggest first). ``model``: the winprob model's state when it is not ready."""
    stages = get_stages(session=session)
    rows = deals(session=session, condition=owner_condition(session=session, owner=owner, principal=principal))
    scores, model = win_scores(session=session)
    users = user_names(session=session, ids=[o.owner_id for o in rows])
    account_ids = {o.account_id for o in rows if o.account_id is not None}
    accounts = ({a.id: a for a in session.scalars(select(Account).where(Account.id.in_(account_ids)))}
                if account_ids else {})
    today = workspace_today(session=session)
    by_key = {s.key: s for s in open_stages(stages)}
    columns: dict[str, dict[str, Any]] = {
        s.key: {"key": s.key, "name": s.label(lang), "probability": s.probability, "configured": True, "cards": []}
        for s in by_key.values()}
    for o in rows:
        column = columns.setdefault(o.stage, {"key": o.stage, "name": o.stage, "probability": None,
                                              "configured": False, "cards": []})
        allowed = principal is not None and may_change(principal, owner_id=owner_of(session=session, record=o))
        column["cards"].append(_card(o, stage=by_key.get(o.stage), scores=scores, users=users, accounts=accounts,
                                     today=today, can_move=allowed, model=model))
    for column in columns.values():
        cards = column["cards"]
        column.update(count=len(cards), amount=round(sum(float(c["amount"] or 0) for c in cards), 2),
                      weighted=round(sum(c["weighted"] for c in cards), 2), cards=cards[:limit],
                      more=max(0, len(cards) - limit))
    return {"stages": [{**s.model_dump(), "name": s.label(lang)} for s in stages], "columns": list(columns.values()),
            "won_stage": closing_stage(stages, "won").key, "lost_stage": closing_stage(stages, "lost").key,
            "model": model, "currencies": sorted({o.currency for o in rows if o.currency})}


def totals(*, session: Session, principal: Principal | None = None, owner: str | int | None = None,
           lang: str = "en") -> dict[str, Any]:
    """Count, amount and weighted amount per stage: open deals in their stage (weighted by their probability),
    won deals (weighted in full) and lost deals (weighted 0) in the won and lost stages, whatever stage key an
    import gave them; ``open``: all open deals together."""
    stages = get_stages(session=session)
    condition = owner_condition(session=session, owner=owner, principal=principal)
    scores, model = win_scores(session=session)
    by_key = {s.key: s for s in stages if s.kind == "open"}
    rows = {s.key: {"key": s.key, "name": s.label(lang), "kind": s.kind, "probability": s.probability, "count": 0,
                    "amount": 0.0, "weighted": 0.0} for s in stages}
    for o in deals(session=session, condition=condition, outcome=None):
        if o.outcome == "open":
            key, p = o.stage, weighting(o, by_key.get(o.stage), scores)["probability"]
            rows.setdefault(key, {"key": key, "name": key, "kind": "open", "probability": None, "count": 0,
                                  "amount": 0.0, "weighted": 0.0})
        else:
            key = closing_stage(stages, o.outcome).key
            p = 1.0 if o.outcome == "won" else 0.0
        row = rows[key]
        row["count"] += 1
        row["amount"] = round(row["amount"] + float(o.amount or 0), 2)
        row["weighted"] = round(row["weighted"] + weighted_amount(o.amount, p), 2)
    open_rows = [r for r in rows.values() if r["kind"] == "open"]
    summary = {"count": sum(r["count"] for r in open_rows), "amount": round(sum(r["amount"] for r in open_rows), 2),
               "weighted": round(sum(r["weighted"] for r in open_rows), 2)}
    return {"stages": list(rows.values()), "open": summary, "model": model}


# --- moving and closing -------------------------------------------------------------------------------------

def _change_stage(session: Session, record: Opportunity, changes: dict[str, Any], *, principal: Principal,
                  channel: str, expected_version: int | None, reason: str | None = None) -> dict[str, list[Any]]:
    """Apply a stage change through the records write path; tell subscribers when the stage or outcome moved."""
    before = {"stage": record.stage, "outcome": record.outcome}
    diff = apply_changes(session=session, entity=ENTITY, record=record, changes=changes, principal=principal,
                         channel=channel, expected_version=expected_version, action="stage_change")
    if "stage" in diff or "outcome" in diff:
        emit(session=session, event="opportunity.stage_changed", data={
            "id": record.id, "external_id": record.external_id, "name": record.name,
            "account_id": record.account_id, "from_stage": before["stage"], "to_stage": record.stage,
            "from_outcome": before["outcome"], "outcome": record.outcome, "amount": record.amount,
            "currency": record.currency, "owner_id": record.owner_id, "reason": reason, "by": principal.name,
            "channel": channel, "version": record.version})
    return diff


def move_opportunity(*, session: Session, opportunity_id: int, stage: str, principal: Principal, channel: str,
                     expected_version: int | None = None, reason: str | None = None) -> Opportunity:
    """Put the deal in ``stage``. A won or lost stage closes it (``reason`` required; ``outcome``, ``closed_at``
    and ``close_reason`` set); an open stage keeps it open, or reopens a closed deal (its close fields cleared,
    the audit trail keeps them). 403 not yours, 409 stale version or archived, 422 unknown stage or no reason."""
    record = get_record(session=session, entity=ENTITY, record_id=opportunity_id)
    require_change(principal, session=session, record=record, what=describe(ENTITY, record))
    check_version(record, expected_version, entity=ENTITY)
    if record.archived_at is not None:
        raise ConflictError(f"{describe(ENTITY, record)} is archived: restore it before moving it",
                            details=[{"field": "archived_at", "reason": "archived"}])
    stages = get_stages(session=session)
    target = next((s for s in stages if s.key == (stage or "").strip()), None)
    if target is None:
        raise ValidationFailed(f"unknown stage {stage!r}; the pipeline's stages are "
                               f"{', '.join(s.key for s in stages)}",
                               details=[{"field": "stage", "reason": "unknown stage", "value": stage}])
    reason = " ".join((reason or "").split()) or None
    if target.kind == "open":
        changes: dict[str, Any] = {"stage": target.key, "outcome": "open", "closed_at": None, "close_reason": None}
    else:
        if reason is None:
            raise ValidationFailed(f"say why the deal was {target.kind}: a reason is required to close it",
                                   details=[{"field": "reason", "reason": f"required for {target.kind}"}])
        changes = {"stage": target.key, "outcome": target.kind, "close_reason": reason[:2000]}
        if record.outcome != target.kind or record.closed_at is None:
            changes["closed_at"] = utcnow()
    _change_stage(session, record, changes, principal=principal, channel=channel, expected_version=expected_version,
                  reason=reason if target.kind != "open" else None)
    return record


def close_opportunity(*, session: Session, opportunity_id: int, outcome: str, reason: str | None,
                      principal: Principal, channel: str, expected_version: int | None = None) -> Opportunity:
    """Close the deal as ``won`` or ``lost`` (the pipeline's won or lost stage) with a reason."""
    if outcome not in ("won", "lost"):
        raise ValidationFailed(f"a deal closes as won or lost, not {outcome!r}",
                               details=[{"field": "outcome", "reason": "won or lost", "value": outcome}])
    stage = closing_stage(get_stages(session=session), outcome).key
    return move_opportunity(session=session, opportunity_id=opportunity_id, stage=stage, principal=principal,
                            channel=channel, expected_version=expected_version, reason=reason)


# --- changing the stages ------------------------------------------------------------------------------------

def save_stages(*, session: Session, stages: list[Any], principal: Principal, channel: str,
                move: dict[str, str] | None = None) -> dict[str, Any]:
    """Replace the workspace's stages (admins). A stage removed while open deals are in it needs a ``move``
    target (an open stage of the new list): otherwise 409 naming the stage and how many deals use it, and
    nothing changes. Closed deals of a removed stage go to the new won or lost stage by their outcome. Every
    moved deal gets its audit row and event; the change of the stages itself is audited too."""
    if not principal.allows("admin"):
        raise Forbidden(f"{principal.name} may not change the pipeline's stages: only admins do",
                        details=[{"field": "role", "reason": "admin required", "value": principal.role}])
    new = check_stages(stages)
    old = get_stages(session=session)
    new_by_key = {s.key: s for s in new}
    removed = [s for s in old if s.key not in new_by_key]
    move = {k.strip(): v.strip() for k, v in (move or {}).items() if v and v.strip()}
    removed_keys = {s.key for s in removed}
    for source, target in move.items():
        if source not in removed_keys:
            raise ValidationFailed(f"move: {source!r} is not a stage being removed",
                                   details=[{"field": f"move.{source}", "reason": "not a removed stage"}])
        if target not in new_by_key or new_by_key[target].kind != "open":
            raise ValidationFailed(f"move: deals of {source!r} can only go to an open stage of the new list, not "
                                   f"{target!r}", details=[{"field": f"move.{source}", "reason": "not an open stage",
                                                            "value": target}])
    in_use = stage_usage(session=session, outcome="open")
    blocked = [(s, in_use[s.key]) for s in removed if in_use.get(s.key) and s.key not in move]
    if blocked:
        words = "; ".join(f"{s.name_en} ({s.key}) has {n} open deal{'s' if n != 1 else ''}" for s, n in blocked)
        raise ConflictError(f"a stage still in use cannot be removed: {words}. Choose an open stage to move them "
                            "to (move: {stage: new stage}) or keep the stage",
                            details=[{"field": f"move.{s.key}", "reason": "in use", "value": n, "stage": s.key,
                                      "open_deals": n} for s, n in blocked])
    row = session.get(WorkspaceSetting, SETTING_KEY)
    value = {"stages": [s.model_dump() for s in new]}
    if row is None:
        session.add(WorkspaceSetting(key=SETTING_KEY, value=value, updated_at=utcnow()))
    else:
        row.value = value
    session.add(AuditEntry(entity="settings", record_id=0, action="update", user_id=principal.user_id,
                           actor=principal.name, channel=channel, at=utcnow(),
                           changes={SETTING_KEY: [[s.model_dump() for s in old], value["stages"]]}))
    moved: dict[str, int] = {}
    if removed:
        for o in session.scalars(select(Opportunity).where(Opportunity.stage.in_(removed_keys))
                                 .order_by(Opportunity.id)):
            target = (move.get(o.stage) if o.outcome == "open" else closing_stage(new, o.outcome).key)
            if target is None:
                continue  # an archived open deal with no target stays where it was
            source = o.stage
            if _change_stage(session, o, {"stage": target}, principal=principal, channel=channel,
                             expected_version=None):
                moved[source] = moved.get(source, 0) + 1
    session.flush()
    return {"stages": [s.model_dump() for s in new], "moved": moved}


__all__ = ["CARDS_PER_STAGE", "board", "close_opportunity", "deal_owners", "deals", "move_opportunity",
           "owned_by", "owner_condition", "owner_name", "save_stages", "totals", "user_names", "weighted_amount",
           "weighting", "win_scores"]
