"""Grounded content generation (descriptions, ads, emails, case studies, call scripts, inquiry replies): facts
from the database, a plan made from them, a realisation (the model's, checked and repaired, or a deterministic
template), every generation stored with its check and the team's rating."""

from bizpilot.services.content.checker import CheckResult, check_text
from bizpilot.services.content.examples import similar_approved
from bizpilot.services.content.facts import KINDS, LANGUAGES, Fact, FactBundle, load_facts
from bizpilot.services.content.plan import LENGTHS, TONES, ContentPlan, make_plan
from bizpilot.services.content.realise import realise_deterministic
from bizpilot.services.content.service import (
    GenerationResult,
    generate_content,
    get_generation,
    rate_content,
    recent_generations,
)

__all__ = ["CheckResult", "ContentPlan", "Fact", "FactBundle", "GenerationResult", "KINDS", "LANGUAGES",
           "LENGTHS", "TONES", "check_text", "generate_content", "get_generation", "load_facts", "make_plan",
           "rate_content", "realise_deterministic", "recent_generations", "similar_approved"]
