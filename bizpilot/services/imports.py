"""Running imports as logged runs: one dispatcher for every entity and adapter, used by the CLI, the API and
the Imports page; uploads run in a background thread and report live progress."""

from __future__ import annotations

import csv
import re
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.db.base import utcnow
from bizpilot.domain import ImportRun
from bizpilot.errors import (
    BizpilotError,
    ImportRejected,
    NotFoundError,
    PayloadTooLarge,
    ValidationFailed,
)
from bizpilot.ingest.readers import detect_format, preflight
from bizpilot.ingest.report import FORMULA_START, ImportReport
from bizpilot.ingest.specs import IMPORTABLE
from bizpilot.ingest.textfiles import check_encoding_name
from bizpilot.ingest.writer import acting_as
from bizpilot.services.events import emit
from bizpilot.services.recovery import process_token

ADAPTERS = ("online-retail", "movielens")
IMPORT_ENTITIES: tuple[str, ...] = (*IMPORTABLE, *ADAPTERS)
MB = 1024 * 1024
Progress = Callable[[str, int, int], None]

_live: dict[int, dict[str, Any]] = {}
_live_lock = threading.Lock()


def max_upload_bytes() -> int:
    """The upload limit in bytes (``BIZPILOT_IMPORT_MAX_UPLOAD_MB``)."""
    return get_settings().import_max_upload_mb * MB


def too_large(size: int | None = None) -> PayloadTooLarge:
    """The 413 an upload over the limit gets, saying the limit and how to raise it."""
    limit = get_settings().import_max_upload_mb
    got = f" ({size / MB:,.1f} MB)" if size else ""
    return PayloadTooLarge(f"the upload{got} is larger than the {limit:,} MB limit (BIZPILOT_IMPORT_MAX_UPLOAD_MB); "
                           "split the file or import it with `bizpilot import`",
                           details=[{"field": "file", "reason": "too large", "value": f"{limit} MB"}])


def _dispatch(entity: str, path: Path, *, strict: bool, mapping_file: Path | None, rejects_path: Path | None,
              engine: Engine, progress: Progress | None, encoding: str | None) -> ImportReport:
    if entity == "online-retail":
        from bizpilot.ingest.online_retail import import_online_retail

        return import_online_retail(path, strict=strict, rejects_path=rejects_path, engine=engine,
                                    progress=progress, encoding=encoding)
    if entity == "movielens":
        from bizpilot.ingest.movielens import import_movielens

        return import_movielens(path, engine=engine, progress=progress)
    from bizpilot.ingest.pipeline import import_file

    return import_file(entity, path, mapping_file=mapping_file, strict=strict, rejects_path=rejects_path,
                       engine=engine, progress=progress, encoding=encoding)


def _finish_run(engine: Engine, run_id: int, *, status: str, report: ImportReport | None,
                message: str | None = None) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "message": message}
    if report is not None:
        values.update(counts=report.counts(), rejects_path=report.rejects_path,
                      message=message or ("; ".join(report.notes) or None))
    with engine.begin() as conn:
        conn.execute(update(ImportRun).where(ImportRun.id == run_id).values(**values))
        run = conn.execute(select(ImportRun.entity, ImportRun.source).where(ImportRun.id == run_id)).one()
        with Session(bind=conn) as session:  # the event is queued in the transaction that records the end
            emit(session=session, event="import.finished", data={
                "run_id": run_id, "entity": run.entity, "source": run.source, "status": status,
                "counts": values.get("counts") or {}, "message": values["message"]})


def _create_run(engine: Engine, *, entity: str, source: str, strict: bool) -> int:
    with engine.begin() as conn:
        return int(conn.execute(ImportRun.__table__.insert().values(
            entity=entity, source=source, status="running", strict=strict, counts={}, started_at=utcnow(),
            process=process_token(),  # a run whose process is killed is marked interrupted at the next start
        )).inserted_primary_key[0])


def run_import(*, engine: Engine, entity: str, path: str | Path, strict: bool = False,
               mapping_file: str | Path | None = None, rejects_path: str | Path | None = None,
               progress: Progress | None = None, run_id: int | None = None,
               actor: tuple[int | None, str] | None = None, encoding: str | None = None) -> ImportReport:
    """Import ``path`` as ``entity`` and log the run (finished, rejected in strict mode, or failed). ``actor``
    (user id, name) is who the audit trail names for the records the import changes (default: the system);
    ``encoding`` overrides the detected encoding of a text file."""
    if entity not in IMPORT_ENTITIES:
        raise ValidationFailed(f"unknown entity '{entity}'; choose one of {', '.join(IMPORT_ENTITIES)}",
                               details=[{"field": "entity", "reason": "unknown entity"}])
    path = Path(path)
    if run_id is None:
        run_id = _create_run(engine, entity=entity, source=str(path), strict=strict)
    try:
        with acting_as(*actor) if actor else nullcontext():
            report = _dispatch(entity, path, strict=strict,
                               mapping_file=Path(mapping_file) if mapping_file else None,
                               rejects_path=Path(rejects_path) if rejects_path else None, engine=engine,
                               progress=progress, encoding=encoding)
    except ImportRejected as exc:
        _finish_run(engine, run_id, status="rejected", report=exc.report, message=exc.message)
        raise
    except BizpilotError as exc:
        _finish_run(engine, run_id, status="failed", report=None, message=exc.message)
        raise
    except Exception as exc:
        _finish_run(engine, run_id, status="failed", report=None, message=f"unexpected error: {exc}")
        raise
    _finish_run(engine, run_id, status="finished", report=report)
    report.run_id = run_id
    return report


def _safe_name(filename: str) -> str:
    name = Path(filename or "upload").name
    return re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE)[-120:] or "upload"


def stored_upload_name(filename: str) -> str:
    """A generated name for an upload on disk (time + 128 random bits + the format's extension): nothing the
    client sent becomes a path, names cannot be guessed or collide, and the original name is kept on the run."""
    suffixes = [x.lower() for x in Path(_safe_name(filename)).suffixes]
    keep = suffixes[-2:] if suffixes and suffixes[-1] == ".gz" else suffixes[-1:]
    extension = "".join(x for x in keep if re.fullmatch(r"\.[a-z0-9]{1,8}", x))
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(16)}{extension}"


def _after_upload_import(engine: Engine) -> None:
    """What the server does with freshly imported rows: accounts without an industry are queued for
    classification (``services/industry``: the industry model runs again on the background worker)."""
    from bizpilot.services.industry.service import classify_after_import

    with Session(bind=engine) as session:
        classify_after_import(session=session)


def start_upload_import(*, engine: Engine, entity: str, filename: str, content: bytes, strict: bool = False,
                        wait: bool = False, actor: tuple[int | None, str] | None = None,
                        encoding: str | None = None) -> int:
    """Save an uploaded file in the workspace and import it in a background thread; returns the run id at once
    (``wait=True`` runs it in the caller's thread, for tests and scripts). What can be told without reading the
    whole file (too large, empty, not text, unknown encoding, a zip bomb) is refused here, before a run exists."""
    if entity not in IMPORT_ENTITIES or entity == "movielens":
        allowed = [e for e in IMPORT_ENTITIES if e != "movielens"]
        raise ValidationFailed(f"cannot import an upload as '{entity}'; choose one of {', '.join(allowed)}",
                               details=[{"field": "entity", "reason": "unknown entity"}])
    if not content:
        raise ValidationFailed("the uploaded file is empty", details=[{"field": "file", "reason": "empty"}])
    if len(content) > max_upload_bytes():
        raise too_large(len(content))
    encoding = check_encoding_name(encoding) if encoding and encoding.strip() else None
    detect_format(Path(_safe_name(filename)))  # refuse unknown formats before anything is stored
    uploads = get_settings().resolved_home / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    path = uploads / stored_upload_name(filename)
    path.write_bytes(content)
    try:
        preflight(path, encoding=encoding)
    except BizpilotError as exc:
        path.unlink(missing_ok=True)
        # the message names the file the user sent, not the generated name it was stored under
        exc.message = exc.message.replace(path.name, _safe_name(filename))
        exc.args = (exc.message,)
        raise
    run_id = _create_run(engine, entity=entity, source=_safe_name(filename), strict=strict)
    with _live_lock:
        _live[run_id] = {"phase": "reading", "done": 0, "total": 0}

    def progress(label: str, done: int, total: int) -> None:
        with _live_lock:
            _live[run_id] = {"phase": f"writing {label}", "done": done, "total": total}

    def work() -> None:
        try:
            run_import(engine=engine, entity=entity, path=path, strict=strict, progress=progress, run_id=run_id,
                       actor=actor, encoding=encoding)
            _after_upload_import(engine)
        except BizpilotError:
            pass  # logged on the run by run_import
        except Exception:  # noqa: BLE001 - a background thread must not die silently
            traceback.print_exc()
        finally:
            with _live_lock:
                _live.pop(run_id, None)

    if wait:
        work()
    else:
        threading.Thread(target=work, name=f"import-{run_id}", daemon=True).start()
    return run_id


def import_status(*, session: Session, run_id: int) -> dict[str, Any]:
    """The run as stored, plus live progress while it is running."""
    run = session.get(ImportRun, run_id)
    if run is None:
        raise NotFoundError(f"import run {run_id} not found")
    with _live_lock:
        live = dict(_live.get(run_id, {}))
    return {"id": run.id, "entity": run.entity, "source": run.source, "status": run.status, "strict": run.strict,
            "counts": run.counts or {}, "message": run.message, "started_at": run.started_at,
            "finished_at": run.finished_at, "progress": live or None, "has_rejects": bool(run.rejects_path)}


def _unescape(cell: str) -> str:
    """The rejects file guards formula-like text with a leading ' for spreadsheets; API readers get the value."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell


def read_rejects(*, session: Session, run_id: int, limit: int = 500) -> dict[str, Any]:
    """The rejected rows of a run (row, field, reason, value), as written to its rejects file."""
    path = session.execute(select(ImportRun.rejects_path).where(ImportRun.id == run_id)).first()
    if path is None:
        raise NotFoundError(f"import run {run_id} not found")
    if not path[0] or not Path(path[0]).exists():
        return {"total": 0, "rows": [], "path": path[0]}
    with open(path[0], newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [{"row": int(r["_row"]), "field": r["_field"], "reason": r["_reason"],
                 "value": _unescape(r["_value"])} for r in reader]
    return {"total": len(rows), "rows": rows[:limit], "path": path[0]}
