"""`bizpilot report insights` (the period's market insight as Markdown, HTML or PDF) and `bizpilot competitors
list|set|remove|suggest` (the workspace's competitor list and the brand-like names it does not hold yet)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from bizpilot.cli._common import JsonOpt, handle_errors, print_json, print_outcome, print_table, workspace_session

report_app = typer.Typer(help="Reports over the workspace.", no_args_is_help=True)
competitors_app = typer.Typer(help="The competitor list whose mentions the Insights page counts.",
                              no_args_is_help=True)


class ReportFormat(StrEnum):
    html = "html"
    md = "md"
    pdf = "pdf"


class Lang(StrEnum):
    en = "en"
    zh = "zh"


def _day(value: str, option: str) -> date:
    from bizpilot.errors import InvalidParameter

    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidParameter(f"{option} must be a date as YYYY-MM-DD, not {value!r}",
                               details=[{"field": option, "value": value}]) from None


def insights_data(session: Any, start: date, end: date) -> dict[str, Any]:
    """The overview, with topics only when the model is ready (a report never trains; it says so instead)."""
    from bizpilot.services.insights.overview import insights
    from bizpilot.services.insights.specs import TOPICS
    from bizpilot.services.models.access import model_state

    ready = model_state(session=session, spec=TOPICS).state == "ready"
    return insights(session=session, start=start, end=end, with_topics=ready)


@report_app.command("insights")
@handle_errors
def report_insights(
    from_: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD)")],
    to: Annotated[str, typer.Option("--to", help="Last day, included (YYYY-MM-DD)")],
    format_: Annotated[ReportFormat, typer.Option("--format", help="html, md or pdf (pdf needs a local Chromium "
                                                  "and Playwright)")] = ReportFormat.html,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the report")] = Lang.en,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: the workspace's reports/ "
                                             "folder)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Market insight for a period: key numbers, top movers, topics with quotes, sentiment trend, competitors."""
    from bizpilot.config import get_settings
    from bizpilot.services.insights.report import render_html, render_markdown, render_pdf

    start, end = _day(from_, "--from"), _day(to, "--to")
    with workspace_session() as session:
        data = insights_data(session, start, end)
    target = out or get_settings().reports_dir / f"insights-{start}-{end}-{lang.value}.{format_.value}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if format_ is ReportFormat.md:
        target.write_text(render_markdown(data, lang.value), encoding="utf-8")
    elif format_ is ReportFormat.html:
        target.write_text(render_html(data, lang.value), encoding="utf-8")
    else:
        render_pdf(data, target, lang.value)
    print_outcome(as_json, {"path": str(target), "format": format_.value, "key": data["key"],
                            "summary": data["summary"][lang.value]},
                  f"insights report written to {target}")


@competitors_app.command("list")
@handle_errors
def list_(as_json: JsonOpt = False) -> None:
    """The competitors and their aliases."""
    from bizpilot.cli._common import prepare_workspace
    from bizpilot.services.insights.competitors import load_competitors

    prepare_workspace()
    items = load_competitors()
    if as_json:
        print_json({"items": [c.to_dict() for c in items], "total": len(items)})
        return
    print_table(f"competitors: {len(items)}", ("name", "aliases"), ((c.name, ", ".join(c.aliases)) for c in items))


@competitors_app.command("set")
@handle_errors
def set_(
    name: Annotated[str, typer.Argument(help="The competitor's name")],
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Another name it goes by (repeat)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a competitor or replace its aliases."""
    from bizpilot.cli._common import prepare_workspace
    from bizpilot.services.insights.competitors import set_competitor

    prepare_workspace()
    item = set_competitor(name, alias or [])
    print_outcome(as_json, item.to_dict(), f"competitor {item.name} set ({len(item.aliases)} alias(es))")


@competitors_app.command("remove")
@handle_errors
def remove(name: Annotated[str, typer.Argument(help="The competitor's name")], as_json: JsonOpt = False) -> None:
    """Remove a competitor."""
    from bizpilot.cli._common import prepare_workspace
    from bizpilot.services.insights.competitors import remove_competitor

    prepare_workspace()
    remove_competitor(name)
    print_outcome(as_json, {"removed": name}, f"competitor {name} removed")


@competitors_app.command("suggest")
@handle_errors
def suggest(
    min_interactions: Annotated[int, typer.Option("--min", min=1, max=1000, help="Seen in at least this many "
                                                  "interactions")] = 3,
    as_json: JsonOpt = False,
) -> None:
    """Brand-like names in customer messages that are not on the list yet."""
    from bizpilot.services.insights.competitors import brand_suggestions

    with workspace_session() as session:
        items = brand_suggestions(session=session, min_interactions=min_interactions)
    if as_json:
        print_json({"items": items, "total": len(items)})
        return
    print_table(f"brand-like names: {len(items)}", ("name", "interactions"),
                ((i["name"], str(i["interactions"])) for i in items))


__all__ = ["competitors_app", "insights_data", "report_app"]
