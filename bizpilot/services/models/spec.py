"""What a workspace model is, declared once: its name, how it trains from the workspace, what it computes for the
pages, which tables feed it, how its health is judged.

Adding a model is one ``ModelSpec`` (in its feature's ``specs`` module) listed in ``services/models/registry.py``;
`bizpilot train <name>|all`, the train API routes, the Models page, background training and the nightly retrain
all iterate the registry. A spec's ``train`` is a plain function::

    def train(*, session: Session, as_of: datetime, progress: Progress, **params) -> Trained

It reads the workspace through ``session`` (never commits it), fits, and returns the fitted estimator (the store
saves it), its metrics, and the ``outputs`` the pages read (a score per account, a forecast per product...). Too
little data is ``InsufficientData``: the run is recorded as skipped with the reason, not as a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import pandas as pd
from sqlalchemy.orm import Session

from bizpilot.db.base import Base
from bizpilot.errors import ConfigError
from bizpilot.ml.base import Estimator


class Progress(Protocol):
    """Training reports how far it got (0..1) and what it is doing; background jobs show it on the Models page."""

    def __call__(self, fraction: float, note: str = "") -> None: ...


def no_progress(fraction: float, note: str = "") -> None:
    """The progress callback of a caller that does not watch."""


@dataclass(frozen=True)
class Output:
    """One precomputed result: about ``subject`` (account, product, opportunity, account_product, workspace) with
    ids, a ``score`` that orders lists, and the rest in ``payload`` (factors, intervals, reasons)."""

    subject: str
    subject_id: int | None
    payload: dict[str, Any]
    item_id: int | None = None
    score: float | None = None


@dataclass
class Trained:
    """What a spec's ``train`` returns. ``model`` is None when the artifact lives elsewhere (the knowledge index is
    rows of ``kb_chunks``); ``params`` default to the estimator's ``get_params()``; ``reference`` holds the main
    features the model saw, for the drift check (see ``health.py``)."""

    model: Estimator | None
    metrics: dict[str, Any]
    n_rows: int
    outputs: list[Output] = field(default_factory=list)
    params: dict[str, Any] | None = None
    reference: pd.DataFrame | None = None


TrainFn = Callable[..., Trained]
DriftFn = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class ModelSpec:
    """One workspace model (see the module docstring).

    ``inputs``: the tables whose contents the data fingerprint covers (a retrain on unchanged data is visible).
    ``key_metrics``: metric name -> "higher" or "lower" is better; a retrain that moves one the wrong way by more
    than the tolerance is flagged. ``drift``: the main features as of a date, compared with those at training time.
    ``on_demand``: a page may start training it in the background when it is missing. ``in_train_all``: part of
    `bizpilot train all` and the nightly retrain (models trained from a labelled file are not).
    ``default_note``: what is used while the workspace has no trained model of its own (a shipped default)."""

    name: str
    title: str
    summary: str
    train: TrainFn
    estimator: type[Estimator] | None = None
    version: str = "1"
    inputs: tuple[type[Base], ...] = ()
    key_metrics: dict[str, Literal["higher", "lower"]] = field(default_factory=dict)
    drift: DriftFn | None = None
    depends_on: tuple[str, ...] = ()
    on_demand: bool = True
    in_train_all: bool = True
    default_note: str | None = None

    @property
    def artifact(self) -> str | None:
        """The model file's name in the workspace's models directory (None: no file)."""
        return f"{self.name}.npz" if self.estimator is not None else None


def train_with(spec: ModelSpec, *, session: Session, as_of: datetime, progress: Progress = no_progress,
               params: dict[str, Any] | None = None) -> Trained:
    """Call the spec's trainer with the keyword contract every trainer follows."""
    return spec.train(session=session, as_of=as_of, progress=progress, **(params or {}))


def ordered(specs: Sequence[ModelSpec]) -> list[ModelSpec]:
    """Specs with every dependency before its dependents (stable otherwise)."""
    by_name = {s.name: s for s in specs}
    done: list[ModelSpec] = []
    seen: set[str] = set()

    def visit(spec: ModelSpec, path: tuple[str, ...]) -> None:
        if spec.name in seen:
            return
        if spec.name in path:
            raise ConfigError(f"model dependency cycle: {' -> '.join((*path, spec.name))}")
        for dep in spec.depends_on:
            if dep in by_name:
                visit(by_name[dep], (*path, spec.name))
        seen.add(spec.name)
        done.append(spec)

    for spec in specs:
        visit(spec, ())
    return done


__all__ = ["ModelSpec", "Output", "Progress", "Trained", "no_progress", "ordered", "train_with"]
