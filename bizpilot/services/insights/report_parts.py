"""The insights report's sections on sudden spikes and on product/category performance, as Markdown and HTML, and
the small weekly chart of a spike (inline SVG built from the stored counts; no script, no style attribute)."""

from __future__ import annotations

import html
from typing import Any

from bizpilot.services.insights.summary import ASPECTS_ZH, money

TEXTS = {
    "en": {"spikes": "Sudden spikes", "series": "Series", "week": "Week", "count": "Count", "expected": "Expected",
           "p": "p", "quote": "Example", "all": "all interactions", "topic": "topic", "competitor": "competitor",
           "no_spikes": "No spike in this period.", "perf": "Products and categories", "revenue": "Net revenue",
           "previous": "Previous period", "growth": "Growth", "margin": "Margin", "no_cost": "no cost data",
           "category": "Category", "product": "Product", "change": "Change", "up": "Top movers up",
           "down": "Top movers down", "returns": "Returns", "orders": "Returned orders", "value": "Value",
           "reasons": "Stated return reasons", "reason": "Reason", "no_reasons": "No reason was recorded for these "
           "returns (no message linked to the returned order or from the same account about the product).",
           "no_returns": "No returns in this period.", "aspects": "Review sentiment by aspect", "aspect": "Aspect",
           "reviews": "Reviews", "net": "Net", "no_sales": "No sales in this period or the previous one.",
           "share": "Share", "source.linked": "linked to the order", "source.nearby": "same account and product",
           "reasons_note": "{n} returns stated a reason; a return stating several counts under each.",
           "said": "What customers said (each message once, with the reasons it states)"},
    "zh": {"spikes": "突增", "series": "序列", "week": "周", "count": "数量", "expected": "预期", "p": "p",
           "quote": "示例", "all": "全部互动", "topic": "话题", "competitor": "竞品", "no_spikes": "本期没有突增。",
           "perf": "产品与品类", "revenue": "净销售额", "previous": "上一期", "growth": "增长", "margin": "毛利率",
           "no_cost": "无成本数据", "category": "品类", "product": "产品", "change": "变化", "up": "增长最多",
           "down": "下降最多", "returns": "退货", "orders": "退货单数", "value": "金额", "reasons": "退货原因",
           "reason": "原因",
           "no_reasons": "这些退货没有记录原因（没有关联退货单的消息，也没有同一客户关于该产品的消息）。",
           "no_returns": "本期没有退货。", "aspects": "评价各方面的情感", "aspect": "方面", "reviews": "评价数",
           "net": "净值", "no_sales": "本期和上一期都没有销售。", "share": "占比", "source.linked": "关联订单",
           "source.nearby": "同一客户与产品",
           "reasons_note": "{n} 笔退货说明了原因；说明了多个原因的退货在每个原因下各计一次。",
           "said": "客户原话（每条消息只列一次，附其说明的原因）"},
}


def _pct(x: float | None, signed: bool = False) -> str:
    return "—" if x is None else (f"{100 * x:+.1f}%" if signed else f"{100 * x:.1f}%")


def series_name(spike: dict[str, Any], lang: str = "en") -> str:
    t = TEXTS[lang]
    return t["all"] if spike["kind"] == "all" else f"{t[spike['kind']]}: {spike['label']}"


def aspect_name(key: str, lang: str) -> str:
    return ASPECTS_ZH.get(key, key) if lang == "zh" else key


def spike_svg(spike: dict[str, Any], width: int = 320, height: int = 60) -> str:
    """Bars of the weekly counts around a spike; the spike's week in red, the expected count as a line."""
    weeks = spike["weeks"]
    if not weeks:
        return ""
    top = max(max(w["count"] for w in weeks), spike["expected"], 1)
    step = width / len(weeks)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{html.escape(spike["label"])}" class="chart spark">']
    for i, w in enumerate(weeks):
        h = w["count"] / top * (height - 4)
        fill = "#c62828" if w["week"] == spike["week"] else "#90a4ae"
        parts.append(f'<rect x="{i * step:.1f}" y="{height - h:.1f}" width="{max(step * 0.8, 1):.1f}" '
                     f'height="{h:.1f}" fill="{fill}"><title>{w["week"]}: {w["count"]}</title></rect>')
    y = height - spike["expected"] / top * (height - 4)
    parts.append(f'<line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#1565c0" stroke-dasharray="3 2">'
                 "</line></svg>")
    return "".join(parts)


def spikes_markdown(spikes: list[dict[str, Any]] | None, lang: str = "en") -> list[str]:
    t = TEXTS[lang]
    out = [f"## {t['spikes']}", ""]
    if not spikes:
        return out + [t["no_spikes"], ""]
    out += [f"| {t['series']} | {t['week']} | {t['count']} | {t['expected']} | {t['p']} | {t['quote']} |",
            "|---|---|---:|---:|---:|---|"]
    for s in spikes:
        q = s["quotes"][0] if s["quotes"] else None
        quote = (f"{q['text'][:100]} (#{q['interaction_id']})" if q else "").replace("|", "/").replace("\n", " ")
        out.append(f"| {series_name(s, lang)} | {s['week']} | {s['count']} | {s['expected']} | {s['p_value']:.2g} "
                   f"| {quote} |")
    return out + [""]


def spikes_html(spikes: list[dict[str, Any]] | None, lang: str = "en") -> str:
    t = TEXTS[lang]
    e = html.escape
    if not spikes:
        return f"<h2>{e(t['spikes'])}</h2><p>{e(t['no_spikes'])}</p>"
    rows = []
    for s in spikes:
        quotes = "".join(f"<blockquote>“{e(q['text'][:160])}” <small>#{q['interaction_id']} {q['occurred_at']}"
                         f"</small></blockquote>" for q in s["quotes"][:2])
        rows.append(f"<tr><td>{e(series_name(s, lang))}<br>{spike_svg(s)}</td><td>{s['week']}</td>"
                    f"<td>{s['count']}</td><td>{s['expected']}</td><td>{s['p_value']:.2g}</td><td>{quotes}</td></tr>")
    return (f"<h2>{e(t['spikes'])}</h2><table><tr><th>{e(t['series'])}</th><th>{e(t['week'])}</th>"
            f"<th>{e(t['count'])}</th><th>{e(t['expected'])}</th><th>{e(t['p'])}</th><th>{e(t['quote'])}</th></tr>"
            + "".join(rows) + "</table>")


def _margin(x: float | None, lang: str) -> str:
    return TEXTS[lang]["no_cost"] if x is None else _pct(x)


def performance_markdown(perf: dict[str, Any] | None, lang: str = "en") -> list[str]:
    t = TEXTS[lang]
    out = [f"## {t['perf']}", ""]
    if not perf or not perf["n_products"]:
        return out + [t["no_sales"], ""]
    out += [f"| | {t['revenue']} | {t['previous']} | {t['growth']} | {t['margin']} |", "|---|---:|---:|---:|---:|",
            f"| {t['revenue']} | {money(perf['revenue'])} | {money(perf['previous_revenue'])} | "
            f"{_pct(perf['growth'], True)} | {_margin(perf['margin'], lang)} |", "",
            f"| {t['category']} | {t['revenue']} | {t['share']} | {t['previous']} | {t['growth']} | {t['margin']} |",
            "|---|---:|---:|---:|---:|---:|"]
    out += [f"| {c['category']} | {money(c['revenue'])} | {_pct(c['share'])} | {money(c['previous_revenue'])} | "
            f"{_pct(c['growth'], True)} | {_margin(c['margin'], lang)} |" for c in perf["categories"]]
    for key in ("up", "down"):
        movers = perf["movers_up" if key == "up" else "movers_down"]
        out += ["", f"### {t[key]}", ""]
        out += [f"- {p['name']} ({p['sku']}): {money(p['previous_revenue'])} → {money(p['revenue'])} "
                f"({_pct(p['growth'], True)})" for p in movers] or ["—"]
    out += ["", f"### {t['returns']}", ""] + _returns_lines(perf["returns"], lang)
    out += ["", f"### {t['aspects']}", ""]
    if perf["aspects"]:
        out += [f"| {t['aspect']} | {t['reviews']} | + | − | {t['net']} | {t['previous']} |",
                "|---|---:|---:|---:|---:|---:|"]
        out += [f"| {aspect_name(a['aspect'], lang)} | {a['reviews']} | {a['positive']} | {a['negative']} | "
                f"{_net(a['net'])} | {_net(a['previous_net'])} |" for a in perf["aspects"]]
    else:
        out.append("—")
    return out + [""]


def _net(x: float | None) -> str:
    return "—" if x is None else f"{x:+.2f}"


def _returns_lines(r: dict[str, Any], lang: str) -> list[str]:
    t = TEXTS[lang]
    if not r["orders"]:
        return [t["no_returns"]]
    out = [f"{t['orders']}: {r['orders']} · {t['value']}: {money(r['value'])}", ""]
    out += [f"- {p['name']} ({p['sku']}): {money(p['value'])}" for p in r["products"]]
    out += ["", f"{t['reasons']}:"]
    if not r["reasons"]:
        return out + [t["no_reasons"]]
    out += [f"- {aspect_name(x['reason'], lang)}: {x['returns']}" for x in r["reasons"]]
    out += ["", t["reasons_note"].format(n=r["with_reason"]), "", f"{t['said']}:"]
    for q in r.get("statements", []):
        aspects = ", ".join(aspect_name(a, lang) for a in q["aspects"])
        out.append(f"- “{q['text'][:160]}” (#{q['interaction_id']}, {t['source.' + q['source']]}; {aspects})")
    return out


def performance_html(perf: dict[str, Any] | None, lang: str = "en") -> str:
    """The performance section as HTML (the Markdown's tables, escaped)."""
    t = TEXTS[lang]
    e = html.escape
    if not perf or not perf["n_products"]:
        return f"<h2>{e(t['perf'])}</h2><p>{e(t['no_sales'])}</p>"
    body = [f"<h2>{e(t['perf'])}</h2><table><tr><th></th><th>{e(t['revenue'])}</th><th>{e(t['previous'])}</th>"
            f"<th>{e(t['growth'])}</th><th>{e(t['margin'])}</th></tr><tr><td>{e(t['revenue'])}</td>"
            f"<td>{money(perf['revenue'])}</td><td>{money(perf['previous_revenue'])}</td>"
            f"<td>{_pct(perf['growth'], True)}</td><td>{e(_margin(perf['margin'], lang))}</td></tr></table>",
            f"<table><tr><th>{e(t['category'])}</th><th>{e(t['revenue'])}</th><th>{e(t['share'])}</th>"
            f"<th>{e(t['previous'])}</th><th>{e(t['growth'])}</th><th>{e(t['margin'])}</th></tr>"]
    body += [f"<tr><td>{e(c['category'])}</td><td>{money(c['revenue'])}</td><td>{_pct(c['share'])}</td>"
             f"<td>{money(c['previous_revenue'])}</td><td>{_pct(c['growth'], True)}</td>"
             f"<td>{e(_margin(c['margin'], lang))}</td></tr>" for c in perf["categories"]]
    body.append("</table>")
    for key in ("up", "down"):
        movers = perf["movers_up" if key == "up" else "movers_down"]
        body.append(f"<h3>{e(t[key])}</h3><ul>")
        body += [f"<li>{e(p['name'])} ({e(p['sku'])}): {money(p['previous_revenue'])} → {money(p['revenue'])} "
                 f"({_pct(p['growth'], True)})</li>" for p in movers] or ["<li>—</li>"]
        body.append("</ul>")
    body.append(f"<h3>{e(t['returns'])}</h3>" + "".join(
        f"<p>{e(line[2:]) if line.startswith('- ') else e(line)}</p>" for line in _returns_lines(perf["returns"], lang)
        if line))
    body.append(f"<h3>{e(t['aspects'])}</h3>")
    if perf["aspects"]:
        body.append(f"<table><tr><th>{e(t['aspect'])}</th><th>{e(t['reviews'])}</th><th>+</th><th>−</th>"
                    f"<th>{e(t['net'])}</th><th>{e(t['previous'])}</th></tr>")
        body += [f"<tr><td>{e(aspect_name(a['aspect'], lang))}</td><td>{a['reviews']}</td><td>{a['positive']}</td>"
                 f"<td>{a['negative']}</td><td>{_net(a['net'])}</td><td>{_net(a['previous_net'])}</td></tr>"
                 for a in perf["aspects"]]
        body.append("</table>")
    else:
        body.append("<p>—</p>")
    return "".join(body)


__all__ = ["TEXTS", "aspect_name", "performance_html", "performance_markdown", "series_name", "spike_svg",
           "spikes_html", "spikes_markdown"]
