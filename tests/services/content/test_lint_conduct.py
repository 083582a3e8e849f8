"""How a seller may write (``lint_conduct.py``) and the money and terms claims that need a fact (``terms.py``), on a
tiny hand-made fact bundle: buyer lines, a letter signed by its addressee, threats, a second greeting, product copy
written as a letter, invented debts, extensions, taxes, channels and relationship lengths; each fails, each is
repaired or names its check, and the same texts pass where the facts back them."""

from __future__ import annotations

import pytest

from bizpilot.services.content.checker import check_text
from bizpilot.services.content.facts import Fact, FactBundle
from bizpilot.services.content.lint import LintContext, failed_checks, lint_text, repair

ACCOUNT = Fact("account.name", "name", "Oakridge Diner Co", "Oakridge Diner Co")
ACCOUNT_ZH = Fact("account.name", "name", "青松餐饮有限公司", "青松餐饮有限公司")
GLUE = Fact("product.name", "name", "Pipe Sealant 50 mL", "Pipe Sealant 50 mL")
COUNT = Fact("order.count", "count", 7, "7")
INVOICE = [Fact("invoice.number", "text", "INV-7", "INV-7"), Fact("invoice.days_overdue", "count", 9, "9")]
EN = ("Hello Oakridge Diner Co,\n\nYou have ordered Pipe Sealant 50 mL from us 7 times.\n\n{body}\n\n"
      "Just reply to this email and I will help.\n\nBest regards,\n{sign}")
ZH = "青松餐饮有限公司，您好：\n\n您已在我们这里下单7次。{body}\n\n如有需要，直接回复这封邮件即可。\n\n此致\n{sign}"


def _ctx(language: str = "en", kind: str = "sales_email", extra: tuple[Fact, ...] = (),
         contacts: tuple[str, ...] = ()) -> LintContext:
    name = ACCOUNT_ZH if language == "zh" else ACCOUNT
    return LintContext(kind, language, "medium", FactBundle(kind=kind, facts=[name, GLUE, COUNT, *extra]), contacts)


def _en(body: str = "We are glad to help.", sign: str = "The sales team") -> str:
    return EN.format(body=body, sign=sign)


def _zh(body: str = "很高兴为您服务。", sign: str = "销售团队") -> str:
    return ZH.format(body=body, sign=sign)


def test_the_frames_pass() -> None:
    assert lint_text(_en(), _ctx()) == [] and lint_text(_zh(), _ctx("zh")) == []


@pytest.mark.parametrize(("language", "body", "span"), [
    ("en", "We made 3 orders with us this spring.", "We made 3 orders"),
    ("en", "The goods that we buy arrive fast.", "goods that we buy"),
    ("zh", "我们经常采购密封胶。", "我们经常采购"),
    ("zh", "我们购买的产品质量稳定。", "我们购买的"),
])
def test_more_buyer_lines_fail_voice(language: str, body: str, span: str) -> None:
    text = _en(body) if language == "en" else _zh(body)
    assert [(f.check, f.text) for f in lint_text(text, _ctx(language))] == [("voice", span)]


@pytest.mark.parametrize(("language", "sign", "contacts", "span"), [
    ("en", "Oakridge Diner Co sales team", (), "Oakridge Diner Co sales team"),
    ("en", "Dana Wu", ("Dana Wu",), "Dana Wu"),
    ("zh", "青松餐饮的销售团队", (), "青松餐饮的销售团队"),
])
def test_a_letter_signed_by_the_customer_fails_sign_off(language: str, sign: str, contacts: tuple[str, ...],
                                                        span: str) -> None:
    text = _en(sign=sign) if language == "en" else _zh(sign=sign)
    assert [(f.check, f.text) for f in lint_text(text, _ctx(language, contacts=contacts))] == [("sign_off", span)]
    assert lint_text(text.replace(sign, "Your account manager"), _ctx(language, contacts=contacts)) == []


@pytest.mark.parametrize(("language", "body", "span"), [
    ("en", "Otherwise we will hand this to a collection agency.", "collection agency"),
    ("zh", "否则我们将委托律师处理。", "律师"),
])
def test_threats_fail_and_are_dropped(language: str, body: str, span: str) -> None:
    text, ctx = (_en(body), _ctx()) if language == "en" else (_zh(body), _ctx("zh"))
    failures = lint_text(text, ctx)
    assert [(f.check, f.text) for f in failures] == [("threats", span)]
    assert lint_text(repair(text, failures, ctx), ctx) == [] and span not in repair(text, failures, ctx)


def test_a_second_greeting_is_cut() -> None:
    ctx = _ctx("zh")
    text = _zh().replace("您已在", "尊敬的青松餐饮，\n您已在")
    failures = lint_text(text, ctx)
    assert [(f.check, f.reason, f.text) for f in failures] == [
        ("email_parts", "a second greeting inside the letter", "尊敬的青松餐饮，")]
    assert repair(text, failures, ctx) .count("尊敬的") == 0 and lint_text(repair(text, failures, ctx), ctx) == []


def test_product_copy_written_as_a_letter_fails_letter_form() -> None:
    ctx = LintContext("product_description", "zh", "medium", FactBundle(kind="product_description", facts=[GLUE]))
    text = "您好！Pipe Sealant 50 mL密封可靠，安装方便，适合各类管道。感谢您选择我们的产品。此致，"
    failures = lint_text(text, ctx)
    assert [f.check for f in failures] == ["letter_form"] * 3
    assert repair(text, failures, ctx) == "Pipe Sealant 50 mL密封可靠，安装方便，适合各类管道。"
    en = LintContext("ad", "en", "medium", FactBundle(kind="ad", facts=[GLUE]))
    assert failed_checks(lint_text("Dear customer, Pipe Sealant 50 mL seals fast. Best regards,", en)) == [
        "letter_form"]


@pytest.mark.parametrize(("sentence", "kind"), [
    ("Your invoice is now overdue.", "debt"),
    ("您的账单已经逾期。", "debt"),
    ("We can offer a grace period of two weeks.", "terms"),
    ("也可以分期付款。", "terms"),
    ("所有价格包括所有税费。", "terms"),
    ("You can order on our website.", "terms"),
    ("We have worked together for the past few months.", "terms"),
])
def test_money_and_terms_claims_need_a_fact(sentence: str, kind: str) -> None:
    bundle = FactBundle(kind="sales_email", facts=[ACCOUNT, GLUE])
    result = check_text(sentence, bundle)
    assert [c.kind for c in result.problems()] == [kind] and result.output == ""


def test_the_facts_back_debt_and_channel() -> None:
    owed = FactBundle(kind="sales_email", facts=[*INVOICE])
    assert check_text("Invoice INV-7 is 9 days overdue.", owed).clean
    portal = FactBundle(kind="sales_email", facts=[Fact("invoice.payment", "text", "pay on our website",
                                                        "pay on our website")])
    assert check_text("You can also order on our website.", portal).clean


def test_every_check_has_a_studio_label_in_both_languages() -> None:
    import json
    from pathlib import Path

    from bizpilot.services.content.lint import CHECKS

    texts = Path(__file__).resolve().parents[3] / "bizpilot" / "web" / "texts"
    labels = {lang: {} for lang in ("en", "zh")}
    for path in texts.glob("content*.json"):
        for lang, catalog in json.loads(path.read_text(encoding="utf-8")).items():
            labels[lang].update(catalog)
    for lang in ("en", "zh"):
        assert [c for c in CHECKS if f"content.check.{c}" not in labels[lang]] == [], lang
