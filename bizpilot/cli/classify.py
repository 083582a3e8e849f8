"""`bizpilot classify accounts|review|set|taxonomy`: industry classification of the workspace's accounts.

* ``accounts [--retrain] [--json]``: classify every account without an industry (the ``industry`` model is trained
  first when it never was, when accounts or the taxonomy changed, or with ``--retrain``).
* ``review [--limit N]``: the predictions waiting for a person, most useful label first.
* ``set ACCOUNT [LABEL]``: accept the prediction (no label) or correct it; audited like an edit on the page.
* ``taxonomy [--import FILE | --export FILE | --reset]``: the taxonomy accounts are classified into.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import (
    JsonOpt,
    err_console,
    handle_errors,
    prepare_workspace,
    print_json,
    print_outcome,
    print_table,
    workspace_session,
)

classify_app = typer.Typer(help="Industry classification of accounts: predictions, review, taxonomy.",
                           no_args_is_help=True)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@classify_app.command("accounts")
@handle_errors
def accounts(
    retrain: Annotated[bool, typer.Option("--retrain", help="Train the industry model again even if nothing "
                                          "changed")] = False,
    limit: Annotated[int, typer.Option("--limit", min=0, help="How many predictions to list (0: all)")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Classify every account without an industry (zh and en descriptions) and list the predictions."""
    from bizpilot.db import get_engine
    from bizpilot.errors import InsufficientData, ValidationFailed
    from bizpilot.services.industry.service import classification_summary, industry_model_stale
    from bizpilot.services.industry.specs import INDUSTRY
    from bizpilot.services.models.jobs import run_training

    prepare_workspace()
    with workspace_session() as session:
        stale = industry_model_stale(session=session)
    outcome = None
    if retrain or stale:
        with err_console.status("classifying accounts...") as status:
            outcome = run_training(INDUSTRY, engine=get_engine(), trigger="cli",
                                   progress=lambda f, note="": status.update(f"classifying accounts: {f:.0%} {note}"))
        if outcome.status == "skipped":
            raise InsufficientData(f"nothing classified: {outcome.message}")
        if outcome.status == "failed":
            raise ValidationFailed(f"the industry model failed to train: {outcome.message}")
    with workspace_session() as session:
        result = classification_summary(session=session, trained=outcome is not None, limit=limit or None)
    if as_json:
        print_json(result)
        return
    print_table(f"industry predictions ({result.get('mode')}, run {result['run_id']})",
                ("account", "name", "industry", "sector", "confidence", "review"),
                ((str(p["account_id"]), p["name"], p["label"], p["sector"] or "", _pct(p["confidence"]),
                  "yes" if p["needs_review"] else "") for p in result["predictions"]), right=("confidence",))
    cv = f"; cross-validated accuracy {_pct(result['cv_accuracy'])}" if "cv_accuracy" in result else ""
    err_console.print(f"{'trained' if result['trained'] else 'up to date'}: {result.get('n_predicted', 0)} "
                      f"account(s) classified, {result.get('n_review', 0)} to review, "
                      f"{result.get('n_labelled', 0)} labelled{cv}", highlight=False)


@classify_app.command("review")
@handle_errors
def review(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many to list")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The predictions a person should look at first (uncertain, and unlike those above them)."""
    from bizpilot.cli._common import read_with_models
    from bizpilot.services.industry.service import review_queue

    def read() -> dict:
        with workspace_session() as session:
            return review_queue(session=session, limit=limit)

    queue = read_with_models(read)
    if as_json:
        print_json(queue)
        return
    print_table(f"review queue: {queue['total']} prediction(s)", ("#", "account", "name", "prediction", "confidence",
                                                                  "alternatives"),
                ((str(i["rank"] or ""), str(i["account_id"]), i["name"], i["label"], _pct(i["confidence"]),
                  ", ".join(f"{a['label']} {_pct(a['confidence'])}" for a in i["alternatives"][:2]))
                 for i in queue["items"]), right=("confidence",))


@classify_app.command("set")
@handle_errors
def set_(
    account: Annotated[str, typer.Argument(help="Account id or external id")],
    label: Annotated[str | None, typer.Argument(help="The correct industry; leave out to accept the "
                                                "prediction")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Accept or correct an account's industry (audited, channel cli); the label trains the next model."""
    from bizpilot.services.auth import SYSTEM
    from bizpilot.services.industry.service import review_industry
    from bizpilot.services.references import resolve_account

    with workspace_session() as session:
        account_id = resolve_account(session=session, ref=account).id
        view = review_industry(session=session, account_id=account_id, label=label, principal=SYSTEM,
                               channel="cli")
    print_outcome(as_json, view, f"account {view['account_id']} ({view['name']}): industry {view['label']!r} "
                                 f"({view['source']}, reviewed)")


@classify_app.command("taxonomy")
@handle_errors
def taxonomy_(
    import_file: Annotated[Path | None, typer.Option("--import", help="Replace the workspace taxonomy with this "
                                                     "JSON or CSV file (sector, industry, zh, description_en, "
                                                     "description_zh, aliases)")] = None,
    export: Annotated[Path | None, typer.Option("--export", help="Write the taxonomy in effect to this JSON "
                                                "file")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Go back to the shipped default")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show, import, export or reset the taxonomy accounts are classified into."""
    from bizpilot.services.industry.taxonomy import public, read_taxonomy_file, reset_taxonomy, set_taxonomy

    if import_file is not None and reset:
        raise typer.BadParameter("give --import or --reset, not both")
    with workspace_session() as session:
        if import_file is not None:
            result = set_taxonomy(session=session, taxonomy=read_taxonomy_file(import_file))
        elif reset:
            result = reset_taxonomy(session=session)
        else:
            result = public(session=session)
    data = result.model_dump(mode="json")
    if export is not None:
        export.write_text(json.dumps({"name": data["name"], "sectors": data["sectors"]}, ensure_ascii=False,
                                     indent=1) + "\n", encoding="utf-8")
    if as_json:
        print_json(data)
        return
    print_table(f"taxonomy ({data['source']}): {data['n_sectors']} sectors, {data['n_industries']} industries",
                ("sector", "zh", "industries"),
                ((s["en"], s["zh"] or "", str(len(s["industries"]))) for s in data["sectors"]), right=("industries",))
    if export is not None:
        err_console.print(f"written to {export}", highlight=False)


__all__ = ["classify_app"]
