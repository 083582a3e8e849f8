"""Accounts list (search, filters, owner, sort, pages, a new account) and the account page: its profile, edited in
place (a stale save says someone changed it meanwhile and shows the stored values, keeping what was typed), archive
and restore, its contacts (add, edit, archive), logging a call, meeting, e-mail or note, its open tasks (Done and
Snooze where the user may work on them, as on Today), its industry (accept or correct the prediction) and its audit
trail.

Every change goes through ``services/records.py`` (channel ``page``): the same validation, ownership rule, version
check and audit trail as the API. The page offers edit controls only where the user may change the record; the
service refuses the rest with a 403 page.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.db.base import utcnow
from bizpilot.domain import Contact
from bizpilot.domain.account import SIZE_BANDS, TIERS
from bizpilot.errors import BizpilotError, ConflictError, Forbidden, NotFoundError, ValidationFailed
from bizpilot.services.accounts import account_detail, revenue_for_accounts
from bizpilot.services.industry.service import industry_panel, review_industry
from bizpilot.services.intelligence.profile import account_intelligence
from bizpilot.services.invoices import open_invoices
from bizpilot.services.listing import distinct_values, list_rows
from bizpilot.services.records import archive_record, create_record, get_record, restore_record, update_record
from bizpilot.services.tasks import complete_task, get_task, snooze_task, tasks_for_account
from bizpilot.web.charts import revenue_chart
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
from bizpilot.web.pending import refresh_after
from bizpilot.web.record_forms import (
    FormState,
    can_change,
    form_values,
    notice_of,
    principal_of,
    trail,
    users_to_pick,
    version_of,
)

router = APIRouter()

PAGE_SIZE = 50
FACETS = ("industry", "country", "tier")
SORT_CHOICES = ("name", "-name", "-created_at", "created_at", "country", "industry")
ACCOUNT_FIELDS = ("name", "industry", "size_band", "country", "region", "tier", "language", "description", "owner_id")
CONTACT_FIELDS = ("name", "title", "email", "phone", "language")
ACTIVITY_KINDS = {"call": "outbound", "meeting": "outbound", "email": "outbound", "note": "internal"}
OUTCOMES = ("connected", "left_voicemail", "no_answer", "meeting_booked", "quote_requested", "order_promised",
            "not_interested", "follow_up")
MAX_ID = 2**63 - 1
AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]
ContactId = Annotated[int, Path(ge=1, le=MAX_ID)]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
SNOOZE_DAYS = (1, 7)
Text = Annotated[str, Form(max_length=255)]
LongText = Annotated[str, Form(max_length=20_000)]


def _owner_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _account_form(form: dict[str, Any]) -> dict[str, Any]:
    values = form_values(form, ACCOUNT_FIELDS)
    if "owner_id" in values:
        values["owner_id"] = _owner_id(values["owner_id"])
    return values


@router.get("/accounts", name="accounts")
def accounts_list(request: Request, session: SessionDep, q: str | None = None, industry: str | None = None,
                  country: str | None = None, tier: str | None = None, owner: str | None = None,
                  archived: str | None = None, sort: str | None = None,
                  page: Annotated[int, Query(ge=1)] = 1) -> Response:
    return _list_page(request, session, q=q, filters={"industry": industry, "country": country, "tier": tier},
                      owner=owner, archived=archived, sort=sort, page=page)


def _list_page(request: Request, session: Session, *, q: str | None, filters: dict[str, str | None],
               owner: str | None, archived: str | None, sort: str | None, page: int, status_code: int = 200,
               new: FormState | None = None) -> Response:
    lang = request_lang(request)
    principal = principal_of(request)
    if owner == "me" and principal.user_id is None:
        owner = None  # the workspace owner's session belongs to no user: "mine" means nothing there
    archived = archived if archived in ("only", "include") else None
    result = list_rows(session=session, entity="accounts", filters=filters, q=q, sort=sort or None, limit=PAGE_SIZE,
                       offset=(page - 1) * PAGE_SIZE, archived=archived or "exclude", owner=owner,
                       user_id=principal.user_id)
    facets = {name: distinct_values(session=session, entity="accounts", column=name) for name in FACETS}
    revenue = revenue_for_accounts(session=session, account_ids=[a.id for a in result.items])
    users = users_to_pick(session=session)
    filtered = bool((q or "").strip() or any(filters.values()) or owner or archived)
    return render(request, "accounts/list.html", status_code=status_code, title=t("accounts.title", lang),
                  page=result, page_no=page, page_size=PAGE_SIZE, revenue=revenue, facets=facets,
                  filters={**filters, "owner": owner, "archived": archived}, q=q or "", sort=sort or "",
                  sort_choices=SORT_CHOICES, filtered=filtered, users=users,
                  user_names={u.id: u.name for u in users}, owner=owner or "", archived=archived or "",
                  can_create=principal.allows("write"), can_assign=principal.changes_everything,
                  me=principal.user_id, new=new or FormState(), tiers=TIERS, size_bands=SIZE_BANDS)


@router.post("/accounts/new", name="account_create")
def account_create(request: Request, session: SessionDep, name: Text = "", industry: Text = "", country: Text = "",
                   region: Text = "", tier: Text = "", size_band: Text = "", language: Text = "",
                   description: LongText = "", owner_id: Text = "") -> Response:
    form = {"name": name, "industry": industry, "country": country, "region": region, "tier": tier,
            "size_band": size_band, "language": language, "description": description}
    if owner_id:
        form["owner_id"] = owner_id
    values = _account_form(form)
    try:
        account = create_record(session=session, entity="accounts", data=values, principal=principal_of(request),
                                channel="page")
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()
        return _list_page(request, session, q=None, filters={"industry": None, "country": None, "tier": None},
                          owner=None, archived=None, sort=None, page=1, status_code=exc.status,
                          new=FormState.failed(values, exc))
    return RedirectResponse(f"/accounts/{account.id}?notice=created", status_code=303)


@router.get("/accounts/{account_id}", name="account_detail")
def account_page(request: Request, account_id: AccountId, session: SessionDep) -> Response:
    return _detail_page(request, session, account_id)


def _detail_page(request: Request, session: Session, account_id: int, *, status_code: int = 200,
                 forms: dict[str, FormState] | None = None, errors: dict[str, str] | None = None) -> Response:
    lang = request_lang(request)
    principal = principal_of(request)
    detail = account_detail(session=session, account_id=account_id)
    chart = revenue_chart(detail.revenue_by_month, label=t("account.revenue_by_month", lang))
    # Profile, segment, repurchase score and win probabilities with their factors, as training computed them;
    # a section whose model is still training says so (``intel.pending``) and the page refreshes itself.
    intel = account_intelligence(session=session, account_id=account_id)
    # The industry's prediction waits for its model the same way (its state joins ``intel.pending``).
    industry = industry_panel(session=session, account_id=account_id, lang=lang, pending=intel["pending"])
    editable = can_change(principal, session=session, record=detail.account)
    tasks = tasks_for_account(session=session, account_id=account_id)
    invoices = open_invoices(session=session, account_id=account_id)
    # A task is worked on by its owner and by whoever may change its account (the policy of services/tasks.py).
    workable = {v["id"] for v in tasks if editable or (principal.allows("write") and principal.user_id is not None
                                                        and v["owner_id"] == principal.user_id)}
    forms, errors = forms or {}, errors or {}
    return render(request, "accounts/detail.html", status_code=status_code, title=detail.account.name, d=detail,
                  chart=chart, intel=intel, refresh=None if forms or errors else refresh_after(intel["pending"]),
                  industry=industry, industry_error=errors.get("industry"), tasks=tasks, workable=workable,
                  tasks_error=errors.get("tasks"), snooze_days=SNOOZE_DAYS, invoices=invoices,
                  editable=editable, can_assign=principal.changes_everything,
                  users=users_to_pick(session=session, keep=detail.account.owner_id) if editable else [],
                  history=trail(session=session, entity="accounts", record_id=account_id),
                  notice=notice_of(request), forms=forms, edit=forms.get("edit") or FormState(),
                  contact_form=forms.get("contact") or FormState(), activity=forms.get("activity") or FormState(),
                  blank=FormState(),
                  tiers=TIERS, size_bands=SIZE_BANDS, activity_kinds=tuple(ACTIVITY_KINDS), outcomes=OUTCOMES,
                  today=utcnow().date().isoformat())


@router.post("/accounts/{account_id}/edit", name="account_edit")
def account_edit(request: Request, account_id: AccountId, session: SessionDep, name: Text = "",
                 industry: Text = "", size_band: Text = "", country: Text = "", region: Text = "", tier: Text = "",
                 language: Text = "", description: LongText = "", owner_id: Text = "",
                 version: Annotated[str, Form(max_length=20)] = "") -> Response:
    form = {"name": name, "industry": industry, "size_band": size_band, "country": country, "region": region,
            "tier": tier, "language": language, "description": description}
    if owner_id:
        form["owner_id"] = owner_id
    values = _account_form(form)
    try:
        update_record(session=session, entity="accounts", record_id=account_id, data=values,
                      principal=principal_of(request), channel="page",
                      expected_version=version_of({"version": version}))
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()
        state = FormState.failed(values, exc, get_record(session=session, entity="accounts", record_id=account_id))
        return _detail_page(request, session, account_id, status_code=exc.status, forms={"edit": state})
    return RedirectResponse(f"/accounts/{account_id}?notice=saved#profile", status_code=303)


@router.post("/accounts/{account_id}/archive", name="account_archive")
def account_archive(request: Request, account_id: AccountId, session: SessionDep) -> Response:
    archive_record(session=session, entity="accounts", record_id=account_id, principal=principal_of(request),
                   channel="page")
    return RedirectResponse(f"/accounts/{account_id}?notice=archived", status_code=303)


@router.post("/accounts/{account_id}/restore", name="account_restore")
def account_restore(request: Request, account_id: AccountId, session: SessionDep) -> Response:
    restore_record(session=session, entity="accounts", record_id=account_id, principal=principal_of(request),
                   channel="page")
    return RedirectResponse(f"/accounts/{account_id}?notice=restored", status_code=303)


@router.post("/accounts/{account_id}/contacts", name="contact_add")
def contact_add(request: Request, account_id: AccountId, session: SessionDep, name: Text = "", title: Text = "",
                email: Text = "", phone: Text = "", language: Text = "") -> Response:
    values = form_values({"name": name, "title": title, "email": email, "phone": phone, "language": language},
                         CONTACT_FIELDS)
    get_record(session=session, entity="accounts", record_id=account_id)
    try:
        create_record(session=session, entity="contacts", data={**values, "account_id": account_id},
                      principal=principal_of(request), channel="page")
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()
        return _detail_page(request, session, account_id, status_code=exc.status,
                            forms={"contact": FormState.failed(values, exc)})
    return RedirectResponse(f"/accounts/{account_id}?notice=contact_added#contacts", status_code=303)


def _contact(session: Session, account_id: int, contact_id: int) -> Contact:
    """The account's contact (another account's is as unknown here as a missing one)."""
    contact = get_record(session=session, entity="contacts", record_id=contact_id)
    if contact.account_id != account_id:
        raise NotFoundError(f"contact {contact_id} is not a contact of account {account_id}",
                            details=[{"field": "contact_id", "reason": "not this account's", "value": contact_id}])
    return contact


@router.post("/accounts/{account_id}/contacts/{contact_id}/edit", name="contact_edit")
def contact_edit(request: Request, account_id: AccountId, contact_id: ContactId, session: SessionDep,
                 name: Text = "", title: Text = "", email: Text = "", phone: Text = "", language: Text = "",
                 version: Annotated[str, Form(max_length=20)] = "") -> Response:
    _contact(session, account_id, contact_id)
    values = form_values({"name": name, "title": title, "email": email, "phone": phone, "language": language},
                         CONTACT_FIELDS)
    try:
        update_record(session=session, entity="contacts", record_id=contact_id, data=values,
                      principal=principal_of(request), channel="page",
                      expected_version=version_of({"version": version}))
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()
        state = FormState.failed(values, exc, get_record(session=session, entity="contacts", record_id=contact_id))
        return _detail_page(request, session, account_id, status_code=exc.status,
                            forms={f"contact-{contact_id}": state})
    return RedirectResponse(f"/accounts/{account_id}?notice=contact_saved#contacts", status_code=303)


@router.post("/accounts/{account_id}/contacts/{contact_id}/archive", name="contact_archive")
def contact_archive(request: Request, account_id: AccountId, contact_id: ContactId, session: SessionDep) -> Response:
    _contact(session, account_id, contact_id)
    archive_record(session=session, entity="contacts", record_id=contact_id, principal=principal_of(request),
                   channel="page")
    return RedirectResponse(f"/accounts/{account_id}?notice=contact_archived#contacts", status_code=303)


@router.post("/accounts/{account_id}/activities", name="activity_log")
def activity_log(request: Request, account_id: AccountId, session: SessionDep, kind: Text = "call",
                 contact_id: Text = "", outcome: Text = "", occurred_on: Text = "", subject: Text = "",
                 text: LongText = "") -> Response:
    """A call, meeting, e-mail or note becomes an Interaction (analysed for sentiment and intent like any other),
    logged by the signed-in user."""
    values = {"kind": kind, "contact_id": contact_id, "outcome": outcome, "occurred_on": occurred_on,
              "subject": subject, "text": text}
    account = get_record(session=session, entity="accounts", record_id=account_id)
    try:
        data = _activity(account.id, values)
        if data.get("contact_id") is not None:
            contact = session.get(Contact, data["contact_id"])
            if contact is None or contact.account_id != account.id:
                raise ValidationFailed("pick one of this account's contacts",
                                       details=[{"field": "contact_id", "reason": "not this account's contact"}])
        create_record(session=session, entity="interactions", data=data, principal=principal_of(request),
                      channel="page")
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()
        return _detail_page(request, session, account_id, status_code=exc.status,
                            forms={"activity": FormState.failed(values, exc)})
    return RedirectResponse(f"/accounts/{account_id}?notice=activity_logged#activities", status_code=303)


def _activity(account_id: int, form: dict[str, str]) -> dict[str, Any]:
    kind = form["kind"].strip()
    if kind not in ACTIVITY_KINDS:
        raise ValidationFailed(f"unknown kind of activity {kind!r}; one of {', '.join(ACTIVITY_KINDS)}",
                               details=[{"field": "kind", "reason": "unknown kind", "value": kind}])
    if not form["text"].strip():
        raise ValidationFailed("say what happened: the notes are empty",
                               details=[{"field": "text", "reason": "required value is missing"}])
    today = utcnow().date()
    try:
        day = date.fromisoformat(form["occurred_on"].strip()) if form["occurred_on"].strip() else today
    except ValueError:
        raise ValidationFailed(f"{form['occurred_on']!r} is not a date (YYYY-MM-DD)",
                               details=[{"field": "occurred_on", "reason": "not a date"}]) from None
    if day > today:
        raise ValidationFailed("an activity that happened cannot be in the future (plan it as a task)",
                               details=[{"field": "occurred_on", "reason": "in the future"}])
    # today: now (the order of today's activities); an earlier day: noon of that day
    occurred_at = datetime.combine(day, utcnow().time() if day == today else time(12))
    data: dict[str, Any] = {"channel": kind, "direction": ACTIVITY_KINDS[kind], "account_id": account_id,
                            "occurred_at": occurred_at, "text": form["text"].strip(),
                            "subject": form["subject"].strip() or None, "outcome": form["outcome"].strip() or None}
    if form["contact_id"].strip():
        data["contact_id"] = _owner_id(form["contact_id"].strip())
    return data


# --- the account's tasks and industry -----------------------------------------------------------------------

def _account_task(session: Session, account_id: int, task_id: int) -> None:
    """404 for a task that is not this account's (as for a contact of another account)."""
    if get_task(session=session, task_id=task_id).account_id != account_id:
        raise NotFoundError(f"task {task_id} is not a task of account {account_id}",
                            details=[{"field": "task_id", "reason": "not this account's", "value": task_id}])


def _task_change(request: Request, session: Session, account_id: int, action: Any) -> Response:
    """Run one task change; back to the account's tasks, or the page with why it failed (403 as the error page)."""
    try:
        action()
    except Forbidden:
        raise
    except BizpilotError as exc:
        session.rollback()
        return _detail_page(request, session, account_id, status_code=exc.status, errors={"tasks": exc.message})
    return RedirectResponse(f"/accounts/{account_id}?notice=saved#account-tasks", status_code=303)


@router.post("/accounts/{account_id}/tasks/{task_id}/done", name="account_task_done")
def account_task_done(request: Request, account_id: AccountId, task_id: TaskId, session: SessionDep) -> Response:
    _account_task(session, account_id, task_id)
    return _task_change(request, session, account_id, lambda: complete_task(
        session=session, task_id=task_id, principal=principal_of(request), channel="page"))


@router.post("/accounts/{account_id}/tasks/{task_id}/snooze", name="account_task_snooze")
def account_task_snooze(request: Request, account_id: AccountId, task_id: TaskId, session: SessionDep,
                        days: Annotated[int, Form(ge=1, le=366)] = 1) -> Response:
    _account_task(session, account_id, task_id)
    return _task_change(request, session, account_id, lambda: snooze_task(
        session=session, task_id=task_id, principal=principal_of(request), channel="page", days=days))


@router.post("/accounts/{account_id}/industry", name="account_industry")
def account_industry_review(request: Request, account_id: AccountId, session: SessionDep,
                            label: Annotated[str, Form(max_length=200)] = "",
                            version: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Accept the prediction (no label) or correct it: the account's industry is set, audited, and trains the next
    industry model (``services/industry/service.py::review_industry``)."""
    try:
        review_industry(session=session, account_id=account_id, label=label.strip() or None,
                        principal=principal_of(request), channel="page",
                        expected_version=version_of({"version": version}))
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()
        return _detail_page(request, session, account_id, status_code=exc.status, errors={"industry": exc.message})
    return RedirectResponse(f"/accounts/{account_id}?notice=saved#account-industry", status_code=303)
