"""`bizpilot sequences list|create|enroll|advance|stop`: follow-up sequences (ordered e-mail and call steps with
delays), who goes through them, and the run that does the due steps."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bizpilot.cli._common import JsonOpt, print_json, print_outcome, print_table, workspace_session
from bizpilot.errors import ValidationFailed

sequences_app = typer.Typer(help="Follow-up sequences: e-mail and call steps with delays, run for an account until "
                                 "the customer orders or replies.", no_args_is_help=True)
STEP_HELP = ("A step as KIND[:DAYS[:PURPOSE]], in order: kind email or call, days after the previous step, purpose "
             "reorder_reminder, win_back, quote_follow_up, cross_sell, service_follow_up or check_in "
             "(e.g. --step email:0:win_back --step call:3)")


def parse_step(text: str) -> dict[str, Any]:
    """``email:0:win_back`` -> ``{"kind": "email", "delay_days": 0, "purpose": "win_back"}``."""
    parts = [p.strip() for p in text.split(":")]
    if not 1 <= len(parts) <= 3 or not parts[0]:
        raise ValidationFailed(f"a step is KIND[:DAYS[:PURPOSE]], not {text!r}",
                               details=[{"field": "step", "reason": "KIND[:DAYS[:PURPOSE]]", "value": text}])
    step: dict[str, Any] = {"kind": parts[0]}
    if len(parts) > 1 and parts[1]:
        if not parts[1].isdigit():
            raise ValidationFailed(f"the days of step {text!r} must be a whole number",
                                   details=[{"field": "step", "reason": "days must be a number", "value": text}])
        step["delay_days"] = int(parts[1])
    if len(parts) > 2 and parts[2]:
        step["purpose"] = parts[2]
    return step


def _steps_text(steps: list[dict[str, Any]]) -> str:
    return " → ".join(f"{s['kind']}+{s.get('delay_days', 0)}d ({s.get('purpose', 'check_in')})" for s in steps)


@sequences_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """The workspace's sequences with their steps and how many accounts are going through each."""
    from bizpilot.services.sequences import SequencePublic, list_enrollments, list_sequences

    with workspace_session() as session:
        rows = []
        for sequence in list_sequences(session=session):
            active = len(list_enrollments(session=session, sequence_id=sequence.id, status="active", limit=100_000))
            view = SequencePublic.model_validate(sequence).model_dump(mode="json")
            rows.append({**view, "active_enrollments": active})
    if as_json:
        print_json({"items": rows, "total": len(rows)})
        return
    print_table(f"sequences: {len(rows)}", ("id", "name", "trigger", "active", "enrolled", "steps"),
                ((str(r["id"]), r["name"], r["trigger"], "yes" if r["active"] else "no",
                  str(r["active_enrollments"]), _steps_text(r["steps"])) for r in rows), right=("id", "enrolled"))


@sequences_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The sequence's name (unique)")],
    step: Annotated[list[str], typer.Option("--step", help=STEP_HELP)],
    trigger: Annotated[str, typer.Option("--trigger", help="manual, or churn_risk (enrol accounts whose "
                                                           "repurchase chance falls)")] = "manual",
    inactive: Annotated[bool, typer.Option("--inactive", help="Create it switched off")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Define a sequence."""
    from bizpilot.services.auth import SYSTEM
    from bizpilot.services.sequences import SequencePublic, create_sequence

    data = {"name": name, "trigger": trigger, "steps": [parse_step(s) for s in step], "active": not inactive}
    with workspace_session() as session:
        out = SequencePublic.model_validate(create_sequence(session=session, data=data, principal=SYSTEM))
        result = out.model_dump(mode="json")
    print_outcome(as_json, result,
                  f"created sequence {result['id']} {result['name']!r}: {_steps_text(result['steps'])}")


@sequences_app.command("enroll")
def enroll(
    sequence: Annotated[str, typer.Argument(help="The sequence's id or name (e.g. Win-back)")],
    account: Annotated[str, typer.Argument(help="The account's external id or id")],
    no_start: Annotated[bool, typer.Option("--no-start", help="Leave the first step to the next advance")] = False,
    llm: Annotated[bool, typer.Option("--llm", help="Let the language model write e-mail drafts (checked)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Start a sequence for an account; a first step due at once is done now (a draft in the outbox, or a task)."""
    from bizpilot.services.auth import SYSTEM
    from bizpilot.services.references import resolve_account
    from bizpilot.services.sequences import EnrollmentPublic, enroll_account

    with workspace_session() as session:
        target = resolve_account(session=session, ref=account)
        enrollment = enroll_account(session=session, sequence_id=sequence, account_id=target.id, principal=SYSTEM,
                                    start=not no_start, use_llm=llm)
        result = {**EnrollmentPublic.model_validate(enrollment).model_dump(mode="json"), "account": target.name}
    nxt = f", next step {result['next_at']}" if result["next_at"] else ""
    print_outcome(as_json, result, f"enrolled {result['account']} (enrolment {result['id']}): "
                                   f"{result['step']} step(s) done, {result['status']}{nxt}")


@sequences_app.command("advance")
def advance(
    no_auto: Annotated[bool, typer.Option("--no-auto", help="Do not enrol accounts at churn risk")] = False,
    threshold: Annotated[float, typer.Option("--threshold", min=0.01, max=0.99, help="Repurchase probability below "
                                             "which an account is at risk")] = 0.3,
    llm: Annotated[bool, typer.Option("--llm", help="Let the language model write e-mail drafts (checked)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Enrol accounts at churn risk, stop enrolments whose customer ordered or replied, do the due steps."""
    from bizpilot.services.sequences import advance_sequences

    with workspace_session() as session:
        result = advance_sequences(session=session, auto=not no_auto, threshold=threshold, use_llm=llm).to_dict()
    note = f" (automatic enrolment: {result['auto_enroll']})" if result["auto_enroll"] else ""
    print_outcome(as_json, result, f"enrolled {result['enrolled']}, e-mails drafted {result['emails']}, calls "
                                   f"{result['calls']}, stopped {result['stopped']}, completed "
                                   f"{result['completed']}{note}")


@sequences_app.command("stop")
def stop(
    enrollment: Annotated[int, typer.Argument(help="The enrolment's id", min=1)],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept with the enrolment)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Stop an enrolment: its unsent drafts are discarded and its open tasks closed."""
    from bizpilot.services.auth import SYSTEM
    from bizpilot.services.sequences import EnrollmentPublic, stop_enrollment

    with workspace_session() as session:
        result = EnrollmentPublic.model_validate(stop_enrollment(
            session=session, enrollment_id=enrollment, principal=SYSTEM, reason=reason)).model_dump(mode="json")
    print_outcome(as_json, result, f"stopped enrolment {result['id']}: {result['stopped_reason']}")


__all__ = ["parse_step", "sequences_app"]
