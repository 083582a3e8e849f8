"""The stages of a workspace's deal pipeline: an ordered list kept in ``WorkspaceSetting`` ``pipeline.stages``.

Each stage has a key (what ``opportunities.stage`` holds), a name in English and Chinese, the probability a deal in
it is won when the win-probability model has no score for it (the forecast's fallback weighting), and a kind:
``open`` stages are the board's columns, the one ``won`` and one ``lost`` stage close a deal. A workspace that never
configured its stages gets B2B wholesale defaults that match the demo and imported data (prospecting ... negotiation).

Changing the stages (with the deals that must move) is ``services/pipeline.py::save_stages``; this module only reads
and checks them, so the board, the forecast and the check share one definition.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.domain import Opportunity
from bizpilot.domain.security import WorkspaceSetting
from bizpilot.errors import ValidationFailed

SETTING_KEY = "pipeline.stages"
MAX_STAGES = 20
StageKind = Literal["open", "won", "lost"]
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class Stage(BaseModel):
    """One stage. A won stage always weighs 1 and a lost stage 0, whatever probability is sent for them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(min_length=1, max_length=32, pattern=KEY_PATTERN,
                     description="What opportunities.stage holds: lower-case letters, digits and _")
    name_en: str = Field(min_length=1, max_length=64, description="Name shown in English")
    name_zh: str = Field(min_length=1, max_length=64, description="Name shown in Chinese")
    probability: float = Field(ge=0, le=1, description="Weighting when the win-probability model has no score")
    kind: StageKind = Field("open", description="open (a board column), won or lost (closes the deal)")

    @model_validator(mode="after")
    def _closed_weights(self) -> Stage:
        if self.kind != "open":
            self.probability = 1.0 if self.kind == "won" else 0.0
        return self

    def label(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage(key="prospecting", name_en="Prospecting", name_zh="线索开发", probability=0.1),
    Stage(key="qualification", name_en="Qualification", name_zh="需求确认", probability=0.25),
    Stage(key="proposal", name_en="Proposal", name_zh="方案报价", probability=0.5),
    Stage(key="negotiation", name_en="Negotiation", name_zh="商务谈判", probability=0.75),
    Stage(key="won", name_en="Won", name_zh="赢单", probability=1.0, kind="won"),
    Stage(key="lost", name_en="Lost", name_zh="输单", probability=0.0, kind="lost"),
)


def parse_stages(items: list[Any]) -> list[Stage]:
    """Stages from plain values (API bodies, form rows), each error naming the stage's position and field."""
    out, details = [], []
    for i, item in enumerate(items):
        try:
            out.append(item if isinstance(item, Stage) else Stage.model_validate(item))
        except ValidationError as exc:
            details += [{"field": f"stages[{i}]." + ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
                        for err in exc.errors()]
    if details:
        raise ValidationFailed(f"invalid stage: {details[0]['field']}: {details[0]['reason']}", details=details)
    return out


def check_stages(items: list[Any]) -> list[Stage]:
    """The stages if they make a pipeline: unique keys, at least one open stage, exactly one won and one lost."""
    stages = parse_stages(items)
    details: list[dict[str, Any]] = []
    if not 3 <= len(stages) <= MAX_STAGES:
        details.append({"field": "stages", "reason": f"between 3 and {MAX_STAGES} stages", "value": len(stages)})
    seen: set[str] = set()
    for i, s in enumerate(stages):
        if s.key in seen:
            details.append({"field": f"stages[{i}].key", "reason": "used twice", "value": s.key})
        seen.add(s.key)
    kinds = [s.kind for s in stages]
    if "open" not in kinds:
        details.append({"field": "stages", "reason": "needs at least one open stage"})
    for kind in ("won", "lost"):
        if kinds.count(kind) != 1:
            details.append({"field": "stages", "reason": f"needs exactly one {kind} stage, has {kinds.count(kind)}"})
    if details:
        first = details[0]
        raise ValidationFailed(f"the stages do not make a pipeline: {first['field']}: {first['reason']}"
                               + (f" ({first['value']})" if "value" in first else ""), details=details)
    return stages


def get_stages(*, session: Session) -> list[Stage]:
    """The workspace's stages in board order (the defaults until an admin changes them)."""
    stored = session.get(WorkspaceSetting, SETTING_KEY)
    if stored is None or not isinstance(stored.value, dict) or not stored.value.get("stages"):
        return [s.model_copy() for s in DEFAULT_STAGES]
    return parse_stages(stored.value["stages"])


def open_stages(stages: list[Stage]) -> list[Stage]:
    return [s for s in stages if s.kind == "open"]


def closing_stage(stages: list[Stage], outcome: str) -> Stage:
    """The won or the lost stage."""
    return next(s for s in stages if s.kind == outcome)


def stage_usage(*, session: Session, outcome: str | None = None) -> dict[str, int]:
    """How many live (not archived) opportunities are in each stage key (of one outcome: open, won, lost)."""
    stmt = select(Opportunity.stage, func.count()).where(Opportunity.archived_at.is_(None))
    if outcome is not None:
        stmt = stmt.where(Opportunity.outcome == outcome)
    return {stage: int(n) for stage, n in session.execute(stmt.group_by(Opportunity.stage))}


__all__ = ["DEFAULT_STAGES", "MAX_STAGES", "SETTING_KEY", "Stage", "StageKind", "check_stages", "closing_stage",
           "get_stages", "open_stages", "parse_stages", "stage_usage"]
