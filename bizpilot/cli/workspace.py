"""The workspace commands: `bizpilot version|init|import|stats|demo|serve` (plain functions; `cli/main.py`
registers them)."""

from __future__ import annotations

from pathlib import Path

import typer

from bizpilot import __version__
from bizpilot.cli._common import (
    err_console,
    prepare_workspace,
    print_json,
    print_table,
    progress_bar,
    workspace_session,
)
from bizpilot.cli.keys import announce_access, check_open_reads, set_password_interactively
from bizpilot.services.imports import IMPORT_ENTITIES

OPEN_READS_HELP = ("Let GET requests from this machine through without a key (loopback hosts only; writes still "
                   "need a key or session). Also BIZPILOT_AUTH_OPEN_READS=1")


def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def init(password: bool = typer.Option(False, "--password", help="Set the dashboard password: prompted twice "
                                       "(hidden), or read from BIZPILOT_PASSWORD")) -> None:
    """Create the workspace (BIZPILOT_HOME) and bring its database schema up to date."""
    from bizpilot.config import get_settings

    prepare_workspace()
    settings = get_settings()
    err_console.print(f"workspace ready: {settings.resolved_home} (database: {_safe_url(settings.sqlalchemy_url)})")
    if password:
        set_password_interactively()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def import_(
    entity: str = typer.Argument(..., help=f"One of: {', '.join(IMPORT_ENTITIES)}"),
    file: Path = typer.Argument(..., help="CSV/TSV/Excel/Parquet/JSON Lines file "  # noqa: B008
                                "(MovieLens: the ml-100k folder)"),
    mapping: Path | None = typer.Option(None, "--mapping",  # noqa: B008
                                        help="JSON/YAML file: {source column: field}"),
    strict: bool = typer.Option(False, "--strict", help="Write nothing if any row is bad"),
    rejects: Path | None = typer.Option(None, "--rejects",  # noqa: B008
                                        help="Where to write the rejects report (CSV)"),
    as_json: bool = typer.Option(False, "--json", help="Print the import report as one JSON object"),
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding of a CSV/TSV/JSON file (gb18030, "
                                        "gbk, utf-16, utf-8, big5, cp1252...); default: detected and reported"),
) -> None:
    """Import a file: columns are mapped, values validated, duplicates merged by natural key; bad rows (ragged
    rows too, by row number) go to a rejects report; the good rows are written in one transaction."""
    from bizpilot.db import get_engine
    from bizpilot.services.imports import run_import

    prepare_workspace()
    with progress_bar(not as_json) as progress:
        report = run_import(engine=get_engine(), entity=entity, path=file, strict=strict, mapping_file=mapping,
                            rejects_path=rejects, progress=progress, encoding=encoding)
    if as_json:
        print_json(report.to_dict())
        return
    outcomes = ("inserted", "updated", "unchanged")
    print_table(f"import {entity}: {report.rows_read} rows read in {report.seconds:.1f} s", ("table", *outcomes),
                ((name, *(str(counts[k]) for k in outcomes)) for name, counts in report.tables.items()),
                right=outcomes)
    if report.mapping:
        err_console.print("columns: " + ", ".join(f"{src} -> {dst}" for dst, src in report.mapping.items()),
                          highlight=False)
    if report.unused_columns:
        err_console.print(f"[yellow]ignored columns[/]: {', '.join(report.unused_columns)}", highlight=False)
    if report.duplicates_in_file:
        err_console.print(f"duplicate rows merged: {report.duplicates_in_file}")
    if report.rejected:
        err_console.print(f"[bold yellow]rejected rows: {report.rejected}[/] -> {report.rejects_path}",
                          highlight=False)
    if report.outliers_flagged:
        err_console.print(f"outliers flagged (imported): {report.outliers_flagged} -> {report.outliers_path}",
                          highlight=False)
    for note in report.notes:
        err_console.print(note, highlight=False)


def stats(as_json: bool = typer.Option(False, "--json", help="Print one JSON object {table: rows}")) -> None:
    """Row count of every table."""
    from bizpilot.services.stats import table_counts

    with workspace_session() as session:
        counts = table_counts(session=session)
    if as_json:
        print_json(counts)
        return
    print_table("workspace tables", ("table", "rows"), ((name, f"{n:,}") for name, n in counts.items()),
                right=("rows",))


def demo(
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed builds the same business"),
    build_only: bool = typer.Option(False, "--build-only", help="Build the demo workspace without serving it"),
    no_train: bool = typer.Option(False, "--no-train", help="Skip training the workspace models after building "
                                  "(pages then train what they need in the background)"),
    host: str | None = typer.Option(None, "--host"),
    port: int | None = typer.Option(None, "--port"),
    open_reads: bool = typer.Option(False, "--open-reads", help=OPEN_READS_HELP),
) -> None:
    """Build the bilingual demo workspace (deterministic for a seed), train its models and serve it."""
    import time

    from bizpilot.db import get_engine
    from bizpilot.ingest.demo import build_demo

    if not build_only:
        check_open_reads(host, open_reads)  # fail before building, not after
    prepare_workspace()
    started = time.perf_counter()
    with err_console.status("building demo workspace...") as status:
        tables = build_demo(seed=seed, engine=get_engine(), progress=lambda msg: status.update(msg))
    inserted = sum(c.get("inserted", 0) for t in tables.values() for c in t.values())
    err_console.print(f"demo workspace (seed {seed}) ready in {time.perf_counter() - started:.1f} s: "
                      f"{inserted:,} rows inserted")
    if not no_train:
        from bizpilot.cli.train import run_all_training

        run_all_training(trigger="demo")
    if not build_only:
        _serve(host, port, open_reads)


def serve(host: str | None = typer.Option(None, "--host"), port: int | None = typer.Option(None, "--port"),
          open_reads: bool = typer.Option(False, "--open-reads", help=OPEN_READS_HELP)) -> None:
    """Serve the web dashboard and REST API for the current workspace (prints a one-time login link)."""
    prepare_workspace()
    _serve(host, port, open_reads)


def _serve(host: str | None, port: int | None, open_reads: bool = False) -> None:
    import uvicorn

    from bizpilot.app import create_app
    from bizpilot.config import get_settings

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    open_reads = open_reads or settings.auth_open_reads
    announce_access(host, port, open_reads=open_reads)  # refuses open reads on a non-loopback host (exit 2)
    web_app = create_app(schedule_retraining=True)
    web_app.state.auth_open_reads = open_reads
    err_console.print(f"serving on http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run(web_app, host=host, port=port, log_level=settings.log_level.lower())
