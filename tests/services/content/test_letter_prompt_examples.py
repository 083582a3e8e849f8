"""The letter prompt's example of the seller's voice: two or three per purpose and language, each a different shape
and otherwise fit to send, chosen by a stable hash of the account and purpose (different customers get different
shapes; the same request gets the same prompt); a draft that is an example with the facts swapped fails
``copied_example``."""

from __future__ import annotations

import re

from bizpilot.services.content.facts import Fact, FactBundle
from bizpilot.services.content.letter_prompt import (
    build_letter_messages,
    example_count,
    example_letter,
    example_variant,
)
from bizpilot.services.content.lint import (
    COPY_SHARE,
    LintContext,
    check_copied_example,
    copied_share,
    lint_text,
)
from bizpilot.services.content.plan import ContentPlan, Section
from bizpilot.services.content.purpose import PURPOSES, Purpose

LETTER_PURPOSES = [p for p in PURPOSES if p != "auto"]


def _shape(letter: str) -> tuple[str, str]:
    """(first sentence, call-to-action paragraph) of an example's body."""
    body = letter.split("\n\n")[1:-1]
    return re.split(r"(?<=[a-z][.?!])\s|(?<=[。？！])", body[0])[0], body[-1]


def test_every_purpose_has_several_different_examples_that_pass_the_checks() -> None:
    for lang in ("en", "zh"):
        for purpose in LETTER_PURPOSES:
            n = example_count(purpose, lang)
            assert n >= 2, (lang, purpose)
            letters = [example_letter(purpose, lang, i) for i in range(n)]
            for i, letter in enumerate(letters):
                failures = lint_text(letter, LintContext("sales_email", lang, "medium"))
                assert [f.check for f in failures] == ["copied_example"], (lang, purpose, i)  # it is the example
            shapes = [_shape(t) for t in letters]
            assert len({s[0] for s in shapes}) == n and len({s[1] for s in shapes}) == n, (lang, purpose, shapes)


def _prompt(account_id: int, lang: str = "en") -> tuple[str, str]:
    facts = [Fact("account.name", "name", "Anchor Contractors B.V.", "Anchor Contractors B.V."),
             Fact("recent.date", "date", "2025-05-02", "2025-05-02"),
             Fact("recent.1.name", "name", "Hex Bolt M8", "Hex Bolt M8", "六角螺栓M8"),
             Fact("recent.1.qty", "quantity", 120, "120", "120")]
    bundle = FactBundle(kind="sales_email", facts=facts, account_id=account_id)
    plan = ContentPlan(kind="sales_email", language=lang, tone="neutral", length="medium",
                       sections=[Section("lead", [f.id for f in facts])])
    messages, stamp = build_letter_messages(plan, bundle, Purpose("thank_you", "latest order"), "Hello,",
                                            "Best regards,\nThe sales team", "sales email", [])
    return messages[1].content, stamp


def test_the_example_is_chosen_per_account_and_is_reproducible() -> None:
    chosen = {}
    for account_id in range(1, 13):
        prompt, stamp = _prompt(account_id)
        assert _prompt(account_id) == (prompt, stamp)
        variant = example_variant("thank_you", f"account:{account_id}") % example_count("thank_you", "en")
        assert re.fullmatch(rf"letter\.en@v3\+\w+\+letter_system\.en@v2\+\w+\+ex{variant + 1}", stamp)
        assert len(stamp) <= 64  # the column's width
        assert example_letter("thank_you", "en", variant) in prompt
        chosen[account_id] = variant
    assert len(set(chosen.values())) == example_count("thank_you", "en")
    # the hash is Python-independent (sha256), so a stored stamp names the same example on any machine
    assert [chosen[i] for i in (1, 2, 3)] == [example_variant("thank_you", f"account:{i}") % 3 for i in (1, 2, 3)]
    zh_prompt, zh_stamp = _prompt(1, "zh")
    assert zh_stamp.endswith(f"+ex{chosen[1] + 1}") and example_letter("thank_you", "zh", chosen[1]) in zh_prompt


def _thanks_bundle(name: str, product: str) -> FactBundle:
    return FactBundle(kind="sales_email", facts=[
        Fact("account.name", "name", name, name), Fact("recent.date", "date", "2025-11-24", "2025-11-24"),
        Fact("recent.1.name", "name", product, product), Fact("recent.1.qty", "quantity", 33, "33", "33")])


def test_a_draft_that_copies_an_example_around_the_facts_fails_and_its_own_words_pass() -> None:
    """Both drafts are the 1.5B model's, for one account: with example 1 (the old prompt's only one) and with the
    example its hash picks."""
    ctx = LintContext("sales_email", "en", "medium", _thanks_bundle("Union Hotels Co.", "白板笔 蓝色 50装"))
    copied = ("Hello Union Hotels Co.,\n\nThank you for your order of 33 units of 白板笔 蓝色 50装 on 2025-11-24. We "
              "hope everything arrives just as you need it.\n\nIs there anything else we can add to this delivery? "
              "Just reply to this email.\n\nBest regards,\nThe sales team")
    own = ("Hello Union Hotels Co.,\n\nThank you for your latest order of 33 units of 白板笔 蓝色 50装 on 2025-11-24. "
           "We are here to help with any questions or concerns you may have. If you have any specific questions or "
           "need further assistance, please let us know.\n\nBest regards,\nThe sales team")
    [failure] = check_copied_example(copied, ctx)
    assert failure.check == "copied_example" and failure.reason == "94% of the prompt's example letter copied"
    assert check_copied_example(own, ctx) == []
    assert check_copied_example(copied, LintContext("case_study", "en", "medium", ctx.bundle)) == []
    # the same shape with other facts is still a copy; the Chinese example counts characters
    zh = example_letter("thank_you", "zh", 0).replace("北风贸易", "联合酒店").replace("封箱胶带48毫米", "白板笔")
    zh_ctx = LintContext("sales_email", "zh", "medium", _thanks_bundle("联合酒店", "白板笔"))
    assert [f.check for f in check_copied_example(zh.replace("2025-03-02", "2025-11-24"), zh_ctx)] == [
        "copied_example"]
    assert copied_share(own, example_letter("thank_you", "en", 0), "en", ctx) < COPY_SHARE
