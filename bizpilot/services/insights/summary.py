"""The written summary of an insights period, and its check.

The sentences are built from the period's computed numbers; then they are read back like generated content
(``services/content/checker.check_text``) against a fact bundle drawn independently from the same data: every
number, percentage (as the report prints it), date and name found anywhere in it. A sentence stating a number,
percentage or date that the data does not hold is dropped, and the result of the check travels with the summary
(``summary_check``), so a wording change that slips in a number nobody computed cannot reach a reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from bizpilot.services.content.checker import check_text
from bizpilot.services.content.facts import Fact, FactBundle

ASPECTS_ZH = {"quality": "质量", "delivery": "交付", "price": "价格", "packaging": "包装", "service": "服务",
              "billing": "账单", "setup": "安装", "other": "其他"}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _signed(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:+.1f}%"


def money(x: float) -> str:
    return f"{x:,.2f}"


def summary(data: dict[str, Any], lang: str = "en") -> list[str]:
    """Sentences stating the computed numbers of ``data`` (unchecked; see :func:`checked_summary`)."""
    k = data["key"]
    zh = lang == "zh"
    lines = [(f"{data['from']} 至 {data['to']}：{k['interactions']} 条客户互动"
              f"（上一期 {k['previous_interactions']} 条）。"
              if zh else f"{data['from']} to {data['to']}: {k['interactions']} customer interactions "
              f"({k['previous_interactions']} in the previous period).")]
    if k["negative_share"] is not None:
        lines.append(f"负面占比 {_pct(k['negative_share'])}（上一期 {_pct(k['previous_negative_share'])}）。" if zh
                     else f"Negative share {_pct(k['negative_share'])} (previous period "
                          f"{_pct(k['previous_negative_share'])}).")
    topics = data.get("topics") or []
    if topics and topics[0]["count"]:
        t = topics[0]
        lines.append(f"最大话题“{t['label']}”：{t['count']} 条，占 {_pct(t['share'])}。" if zh
                     else f"Largest topic \"{t['label']}\": {t['count']} interactions, {_pct(t['share'])}.")
    for m in data.get("movers") or []:
        lines.append(f"话题“{m['label']}”占比从 {_pct(m['previous_share'])} 变为 {_pct(m['share'])}。" if zh
                     else f"Topic \"{m['label']}\" moved from {_pct(m['previous_share'])} to {_pct(m['share'])}.")
    for s in (data.get("spikes") or [])[:3]:
        name = s["label"] if s["kind"] != "all" else ("全部互动" if zh else "all interactions")
        lines.append(f"突增：“{name}”在 {s['week']} 当周 {s['count']} 条（预期约 {s['expected']} 条）。" if zh
                     else f"Spike: \"{name}\" had {s['count']} interactions in the week of {s['week']} "
                          f"(about {s['expected']} expected).")
    comp = [c for c in data["competitors"]["competitors"] if c["mentions"]]
    if comp:
        c = comp[0]
        lines.append(f"竞品提及 {data['competitors']['mentions']} 次，{c['name']} 声量份额 "
                     f"{_pct(c['share_of_voice'])}。"
                     if zh else f"{data['competitors']['mentions']} competitor mentions; {c['name']} has "
                     f"{_pct(c['share_of_voice'])} share of voice.")
    lines += _performance_lines(data.get("performance"), zh)
    return lines


def _performance_lines(perf: dict[str, Any] | None, zh: bool) -> list[str]:
    if not perf or not perf["n_products"]:
        return []
    lines = []
    growth = "" if perf["growth"] is None else ("，" if zh else ", ") + _signed(perf["growth"])
    lines.append(f"净销售额 {money(perf['revenue'])}（上一期 {money(perf['previous_revenue'])}{growth}）。" if zh
                 else f"Net revenue {money(perf['revenue'])} (previous period {money(perf['previous_revenue'])}"
                      f"{growth}).")
    if perf["movers_up"]:
        p = perf["movers_up"][0]
        lines.append(f"增长最多：{p['name']}（+{money(p['change'])}）。" if zh
                     else f"Top riser: {p['name']} (+{money(p['change'])}).")
    if perf["movers_down"]:
        p = perf["movers_down"][0]
        lines.append(f"下降最多：{p['name']}（-{money(-p['change'])}）。" if zh
                     else f"Top faller: {p['name']} (-{money(-p['change'])}).")
    if perf["margin"] is not None:
        lines.append(f"有成本数据的产品毛利率 {_pct(perf['margin'])}（覆盖 {_pct(perf['margin_coverage'])} 的销售额）。"
                     if zh else f"Margin {_pct(perf['margin'])} on the products with a cost "
                     f"({_pct(perf['margin_coverage'])} of revenue).")
    r = perf["returns"]
    if r["orders"]:
        lines.append(f"退货 {r['orders']} 单，金额 {money(r['value'])}。" if zh
                     else f"{r['orders']} returns worth {money(r['value'])}.")
        if r["reasons"]:
            top = r["reasons"][0]
            name = ASPECTS_ZH.get(top["reason"], top["reason"]) if zh else top["reason"]
            lines.append(f"最常见的退货原因：{name}（{top['returns']} 单）。" if zh
                         else f"Most stated return reason: {name} ({top['returns']} returns).")
    return lines


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, value


def summary_facts(data: dict[str, Any]) -> FactBundle:
    """Every number (as a count, a percentage of a share, an amount), date and short name in ``data``."""
    facts: dict[str, Fact] = {}  # by spelling: the same number in many places is one fact

    def add(fact: Fact) -> None:
        facts.setdefault(fact.text, fact)

    for path, value in _walk({k: v for k, v in data.items() if k not in ("summary", "summary_check")}):
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            v = abs(float(value))
            add(Fact(path, "amount", round(v, 2), money(v)))
            if v <= 100:
                pct = f"{v * 100:.1f}"
                add(Fact(path + "%", "count", float(pct), pct + "%"))
        elif isinstance(value, str) and 0 < len(value) <= 120:
            add(Fact(path, "text", value, value))
    return FactBundle(kind="insights_summary", facts=list(facts.values()))


def _for_line(bundle: FactBundle, line: str) -> FactBundle:
    """The facts that can matter to ``line``: those spelled in it, and every number by value only (its spelling
    blanked, so the checker does not build a pattern for each of hundreds of numbers the line does not contain;
    a percentage keeps its "%" so it still backs a percentage)."""
    lowered = line.lower()
    facts = []
    for f in bundle.facts:
        if f.text.lower() in lowered:
            facts.append(f)
        elif f.kind in ("amount", "count"):
            facts.append(replace(f, text="%" if f.text.endswith("%") else ""))
    return replace(bundle, facts=facts)


def check_line(line: str, bundle: FactBundle) -> tuple[bool, list[str]]:
    """(kept, the claims no fact backs) for one summary sentence."""
    result = check_text(line, _for_line(bundle, line))
    return not result.dropped, [c.text for c in result.problems()]


def checked_summary(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ``summary`` (per language, only the sentences the check kept) and ``summary_check`` (per
    language: sentences kept and dropped, and the dropped ones' claims)."""
    bundle = summary_facts(data)
    data["summary"], data["summary_check"] = {}, {}
    for lang in ("en", "zh"):
        kept, dropped = [], []
        for line in summary(data, lang):
            ok, claims = check_line(line, bundle)
            if ok:
                kept.append(line)
            else:
                dropped.append({"sentence": line, "claims": claims})
        data["summary"][lang] = kept
        data["summary_check"][lang] = {"kept": len(kept), "dropped": dropped}
    return data


__all__ = ["check_line", "checked_summary", "money", "summary", "summary_facts"]
