"""Imports page: upload a file, follow the background run, read its rejected rows, list recent runs.

The upload ``POST /imports`` lives on ``upload_router``, which ``routes/__init__.py`` lists with the public
routers: it authenticates itself (same principal, same CSRF check as every page) and then checks the role
itself, so a read-only principal - open reads included, which the page guard would bounce to the login form
with the upload lost - gets a 403 page that says what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, RedirectResponse, Response

from bizpilot.api.deps import SessionDep, ensure_database
from bizpilot.api.imports import UploadLimitRoute, read_upload
from bizpilot.api.security import authenticate
from bizpilot.config import get_settings
from bizpilot.domain import ImportRun
from bizpilot.errors import (
    Forbidden,
    NotFoundError,
    UnsupportedFormat,
    ValidationFailed,
)
from bizpilot.services.audit_trail import actor_of
from bizpilot.services.auth import Principal
from bizpilot.services.imports import (
    IMPORT_ENTITIES,
    import_status,
    read_rejects,
    start_upload_import,
)
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render

router = APIRouter()
upload_router = APIRouter(route_class=UploadLimitRoute)  # 413 before an oversized body is read

UPLOAD_ENTITIES: tuple[str, ...] = tuple(e for e in IMPORT_ENTITIES if e != "movielens")  # movielens is a folder
ACCEPT = ".csv,.tsv,.tab,.txt,.xlsx,.xlsm,.xls,.parquet,.pq,.jsonl,.ndjson,.json,.gz"
RECENT_RUNS = 25
REJECTS_SHOWN = 200
STATUSES = ("running", "finished", "rejected", "failed", "interrupted")

PrincipalDep = Annotated[Principal, Depends(authenticate)]


def summarise(counts: dict[str, Any] | None) -> dict[str, int]:
    """Totals over the tables a run wrote, for one-line summaries in the runs list."""
    counts = counts or {}
    out = {"rows_read": int(counts.get("rows_read") or 0), "rejected": int(counts.get("rejected") or 0),
           "inserted": 0, "updated": 0, "unchanged": 0}
    for table in (counts.get("tables") or {}).values():
        for key in ("inserted", "updated", "unchanged"):
            out[key] += int((table or {}).get(key) or 0)
    return out


def recent_runs(engine: Engine, limit: int = RECENT_RUNS) -> list[dict[str, Any]]:
    """The latest import runs, newest first (a read query the imports service does not offer)."""
    columns = (ImportRun.id, ImportRun.entity, ImportRun.source, ImportRun.status, ImportRun.strict,
               ImportRun.counts, ImportRun.started_at, ImportRun.finished_at)
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(ImportRun.id.desc()).limit(limit)).all()
    return [{**row._asdict(), "totals": summarise(row.counts)} for row in rows]


def _index(request: Request, principal: Principal, *, error: str | None = None, entity: str = "",
           strict: bool = False, status_code: int = 200) -> Response:
    lang = request_lang(request)
    return render(request, "imports/index.html", status_code=status_code, title=t("imports.title", lang),
                  runs=recent_runs(ensure_database()), entities=UPLOAD_ENTITIES, accept=ACCEPT,
                  can_write=principal.allows("write"), error=error, chosen=entity, strict=strict)


@router.get("/imports", name="imports")
def imports_page(request: Request, principal: PrincipalDep) -> Response:
    return _index(request, principal)


def _form_error(exc: ValidationFailed, lang: str) -> str:
    """The service's reason in the page's language where we know it; its own message otherwise."""
    reasons = {d.get("reason") for d in exc.details}
    if isinstance(exc, UnsupportedFormat) and not exc.details:  # an extension nothing reads
        return t("imports.err_format", lang)
    if "empty" in reasons:
        return t("imports.err_empty", lang)
    if "too large" in reasons:
        return t("imports.err_too_large_mb", lang, mb=get_settings().import_max_upload_mb)
    return exc.message


@upload_router.post("/imports", name="imports_upload")
async def imports_upload(request: Request, principal: PrincipalDep,
                         file: Annotated[UploadFile | None, File()] = None,
                         entity: Annotated[str, Form(max_length=64)] = "",
                         strict: Annotated[bool, Form()] = False,
                         encoding: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Start a background import and send the browser to its run page (303, so a reload does not re-upload)."""
    if not principal.allows("write"):
        how = ("sign in to the dashboard" if principal.kind == "open"
               else "use a session or an API key with role write")
        raise Forbidden(f"uploading an import needs role write; {principal.name} has role {principal.role}, which "
                        f"may only view imports ({how})",
                        details=[{"field": "role", "reason": f"write required, have {principal.role}"}])
    lang = request_lang(request)
    if entity not in UPLOAD_ENTITIES:
        return _index(request, principal, error=t("imports.err_entity", lang), strict=strict, status_code=422)
    if file is None or not file.filename:
        return _index(request, principal, error=t("imports.err_no_file", lang), entity=entity, strict=strict,
                      status_code=422)
    content = await read_upload(file)
    try:
        engine = ensure_database()
        run_id = await run_in_threadpool(start_upload_import, engine=engine, entity=entity,
                                         filename=file.filename, content=content, strict=strict,
                                         actor=(principal.user_id, actor_of(principal)), encoding=encoding or None)
    except ValidationFailed as exc:  # 422, or 413 for an upload over the limit
        return _index(request, principal, error=_form_error(exc, lang), entity=entity, strict=strict,
                      status_code=exc.status)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/imports/{run_id}", status_code=303)


@router.get("/imports/{run_id}", name="import_run")
def import_run_page(request: Request, run_id: int, session: SessionDep) -> Response:
    """One run: live progress while it runs (app.js polls the JSON status), then its counts and rejected rows."""
    lang = request_lang(request)
    run = import_status(session=session, run_id=run_id)
    rejects = read_rejects(session=session, run_id=run_id, limit=REJECTS_SHOWN) if run["has_rejects"] else None
    progress = run["progress"] or {}
    phase = str(progress.get("phase") or "")
    root = request.scope.get("root_path", "")
    return render(request, "imports/detail.html", title=t("imports.run", lang, id=run_id), run=run,
                  totals=summarise(run["counts"]), tables=(run["counts"] or {}).get("tables") or {},
                  rejects=rejects, progress=progress, running=run["status"] == "running",
                  phase_table=phase.removeprefix("writing ").strip(),
                  status_url=f"{root}/api/v1/imports/{run_id}", rejects_url=f"{root}/imports/{run_id}/rejects.csv")


@router.get("/imports/{run_id}/rejects.csv", name="import_rejects_csv")
def import_rejects_csv(run_id: int) -> Response:
    """The run's rejects file as recorded on the run; nothing from the request becomes a path."""
    with ensure_database().connect() as conn:
        row = conn.execute(select(ImportRun.rejects_path).where(ImportRun.id == run_id)).first()
    if row is None:
        raise NotFoundError(f"import run {run_id} not found")
    path = Path(row.rejects_path) if row.rejects_path else None
    if path is None or not path.is_file():
        raise NotFoundError(f"import run {run_id} has no rejects file",
                            details=[{"field": "run_id", "reason": "no rejected rows recorded"}])
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"import-{run_id}-rejects.csv",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
