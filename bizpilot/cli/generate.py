"""`bizpilot generate <kind>`: grounded copy from the workspace's facts, checked before it is shown; and
`bizpilot generate rate ID`: the team's rating/approval/edit, which turns approved copy into examples.

The text goes to stdout (pipe it anywhere); the check summary and fallback reason go to stderr.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bizpilot.cli._common import err_console, handle_errors, print_json, workspace_session
from bizpilot.services.content.facts import KINDS
from bizpilot.services.content.purpose import PURPOSE_KINDS, PURPOSES

generate_app = typer.Typer(help="Grounded content: product descriptions, ads, headlines, announcements, emails, "
                                "case studies, call scripts, inquiry replies.", no_args_is_help=True)


def _make_command(kind: str):  # noqa: ANN202 - a Typer command
    @handle_errors
    def command(
        product: str | None = typer.Option(None, "--product", help="Product SKU or id"),
        account: str | None = typer.Option(None, "--account", help="Account external id or id"),
        language: str = typer.Option("en", "--language", "-l", help="en or zh"),
        tone: str = typer.Option("neutral", "--tone", help="neutral, friendly, formal, enthusiastic"),
        length: str = typer.Option("medium", "--length", help="short, medium, long"),
        inquiry: Path | None = typer.Option(None, "--inquiry",  # noqa: B008
                                            help="File with the customer's inquiry (replies)"),
        purpose: str = typer.Option("auto", "--purpose", help="Why to write (sales e-mail, follow-up, call "
                                    "script): " + ", ".join(PURPOSES) + "; auto chooses from the account's data"),
        no_llm: bool = typer.Option(False, "--no-llm", help="Deterministic realisation only"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
    ) -> None:
        from bizpilot.services.content import generate_content

        with workspace_session() as session:
            text = inquiry.read_text(encoding="utf-8") if inquiry else None
            result = generate_content(session=session, kind=kind, product_id=product, account_id=account,
                                      language=language, tone=tone, length=length, use_llm=not no_llm,
                                      inquiry=text, purpose=purpose if kind in PURPOSE_KINDS else None)
        if as_json:
            print_json({"id": result.id, "kind": result.kind, "language": result.language, "output": result.output,
                        "sentences": result.sentences, "removed": result.removed, "repaired": result.repaired,
                        "fallback": result.fallback, "fallback_reason": result.fallback_reason,
                        "model": result.model, "prompt_version": result.prompt_version,
                        "examples": result.examples, "facts": result.facts, "purpose": result.purpose,
                        "lint": result.lint,
                        "check": {k: result.check[k] for k in ("clean", "kept", "repaired", "dropped", "backed_by")}})
            return
        typer.echo(result.output)
        err_console.print(f"generation {result.id}: {len(result.sentences)} sentence(s), facts used: "
                          f"{', '.join(result.check['backed_by'])}", highlight=False, markup=False)
        for r in result.repaired:
            err_console.print(f"  repaired: {r['original']!r} -> {r['text']!r}", highlight=False, markup=False)
        for r in result.removed:
            err_console.print(f"  removed: {r['text']!r} ({'; '.join(r['reasons'])})", highlight=False, markup=False)
        if result.purpose:
            err_console.print(f"  purpose: {result.purpose['name']} ({result.purpose['reason']})", highlight=False,
                              markup=False)
        if result.lint.get("draft_failed_checks"):
            err_console.print(f"  failed checks in the draft: {', '.join(result.lint['draft_failed_checks'])}",
                              highlight=False, markup=False)
        if result.fallback:
            err_console.print(f"  deterministic text: {result.fallback_reason}", highlight=False, markup=False)
        err_console.print(f"rate it: bizpilot generate rate {result.id} --rating 1-5 [--approve]",
                          highlight=False, markup=False)

    command.__doc__ = f"Generate a {kind.replace('_', ' ')} from the database's facts (checked against them)."
    return command


for _kind in KINDS:
    generate_app.command(_kind.replace("_", "-"))(_make_command(_kind))


@generate_app.command("rate")
@handle_errors
def rate(
    id: int = typer.Argument(..., help="The generation id"),  # noqa: A002
    rating: int | None = typer.Option(None, "--rating", min=1, max=5, help="1 (bad) to 5 (great)"),
    approve: bool = typer.Option(False, "--approve", help="Approve it: it becomes an example for later ones"),
    edit: Path | None = typer.Option(None, "--edit",  # noqa: B008
                                   help="A file with your edited text (checked and stored)"),
    feedback: str | None = typer.Option(None, "--feedback", help="A note for the team"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Rate, approve or edit a generation."""
    from bizpilot.services.content import rate_content

    with workspace_session() as session:
        edited = edit.read_text(encoding="utf-8") if edit else None
        out = rate_content(session=session, id=id, rating=rating, edited_output=edited, feedback=feedback,
                           approve=approve)
    if as_json:
        print_json(out)
        return
    err_console.print(f"generation {out['id']}: status {out['status']}, rating {out['rating']}", highlight=False,
                      markup=False)
    if out.get("edit_check") and not out["edit_check"]["clean"]:
        err_console.print("  your edit states things the facts do not support: "
                          + "; ".join(out["edit_check"]["problems"]), highlight=False, markup=False)
