"""The insights report (`bizpilot report insights`): the overview of a period as Markdown, HTML (self-contained,
charts as inline SVG, no scripts) or PDF (the HTML printed by a local Chromium through Playwright when both are
installed; otherwise a clear error: nothing is fetched from the network).

The charts are plain SVG built here from the computed numbers, so the page and the report draw the same thing.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import Any

from bizpilot.errors import ConfigError
from bizpilot.services.insights.report_parts import (
    performance_html,
    performance_markdown,
    spikes_html,
    spikes_markdown,
)

TITLES = {
    "en": {"title": "Market insight", "key": "Key numbers", "interactions": "Customer interactions",
           "previous": "previous period", "negative": "Negative share", "mentions": "Competitor mentions",
           "topics": "Topics", "movers": "Top movers", "trend": "Sentiment by month", "sov": "Share of voice",
           "topic": "Topic", "keywords": "Keywords", "count": "Interactions", "share": "Share", "change": "Change",
           "quote": "Example", "competitor": "Competitor", "summary": "Summary", "none": "Nothing in this period.",
           "no_topics": "The topics model is not ready: run `bizpilot train topics`.", "month": "Month",
           "positive": "positive", "neutral": "neutral", "negative_word": "negative",
           "brands": "Unlisted brand-like names"},
    "zh": {"title": "市场洞察", "key": "关键数字", "interactions": "客户互动", "previous": "上一期",
           "negative": "负面占比", "mentions": "竞品提及", "topics": "话题", "movers": "变化最大的话题",
           "trend": "每月情感", "sov": "声量份额", "topic": "话题", "keywords": "关键词", "count": "互动数",
           "share": "占比", "change": "变化", "quote": "示例", "competitor": "竞品", "summary": "摘要",
           "none": "本期没有数据。", "no_topics": "话题模型尚未就绪：请运行 `bizpilot train topics`。", "month": "月份",
           "positive": "正面", "neutral": "中性", "negative_word": "负面", "brands": "未列入的疑似品牌"},
}
COLOURS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}


def topic_name(row: dict[str, Any]) -> str:
    """The topic's label, then its labels in the other languages of its texts ("packaging · box / 包装 · 纸箱")."""
    return " / ".join([row["label"], *(row.get("other_labels") or {}).values()])


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def trend_svg(trend: list[dict[str, Any]], lang: str = "en", width: int = 640, height: int = 200) -> str:
    """Stacked bars of positive / neutral / negative interactions per month (inline SVG, no script or style)."""
    t = TITLES[lang]
    if not trend:
        return ""
    top = max((r["positive"] + r["neutral"] + r["negative"]) for r in trend) or 1
    step = (width - 40) / len(trend)
    bar = max(4.0, step * 0.6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 30}" role="img" '
             f'aria-label="{html.escape(t["trend"])}" class="chart">']
    for i, row in enumerate(trend):
        x = 30 + i * step
        y = float(height)
        for key in ("positive", "neutral", "negative"):
            h = row[key] / top * (height - 10)
            if h:
                y -= h
                label = t["negative_word"] if key == "negative" else t[key]
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                             f'fill="{COLOURS[key]}"><title>{row["month"]} {label}: {row[key]}</title></rect>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height + 16}" font-size="10" text-anchor="middle">'
                     f'{html.escape(row["month"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def sov_svg(competitors: list[dict[str, Any]], lang: str = "en", width: int = 640) -> str:
    """Horizontal bars of each mentioned competitor's share of voice (inline SVG)."""
    rows = [c for c in competitors if c["mentions"]]
    if not rows:
        return ""
    height = 24 * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{html.escape(TITLES[lang]["sov"])}" class="chart">']
    for i, c in enumerate(rows):
        y = 5 + i * 24
        w = c["share_of_voice"] * (width - 220)
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(c["name"])}</text>'
                     f'<rect x="140" y="{y}" width="{w:.1f}" height="18" fill="#1565c0"></rect>'
                     f'<text x="{146 + w:.1f}" y="{y + 14}" font-size="12">{_pct(c["share_of_voice"])} '
                     f'({c["mentions"]})</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_markdown(data: dict[str, Any], lang: str = "en") -> str:
    t = TITLES[lang]
    k = data["key"]
    out = [f"# {t['title']}: {data['from']} – {data['to']}", "", f"## {t['summary']}", ""]
    out += [f"- {line}" for line in data["summary"][lang]]
    out += ["", f"## {t['key']}", "", f"| | {data['from']} – {data['to']} | {t['previous']} |", "|---|---:|---:|",
            f"| {t['interactions']} | {k['interactions']} | {k['previous_interactions']} |",
            f"| {t['negative']} | {_pct(k['negative_share'])} | {_pct(k['previous_negative_share'])} |",
            f"| {t['mentions']} | {k['competitor_mentions']} | |", ""]
    if data["topics"] is None:
        out += [f"## {t['topics']}", "", t["no_topics"], ""]
    else:
        out += [f"## {t['movers']}", ""]
        out += [f"- {m['label']}: {_pct(m['previous_share'])} → {_pct(m['share'])}" for m in data["movers"]] or [
            t["none"]]
        out += ["", f"## {t['topics']}", "", f"| {t['topic']} | {t['keywords']} | {t['count']} | {t['share']} | "
                f"{t['change']} | {t['negative']} | {t['quote']} |", "|---|---|---:|---:|---:|---:|---|"]
        for row in data["topics"]:
            quote = (row["quotes"][0]["text"] if row["quotes"] else "").replace("|", "/").replace("\n", " ")[:120]
            out.append(f"| {topic_name(row)} | {', '.join(row['keywords'])} | {row['count']} | {_pct(row['share'])} | "
                       f"{100 * row['change']:+.1f} pt | {_pct(row['negative_share'])} | {quote} |")
        out.append("")
        out += spikes_markdown(data.get("spikes"), lang)
    out += performance_markdown(data.get("performance"), lang)
    out += [f"## {t['trend']}", "", f"| {t['month']} | {t['positive']} | {t['neutral']} | {t['negative_word']} |",
            "|---|---:|---:|---:|"]
    out += [f"| {r['month']} | {r['positive']} | {r['neutral']} | {r['negative']} |" for r in data["trend"]]
    comps = [c for c in data["competitors"]["competitors"] if c["mentions"]]
    out += ["", f"## {t['sov']}", ""]
    if comps:
        out += [f"| {t['competitor']} | {t['mentions']} | {t['sov']} | {t['negative']} |", "|---|---:|---:|---:|"]
        out += [f"| {c['name']} | {c['mentions']} | {_pct(c['share_of_voice'])} | {_pct(c['negative_share'])} |"
                for c in comps]
    else:
        out.append(t["none"])
    if data.get("suggested_brands"):
        out += ["", f"## {t['brands']}", ""]
        out += [f"- {b['name']} ({b['interactions']})" for b in data["suggested_brands"]]
    return "\n".join(out) + "\n"


def render_html(data: dict[str, Any], lang: str = "en") -> str:
    t = TITLES[lang]
    e = html.escape
    k = data["key"]
    body = [f"<h1>{e(t['title'])}: {data['from']} – {data['to']}</h1>", f"<h2>{e(t['summary'])}</h2><ul>"]
    body += [f"<li>{e(line)}</li>" for line in data["summary"][lang]]
    body += ["</ul>", f"<h2>{e(t['key'])}</h2><table><tr><th></th><th>{data['from']} – {data['to']}</th>"
             f"<th>{e(t['previous'])}</th></tr>",
             f"<tr><td>{e(t['interactions'])}</td><td>{k['interactions']}</td><td>{k['previous_interactions']}</td></tr>",
             f"<tr><td>{e(t['negative'])}</td><td>{_pct(k['negative_share'])}</td>"
             f"<td>{_pct(k['previous_negative_share'])}</td></tr>",
             f"<tr><td>{e(t['mentions'])}</td><td>{k['competitor_mentions']}</td><td></td></tr></table>"]
    if data["topics"] is None:
        body.append(f"<h2>{e(t['topics'])}</h2><p>{e(t['no_topics'])}</p>")
    else:
        body.append(f"<h2>{e(t['movers'])}</h2><ul>")
        body += [f"<li>{e(m['label'])}: {_pct(m['previous_share'])} → {_pct(m['share'])}</li>"
                 for m in data["movers"]] or [f"<li>{e(t['none'])}</li>"]
        body.append(f"</ul><h2>{e(t['topics'])}</h2><table><tr><th>{e(t['topic'])}</th><th>{e(t['keywords'])}</th>"
                    f"<th>{e(t['count'])}</th><th>{e(t['share'])}</th><th>{e(t['change'])}</th>"
                    f"<th>{e(t['negative'])}</th><th>{e(t['quote'])}</th></tr>")
        for row in data["topics"]:
            quote = row["quotes"][0]["text"][:160] if row["quotes"] else ""
            body.append(f"<tr><td>{e(topic_name(row))}</td><td>{e(', '.join(row['keywords']))}</td><td>{row['count']}"
                        f"</td><td>{_pct(row['share'])}</td><td>{100 * row['change']:+.1f} pt</td>"
                        f"<td>{_pct(row['negative_share'])}</td><td>{e(quote)}</td></tr>")
        body.append("</table>")
        body.append(spikes_html(data.get("spikes"), lang))
    body.append(performance_html(data.get("performance"), lang))
    body.append(f"<h2>{e(t['trend'])}</h2>{trend_svg(data['trend'], lang) or e(t['none'])}")
    body.append(f"<h2>{e(t['sov'])}</h2>{sov_svg(data['competitors']['competitors'], lang) or e(t['none'])}")
    css = ("body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;"
           "width:100%}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}"
           ".chart{width:100%;height:auto}.spark{max-width:320px}blockquote{margin:2px 0;font-size:90%}")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{e(t["title"])} '
            f"{data['from']} – {data['to']}</title><style>{css}</style></head><body>{''.join(body)}</body></html>\n")


def render_pdf(data: dict[str, Any], path: Path, lang: str = "en") -> Path:
    """Print the HTML report to ``path`` with a local Chromium (Playwright); ``ConfigError`` saying what is missing
    when it cannot."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ConfigError("PDF needs Playwright and a local Chromium (pip install playwright; a system Chromium "
                          "such as /usr/bin/chromium): use --format html and print it instead") from None
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium) if chromium else p.chromium.launch()
            page = browser.new_page()
            page.set_content(render_html(data, lang))
            page.pdf(path=str(path), format="A4", print_background=True)
            browser.close()
    except Exception as exc:  # a missing browser binary, a sandbox refusal: all mean "no PDF here"
        raise ConfigError(f"PDF could not be rendered locally ({type(exc).__name__}: {exc}); use --format html"
                          ) from None
    return path


__all__ = ["TITLES", "render_html", "render_markdown", "render_pdf", "sov_svg", "trend_svg"]
