"""Import uploads over the API: start a run (write role), follow its progress, read its rejected rows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile

from bizpilot.api.deps import SessionDep, ensure_database
from bizpilot.api.schemas import ERROR_RESPONSES, NOT_FOUND
from bizpilot.api.security import authenticate
from bizpilot.db.engine import session_scope
from bizpilot.domain.ops import ImportRunStatus, RejectedRows
from bizpilot.services.audit_trail import actor_of
from bizpilot.services.auth import Principal
from bizpilot.services.imports import (
    IMPORT_ENTITIES,
    import_status,
    read_rejects,
    start_upload_import,
)

router = APIRouter(prefix="/imports", tags=["imports"])


@router.post("", response_model=ImportRunStatus, status_code=202, operation_id="start_import",
             summary="Upload a file and import it in the background", responses=ERROR_RESPONSES)
async def start_import(file: Annotated[UploadFile, File(description="CSV/TSV/Excel/Parquet/JSON Lines")],
                       entity: Annotated[str, Form(description=f"One of {', '.join(IMPORT_ENTITIES)}")],
                       principal: Annotated[Principal, Depends(authenticate)],
                       strict: Annotated[bool, Form(description="Write nothing if any row is bad")] = False,
                       ) -> ImportRunStatus:
    """Returns at once with the run (status ``running``); poll ``GET /imports/{id}`` for progress."""
    content = await file.read()
    engine = ensure_database()
    run_id = start_upload_import(engine=engine, entity=entity, filename=file.filename or "upload",
                                 content=content, strict=strict, actor=(principal.user_id, actor_of(principal)))
    with session_scope(engine) as session:
        return ImportRunStatus.model_validate(import_status(session=session, run_id=run_id))


@router.get("/{run_id}", response_model=ImportRunStatus, operation_id="get_import",
            summary="Status, live progress and counts of an import run", responses={**NOT_FOUND, **ERROR_RESPONSES})
def get_import(run_id: int, session: SessionDep) -> ImportRunStatus:
    return ImportRunStatus.model_validate(import_status(session=session, run_id=run_id))


@router.get("/{run_id}/rejects", response_model=RejectedRows, operation_id="get_import_rejects",
            summary="Rejected rows of an import run (row, field, reason, value)",
            responses={**NOT_FOUND, **ERROR_RESPONSES})
def get_rejects(run_id: int, session: SessionDep, limit: Annotated[int, Query(ge=1, le=5000)] = 500
                ) -> RejectedRows:
    return RejectedRows.model_validate(read_rejects(session=session, run_id=run_id, limit=limit))
