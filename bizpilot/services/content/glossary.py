"""Chinese renderings of attribute keys, values, units, categories and CRM terms, so Chinese copy can state an
English-keyed fact ('color': 'blue' -> 颜色 蓝色) and the checker can recognise the value in either language.
Unknown words stay as they are.

The words come from the workspace glossary (``bizpilot.services.glossary``: the workspace's own terms over the
product's shipped defaults). These helpers are called deep inside content generation where no session is at hand,
so the glossary of the workspace being generated for is made *active* once per generation:
:func:`use_workspace_glossary` (``load_facts`` calls it) sets it for the current context (thread / task), and
every helper below reads it unless a ``terms`` lookup is passed explicitly. With nothing active the shipped
defaults apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.orm import Session

from bizpilot.services.glossary import GlossaryLookup, default_lookup, lookup_for

_active: ContextVar[GlossaryLookup | None] = ContextVar("bizpilot_content_glossary", default=None)


def use_workspace_glossary(*, session: Session) -> GlossaryLookup:
    """Make the session's workspace glossary the one this context's helpers read (a cached snapshot, so
    calling it at the start of every generation costs one small query)."""
    lookup = lookup_for(session=session)
    _active.set(lookup)
    return lookup


@contextmanager
def glossary_scope(terms: GlossaryLookup) -> Iterator[GlossaryLookup]:
    """Use ``terms`` inside the block and restore what was active before (tests, batch jobs over workspaces)."""
    token = _active.set(terms)
    try:
        yield terms
    finally:
        _active.reset(token)


def active_glossary() -> GlossaryLookup:
    return _active.get() or default_lookup()


def value_zh(value: str, terms: GlossaryLookup | None = None) -> str:
    """A product attribute value in Chinese (an industry name also reads as a value, e.g. 'application')."""
    t = terms if terms is not None else active_glossary()
    return t.zh("value", value) or t.zh("industry", value) or value


def term_zh(value: str, terms: GlossaryLookup | None = None) -> str:
    """An account/CRM term (industry, tier, stage) in Chinese."""
    t = terms if terms is not None else active_glossary()
    return t.zh("term", value) or t.zh("industry", value) or t.zh("value", value) or value


def attr_label(key: str, language: str, terms: GlossaryLookup | None = None) -> str:
    """How an attribute key reads in copy ('ip_rating' -> 'IP rating' / '防护等级')."""
    t = terms if terms is not None else active_glossary()
    found = t.zh("attribute", key) if language == "zh" else t.en("attribute", key)
    return found or key.replace("_", " ")


def unit_zh(unit: str, terms: GlossaryLookup | None = None) -> str:
    return (terms if terms is not None else active_glossary()).zh("unit", unit) or unit


def category_zh(category: str, terms: GlossaryLookup | None = None) -> str:
    return (terms if terms is not None else active_glossary()).zh("category", category) or category


__all__ = ["active_glossary", "attr_label", "category_zh", "glossary_scope", "term_zh", "unit_zh",
           "use_workspace_glossary", "value_zh"]
