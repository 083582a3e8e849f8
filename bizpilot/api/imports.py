"""Import uploads over the API: start a run (write role), follow its progress, read its rejected rows."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import SessionDep, ensure_database
from bizpilot.api.params import Id
from bizpilot.api.schemas import ERROR_RESPONSES, NOT_FOUND, ErrorResponse
from bizpilot.api.security import authenticate
from bizpilot.db.engine import session_scope
from bizpilot.domain.ops import ImportRunStatus, RejectedRows
from bizpilot.services.audit_trail import actor_of
from bizpilot.services.auth import Principal
from bizpilot.services.imports import (
    IMPORT_ENTITIES,
    import_status,
    max_upload_bytes,
    read_rejects,
    start_upload_import,
    too_large,
)

MULTIPART_SLACK = 64 * 1024  # form fields and boundaries around the file


class UploadLimitRoute(APIRoute):
    """Answers 413 from the declared Content-Length before the body is received and parsed, so an oversized
    upload is neither spooled to disk nor read into memory (the service checks the file's own size as well)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            if request.method == "POST":
                length = request.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_upload_bytes() + MULTIPART_SLACK:
                    raise too_large(int(length))
            return await handler(request)

        return limited


async def read_upload(file: UploadFile) -> bytes:
    """The uploaded bytes, never more than the limit plus one (the service answers 413 for that)."""
    return await file.read(max_upload_bytes() + 1)


router = APIRouter(prefix="/imports", tags=["imports"], route_class=UploadLimitRoute)
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "The upload is larger than BIZPILOT_IMPORT_MAX_UPLOAD_MB"}}


@router.post("", response_model=ImportRunStatus, status_code=202, operation_id="start_import",
             summary="Upload a file and import it in the background", responses={**ERROR_RESPONSES, **TOO_LARGE})
async def start_import(file: Annotated[UploadFile, File(description="CSV/TSV/Excel/Parquet/JSON Lines")],
                       entity: Annotated[str, Form(description=f"One of {', '.join(IMPORT_ENTITIES)}")],
                       principal: Annotated[Principal, Depends(authenticate)],
                       strict: Annotated[bool, Form(description="Write nothing if any row is bad")] = False,
                       encoding: Annotated[str | None, Form(max_length=40, description="Text encoding of a "
                                                            "CSV/TSV/JSON file (default: detected)")] = None,
                       ) -> ImportRunStatus:
    """Returns at once with the run (status ``running``); poll ``GET /imports/{id}`` for progress. An empty,
    binary or oversized file (413) or an unknown encoding is refused at once; bad rows end in the run's rejects."""
    content = await read_upload(file)
    engine = ensure_database()
    run_id = await run_in_threadpool(start_upload_import, engine=engine, entity=entity,
                                     filename=file.filename or "upload", content=content, strict=strict,
                                     actor=(principal.user_id, actor_of(principal)), encoding=encoding)
    with session_scope(engine) as session:
        return ImportRunStatus.model_validate(import_status(session=session, run_id=run_id))


@router.get("/{run_id}", response_model=ImportRunStatus, operation_id="get_import",
            summary="Status, live progress and counts of an import run", responses={**NOT_FOUND, **ERROR_RESPONSES})
def get_import(run_id: Id, session: SessionDep) -> ImportRunStatus:
    return ImportRunStatus.model_validate(import_status(session=session, run_id=run_id))


@router.get("/{run_id}/rejects", response_model=RejectedRows, operation_id="get_import_rejects",
            summary="Rejected rows of an import run (row, field, reason, value)",
            responses={**NOT_FOUND, **ERROR_RESPONSES})
def get_rejects(run_id: Id, session: SessionDep, limit: Annotated[int, Query(ge=1, le=5000)] = 500
                ) -> RejectedRows:
    return RejectedRows.model_validate(read_rejects(session=session, run_id=run_id, limit=limit))
