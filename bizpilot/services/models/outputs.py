"""What training computed for the pages: ``model_outputs`` rows written once per run, read by every page and route.

A run replaces all outputs of its model in the same transaction that records it finished, so a reader sees either
the previous run's results or the new ones, never a mix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.orm import Session

from bizpilot.domain.model_run import ModelOutput, ModelRun
from bizpilot.services.models.spec import Output

BATCH = 5000


def replace_outputs(*, session: Session, model: str, run_id: int, outputs: Iterable[Output]) -> int:
    """Delete the model's earlier outputs and insert ``outputs`` for run ``run_id``; returns how many."""
    session.execute(delete(ModelOutput).where(ModelOutput.model == model))
    rows: list[dict[str, Any]] = []
    written = 0
    for out in outputs:
        rows.append({"model": model, "run_id": run_id, "subject": out.subject, "subject_id": out.subject_id,
                     "item_id": out.item_id, "score": out.score, "payload": out.payload})
        if len(rows) >= BATCH:
            session.execute(insert(ModelOutput), rows)
            written += len(rows)
            rows = []
    if rows:
        session.execute(insert(ModelOutput), rows)
        written += len(rows)
    return written


def read_outputs(*, session: Session, model: str, subject: str, subject_id: int | None = None,
                 subject_ids: Sequence[int] | None = None, item_id: int | None = None,
                 order: Literal["score", "-score", "id"] = "id", limit: int | None = None,
                 where: Sequence[ColumnElement[bool]] = ()) -> list[ModelOutput]:
    """Outputs of ``model`` about ``subject`` (one subject id, several, or all; ``where``: more conditions on
    ``ModelOutput`` columns such as a score range), ordered and limited."""
    stmt = select(ModelOutput).where(ModelOutput.model == model, ModelOutput.subject == subject, *where)
    if subject_id is not None:
        stmt = stmt.where(ModelOutput.subject_id == subject_id)
    if subject_ids is not None:
        stmt = stmt.where(ModelOutput.subject_id.in_(list(subject_ids)))
    if item_id is not None:
        stmt = stmt.where(ModelOutput.item_id == item_id)
    if order == "score":
        stmt = stmt.order_by(ModelOutput.score.asc(), ModelOutput.id)
    elif order == "-score":
        stmt = stmt.order_by(ModelOutput.score.desc(), ModelOutput.id)
    else:
        stmt = stmt.order_by(ModelOutput.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def output_run(*, session: Session, model: str) -> ModelRun | None:
    """The run whose outputs are stored for ``model`` (None when it has none)."""
    run_id = session.scalar(select(ModelOutput.run_id).where(ModelOutput.model == model).limit(1))
    return session.get(ModelRun, run_id) if run_id is not None else None


__all__ = ["output_run", "read_outputs", "replace_outputs"]
