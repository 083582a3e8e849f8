"""`bizpilot glossary list|set|delete|import`: the workspace's Chinese/English renderings of attribute names and
values, categories, industries, units and CRM terms (over the product's shipped defaults)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import JsonOpt, handle_errors, print_json, print_outcome, print_table, workspace_session
from bizpilot.domain.glossary import GLOSSARY_KINDS

glossary_app = typer.Typer(help="The workspace glossary: how domain terms read in Chinese and English.",
                           no_args_is_help=True)
KINDS_HELP = ", ".join(GLOSSARY_KINDS)


@glossary_app.command("list")
@handle_errors
def list_(
    kind: Annotated[str | None, typer.Option("--kind", help=f"Only this kind: {KINDS_HELP}")] = None,
    source: Annotated[str | None, typer.Option("--source", help="default or workspace")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Search key, English and Chinese")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The glossary in effect: the workspace's own terms and the shipped defaults they do not override."""
    from bizpilot.services.glossary import list_terms

    with workspace_session() as session:
        entries = list_terms(session=session, kind=kind, source=source, q=q)
    if as_json:
        print_json({"items": [e.model_dump(mode="json") for e in entries], "total": len(entries)})
        return
    print_table(f"glossary: {len(entries)} term(s)", ("kind", "key", "en", "zh", "source"),
                ((e.kind, e.key, e.en, e.zh, e.source) for e in entries))


@glossary_app.command("set")
@handle_errors
def set_(
    kind: Annotated[str, typer.Argument(help=KINDS_HELP)],
    key: Annotated[str, typer.Argument(help="The English term as the data has it (matched case-insensitively)")],
    zh: Annotated[str, typer.Option("--zh", help="Chinese rendering")],
    en: Annotated[str | None, typer.Option("--en", help="English rendering (default: the key)")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why / where it is used")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the workspace's rendering of one term (overrides the shipped default)."""
    from bizpilot.services.glossary import upsert_term

    with workspace_session() as session:
        change = upsert_term(session=session, kind=kind, key=key, zh=zh, en=en, note=note)
        entry = change.entry.model_dump(mode="json")
    print_outcome(as_json, {"outcome": change.outcome, "term": entry},
                  f"{change.outcome}: {entry['kind']} {entry['key']!r} -> en {entry['en']!r}, zh {entry['zh']!r}")


@glossary_app.command("delete")
@handle_errors
def delete(
    kind: Annotated[str, typer.Argument(help=KINDS_HELP)],
    key: Annotated[str, typer.Argument(help="The term's key")],
    as_json: JsonOpt = False,
) -> None:
    """Remove the workspace's own term; the shipped default (if any) applies again."""
    from bizpilot.services.glossary import delete_term

    with workspace_session() as session:
        now = delete_term(session=session, kind=kind, key=key)
    print_outcome(as_json, {"deleted": True, "now": now.model_dump(mode="json") if now else None},
                  "deleted; " + (f"the default applies again: zh {now.zh!r}" if now else "no default for this term"))


@glossary_app.command("import")
@handle_errors
def import_(
    file: Annotated[Path, typer.Argument(help="CSV/TSV with a header kind,key,en,zh[,note], or JSON/JSON Lines")],
    as_json: JsonOpt = False,
) -> None:
    """Import many terms at once; one bad row (named with its row number) and nothing is written."""
    from bizpilot.services.glossary import import_terms, read_terms_file

    with workspace_session() as session:
        rows, first_row = read_terms_file(file)
        summary = import_terms(session=session, rows=rows, first_row=first_row)
    print_outcome(as_json, summary.to_dict(), f"{summary.rows} row(s): {summary.inserted} inserted, "
                  f"{summary.updated} updated, {summary.unchanged} unchanged")
