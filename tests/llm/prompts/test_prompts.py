"""Versioned prompt templates: every shipped file parses, carries a version stamp, and renders strictly."""

from __future__ import annotations

import re

import pytest

from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.llm.prompts import (
    PromptTemplate,
    available_prompts,
    load_prompt,
    system_prompt,
)


def test_every_shipped_template_parses_with_a_version() -> None:
    shipped = available_prompts()
    assert ("system", "en") in shipped and ("system", "zh") in shipped
    for name, lang in shipped:
        template = load_prompt(name, lang)
        assert template.version >= 1 and template.text and template.description
        assert re.fullmatch(rf"{name}\.{lang}@v{template.version}\+[0-9a-f]{{8}}", template.stamp)


def test_languages_share_placeholders() -> None:
    names = {name for name, _ in available_prompts()}
    for name in names:
        assert load_prompt(name, "zh").variables == load_prompt(name, "en").variables


def test_render_fills_every_placeholder_and_refuses_gaps() -> None:
    template = load_prompt("system", "en")
    assert template.variables == {"company"}
    assert "Acme" in template.render(company="Acme")
    with pytest.raises(ValidationFailed, match="company missing value"):
        template.render()
    with pytest.raises(ValidationFailed, match="tone not a placeholder"):
        template.render(company="Acme", tone="warm")


def test_json_braces_need_no_escaping() -> None:
    template = PromptTemplate(name="t", lang="en", version=1, text='Answer as {"sku": "..."} for $product.')
    assert template.render(product="bolts") == 'Answer as {"sku": "..."} for bolts.'


def test_the_stamp_changes_with_the_text() -> None:
    a = PromptTemplate(name="t", lang="en", version=1, text="one")
    b = PromptTemplate(name="t", lang="en", version=1, text="two")
    assert a.stamp != b.stamp and a.stamp.startswith("t.en@v1+")


def test_unknown_language_falls_back_to_english_and_unknown_name_fails() -> None:
    assert load_prompt("system", "de").lang == "en"
    assert load_prompt("system", "zh-CN").lang == "zh"
    with pytest.raises(NotFoundError, match="available: system"):
        load_prompt("nope")


def test_system_prompt_defaults() -> None:
    assert "our company" in system_prompt()
    assert "不要猜测" in system_prompt("zh")
