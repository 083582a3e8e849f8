"""Outreach over HTTP: follow-ups drafted from tasks, the outbox (edit, send, discard), follow-up sequences
(define, enrol, advance, stop) and calendar invitations (.ics) for calls and meetings.

Sending answers 200 when the mail server took the message, 202 when no SMTP server is configured (the message is
queued in the outbox and ``note`` says so) and 502 with the server's answer when it failed; the failed state is
stored either way (the route returns the error instead of raising it, so the unit of work still commits it).

No ``from __future__ import annotations`` here: FastAPI must see the real types of the bodies.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from bizpilot.api.deps import SessionDep
from bizpilot.api.schemas import ErrorResponse, Page
from bizpilot.api.security import ReadPrincipal, WritePrincipal
from bizpilot.domain.outreach import OutboxMessage, OutboxMessagePublic
from bizpilot.services.followups import PURPOSES, draft_followup, review_message
from bizpilot.services.invites import DEFAULT_MINUTES, interaction_invite, render_invite, task_invite
from bizpilot.services.outbox import discard_message, get_message, list_messages, note_for, send_message, update_message
from bizpilot.services.sequences import (
    EnrollmentPublic,
    SequenceCreate,
    SequencePublic,
    SequenceUpdate,
    advance_sequences,
    create_sequence,
    delete_sequence,
    enroll_account,
    get_sequence,
    list_enrollments,
    list_sequences,
    require_manager,
    stop_enrollment,
    update_sequence,
)

router = APIRouter(tags=["outreach"])
Id = Annotated[int, Path(ge=1, le=2**62)]
Purpose = Literal[PURPOSES]  # type: ignore[valid-type]  # the follow-up purposes, one list (followups.PURPOSES)
WORDS = {403: "Your role only reads, or the record is not yours (sales and service users change what they own)",
         404: "No such task, message, sequence, account or interaction",
         409: "The message was already sent or discarded, the account is already enrolled, a sequence name is "
              "taken, or a sequence still has active enrolments",
         422: "Invalid input (purpose, language, address, steps), or a message that cannot be sent as it is",
         502: "The mail server refused the message or could not be reached (the message is stored as failed)"}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse, "description": WORDS[code]} for code in codes}


class MessageOut(OutboxMessagePublic):
    enrollment_id: int | None = None
    created_by: int | None = None
    note: str | None = Field(default=None, description="Why a queued message waits (sending is not configured)")


class MessageDetail(MessageOut):
    check: dict[str, Any] = Field(description="The model that wrote it, and its current text checked sentence by "
                                              "sentence against the facts it was written from")


class SendOut(BaseModel):
    outcome: Literal["sent", "queued", "failed"]
    note: str | None = None
    message: MessageOut


class FollowUpRequest(BaseModel):
    purpose: Purpose | None = Field(default=None, description="Default: from the task's source (reorder -> "
                                    "reorder_reminder, churn -> win_back, stale_deal -> quote_follow_up, "
                                    "recommendation -> cross_sell, alert/handoff -> service_follow_up)")
    language: Literal["en", "zh"] | None = Field(default=None, description="Default: the contact's, else the "
                                                 "account's language, else en")
    tone: Literal["neutral", "friendly", "formal", "enthusiastic"] = "neutral"
    length: Literal["short", "medium", "long"] = "medium"
    use_llm: bool = Field(default=True, description="Let the language model write it (checked; the template "
                                                    "text is used when its draft fails the check)")


class MessagePatch(BaseModel):
    subject: str | None = Field(default=None, min_length=1, max_length=255)
    body: str | None = Field(default=None, min_length=1, max_length=20000)
    to_address: str | None = Field(default=None, max_length=255, description="Empty clears it")


class SendRequest(BaseModel):
    complete_task: bool = Field(default=True, description="Mark the message's task done when it is sent")


class EnrollRequest(BaseModel):
    account_id: int = Field(ge=1, le=2**62)
    start: bool = Field(default=True, description="Do a first step that is due at once now")


class AdvanceRequest(BaseModel):
    auto_enroll: bool = Field(default=True, description="Enrol accounts at churn risk in churn_risk sequences")
    threshold: float = Field(default=0.3, gt=0, lt=1, description="Repurchase probability below which an account "
                                                                  "is at risk")


class AdvanceOut(BaseModel):
    enrolled: int = Field(description="Accounts enrolled automatically (churn risk)")
    emails: int = Field(description="E-mail steps done (a draft in the outbox and a task)")
    calls: int = Field(description="Call steps done (a task)")
    stopped: int = Field(description="Enrolments stopped because the customer ordered or replied")
    completed: int
    auto_enroll: str | None = Field(description="Why automatic enrolment did not run, when it did not")


def _out(message: OutboxMessage) -> MessageOut:
    return MessageOut.model_validate(message).model_copy(update={"note": note_for(message)})


@router.post("/tasks/{task_id}/follow-up", status_code=201, response_model=MessageOut,
             operation_id="draft_follow_up", summary="Draft the follow-up a task calls for",
             responses=_errors(403, 404, 422))
async def draft(task_id: Id, session: SessionDep, principal: WritePrincipal,
                body: FollowUpRequest | None = None) -> MessageOut:
    """Write the follow-up (grounded in the account's facts and checked) and keep it as a draft in the outbox,
    addressed to the account's main contact; an earlier unsent draft of the task is discarded."""
    body = body or FollowUpRequest()
    message = await run_in_threadpool(draft_followup, session=session, task_id=task_id, principal=principal,
                                      purpose=body.purpose, language=body.language, tone=body.tone,
                                      length=body.length, use_llm=body.use_llm)
    return _out(message)


@router.get("/outbox", response_model=Page[MessageOut], operation_id="list_outbox", summary="Outbox messages")
def outbox(session: SessionDep,
           status: Annotated[Literal["draft", "queued", "sent", "failed", "discarded", "unsent"] | None,
                             Query(description="unsent: draft, queued or failed")] = None,
           task_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
           account_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 50,
           offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> Page[MessageOut]:
    rows, total = list_messages(session=session, status=status, task_id=task_id, account_id=account_id,
                                limit=limit, offset=offset)
    return Page[MessageOut](items=[_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/outbox/{message_id}", response_model=MessageDetail, operation_id="get_outbox_message",
            summary="One outbox message with its check", responses=_errors(404))
def outbox_message(message_id: Id, session: SessionDep) -> MessageDetail:
    message = get_message(session=session, message_id=message_id)
    return MessageDetail(**_out(message).model_dump(), check=review_message(session=session, message=message))


@router.patch("/outbox/{message_id}", response_model=MessageOut, operation_id="update_outbox_message",
              summary="Edit an unsent message", responses=_errors(403, 404, 409, 422))
def edit(message_id: Id, body: MessagePatch, session: SessionDep, principal: WritePrincipal) -> MessageOut:
    return _out(update_message(session=session, message_id=message_id, principal=principal, subject=body.subject,
                               body=body.body, to_address=body.to_address))


@router.delete("/outbox/{message_id}", status_code=204, operation_id="discard_outbox_message",
               summary="Discard an unsent message", responses=_errors(403, 404, 409))
def discard(message_id: Id, session: SessionDep, principal: WritePrincipal) -> Response:
    discard_message(session=session, message_id=message_id, principal=principal)
    return Response(status_code=204)


@router.post("/outbox/{message_id}/send", response_model=SendOut, operation_id="send_outbox_message",
             summary="Send a message (SMTP), or queue it when sending is not configured",
             responses={202: {"model": SendOut, "description": "Not sent: no SMTP server is configured; queued "
                                                               "in the outbox (see note)"},
                        **_errors(403, 404, 409, 422, 502)})
async def send(message_id: Id, session: SessionDep, principal: WritePrincipal,
               body: SendRequest | None = None) -> Any:
    """Deliver by SMTP; a sent message is logged as an outbound e-mail interaction and completes its task."""
    result = await run_in_threadpool(send_message, session=session, message_id=message_id, principal=principal,
                                     complete_task=(body or SendRequest()).complete_task, channel="api")
    out = SendOut(outcome=result.outcome, note=result.note, message=_out(result.message))  # type: ignore[arg-type]
    if result.outcome == "failed":
        error = {"code": "mail_error", "message": result.note or "the mail server did not accept the message",
                 "details": [{"field": "smtp", "reason": result.message.error or ""}]}
        return JSONResponse(status_code=502, content={"error": error, "outbox_message": out.message.model_dump(
            mode="json")})
    return JSONResponse(status_code=202 if result.outcome == "queued" else 200, content=out.model_dump(mode="json"))


# --- sequences ----------------------------------------------------------------------------------------------

@router.get("/sequences", response_model=list[SequencePublic], operation_id="list_sequences",
            summary="Follow-up sequences (the default Win-back is made on first use)")
def sequences(session: SessionDep) -> list[SequencePublic]:
    return [SequencePublic.model_validate(s) for s in list_sequences(session=session)]


@router.post("/sequences", status_code=201, response_model=SequencePublic, operation_id="create_sequence",
             summary="Define a sequence (managers and admins)", responses=_errors(403, 409, 422))
def create(body: SequenceCreate, session: SessionDep, principal: WritePrincipal) -> SequencePublic:
    return SequencePublic.model_validate(create_sequence(session=session, data=body, principal=principal))


@router.post("/sequences/advance", response_model=AdvanceOut, operation_id="advance_sequences",
             summary="Enrol accounts at risk, do due steps, stop and complete enrolments (managers and admins)",
             responses=_errors(403, 422))
async def advance(session: SessionDep, principal: WritePrincipal, body: AdvanceRequest | None = None) -> AdvanceOut:
    require_manager(principal, "advance sequences")
    body = body or AdvanceRequest()
    report = await run_in_threadpool(advance_sequences, session=session, auto=body.auto_enroll,
                                     threshold=body.threshold)
    return AdvanceOut(**report.to_dict())


@router.get("/sequences/{sequence_id}", response_model=SequencePublic, operation_id="get_sequence",
            summary="One sequence", responses=_errors(404))
def sequence(sequence_id: Id, session: SessionDep) -> SequencePublic:
    return SequencePublic.model_validate(get_sequence(session=session, sequence_id=sequence_id))


@router.patch("/sequences/{sequence_id}", response_model=SequencePublic, operation_id="update_sequence",
              summary="Change a sequence (managers and admins)", responses=_errors(403, 404, 409, 422))
def change(sequence_id: Id, body: SequenceUpdate, session: SessionDep, principal: WritePrincipal) -> SequencePublic:
    return SequencePublic.model_validate(update_sequence(session=session, sequence_id=sequence_id, data=body,
                                                         principal=principal))


@router.delete("/sequences/{sequence_id}", status_code=204, operation_id="delete_sequence",
               summary="Delete a sequence nobody is going through", responses=_errors(403, 404, 409))
def remove(sequence_id: Id, session: SessionDep, principal: WritePrincipal) -> Response:
    delete_sequence(session=session, sequence_id=sequence_id, principal=principal)
    return Response(status_code=204)


@router.post("/sequences/{sequence_id}/enroll", status_code=201, response_model=EnrollmentPublic,
             operation_id="enroll_account", summary="Start a sequence for an account",
             responses=_errors(403, 404, 409, 422))
async def enroll(sequence_id: Id, body: EnrollRequest, session: SessionDep,
                 principal: WritePrincipal) -> EnrollmentPublic:
    enrollment = await run_in_threadpool(enroll_account, session=session, sequence_id=sequence_id,
                                         account_id=body.account_id, principal=principal, start=body.start)
    return EnrollmentPublic.model_validate(enrollment)


@router.get("/sequences/{sequence_id}/enrollments", response_model=list[EnrollmentPublic],
            operation_id="list_enrollments", summary="Who is going through a sequence", responses=_errors(404))
def enrollments(sequence_id: Id, session: SessionDep,
                status: Annotated[Literal["active", "stopped", "completed"] | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[EnrollmentPublic]:
    get_sequence(session=session, sequence_id=sequence_id)
    return [EnrollmentPublic.model_validate(e) for e in list_enrollments(session=session, sequence_id=sequence_id,
                                                                         status=status, limit=limit)]


@router.post("/enrollments/{enrollment_id}/stop", response_model=EnrollmentPublic, operation_id="stop_enrollment",
             summary="Stop an enrolment by hand", responses=_errors(403, 404, 409))
def stop(enrollment_id: Id, session: SessionDep, principal: WritePrincipal) -> EnrollmentPublic:
    return EnrollmentPublic.model_validate(stop_enrollment(session=session, enrollment_id=enrollment_id,
                                                           principal=principal))


# --- calendar invitations -----------------------------------------------------------------------------------

def _ics(text: str, name: str) -> Response:
    return Response(content=text.encode("utf-8"), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.ics"'})


Minutes = Annotated[int, Query(ge=1, le=1440, description="Length of the call or meeting")]
ICS = {200: {"content": {"text/calendar": {}}, "description": "An iCalendar (RFC 5545) invitation"}}


@router.get("/tasks/{task_id}/invite.ics", response_class=Response, operation_id="task_invite",
            summary="Calendar invitation for a task's call or meeting", responses={**ICS, **_errors(404, 422)})
def task_ics(task_id: Id, session: SessionDep, principal: ReadPrincipal,
             start: Annotated[datetime | None, Query(description="When (ISO 8601; without a zone: UTC). Default: "
                                                                 "the due date at 09:00 UTC")] = None,
             minutes: Minutes = DEFAULT_MINUTES) -> Response:
    invite = task_invite(session=session, task_id=task_id, start=start, minutes=minutes,
                         organizer_user_id=principal.user_id)
    return _ics(render_invite(invite), f"task-{task_id}")


@router.get("/interactions/{interaction_id}/invite.ics", response_class=Response, operation_id="interaction_invite",
            summary="Calendar invitation for a logged call or meeting", responses={**ICS, **_errors(404, 422)})
def interaction_ics(interaction_id: Id, session: SessionDep, principal: ReadPrincipal,
                    minutes: Minutes = DEFAULT_MINUTES) -> Response:
    invite = interaction_invite(session=session, interaction_id=interaction_id, minutes=minutes,
                                organizer_user_id=principal.user_id)
    return _ics(render_invite(invite), f"interaction-{interaction_id}")
