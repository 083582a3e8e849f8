"""The output of ``bench/transfer.py``: the conditions a run depends on, the tables (stdout) and the markdown
report; one row per share of labels, mean ± sample SD over seeds or folds."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("product", "tfidf_lr", "tfidf_svm")


def conditions() -> dict[str, Any]:
    """What the figures depend on: commit, uncommitted product changes, load, threads, versions."""
    import platform

    import sklearn

    def git(*argv: str) -> str:
        try:
            out = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout
            return out.rstrip("\n") if argv[0] == "status" else out.strip()  # status lines start with a space
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = git("status", "--porcelain", "--", "bizpilot/ml", "bizpilot/retrieval", "bizpilot/services/evaluation")
    return {"commit": git("rev-parse", "HEAD"), "commit_subject": git("log", "-1", "--format=%h %s")[:160],
            "uncommitted_product_files": [line[3:] for line in dirty.splitlines()],
            "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "load_average_start": os.getloadavg(),
            "cpu_count": os.cpu_count(), "threads": {k: os.environ.get(k) for k in (
                "OMP_NUM_THREADS", "BIZPILOT_EMBED_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
            "nice": os.nice(0), "python": platform.python_version(), "numpy": np.__version__,
            "sklearn": sklearn.__version__, "bizpilot_home": os.environ.get("BIZPILOT_HOME")}


def _cell(entry: dict[str, Any], name: str) -> str:
    if f"{name}_accuracy" not in entry:
        return "error" if f"{name}_errors" in entry else ""
    sd = entry.get(f"{name}_accuracy_sd", 0.0)
    return f"{entry[f'{name}_accuracy']:.4f}" + (f" ± {sd:.4f}" if entry["runs"] > 1 else "")


def _f1(entry: dict[str, Any], name: str) -> str:
    return f"{entry[f'{name}_macro_f1']:.4f}" if f"{name}_macro_f1" in entry else ""


def _delta(entry: dict[str, Any], name: str = "product") -> str:
    base = [entry[f"{n}_accuracy"] for n in ("tfidf_lr", "tfidf_svm") if f"{n}_accuracy" in entry]
    if f"{name}_accuracy" not in entry or not base:
        return ""
    return f"{entry[f'{name}_accuracy'] - max(base):+.4f}"


def _triple(entry: dict[str, Any], metric: str, fmt: str) -> str:
    return " / ".join(format(entry[f"{n}_{metric}"], fmt) if f"{n}_{metric}" in entry else "-" for n in MODELS)


HEADER = ("share", "n_train", "product acc", "TF-IDF+LR acc", "TF-IDF+SVM acc", "product - best TF-IDF",
          "macro F1 (prod / LR / SVM)", "fit s (prod / LR / SVM)", "peak MiB (prod / LR / SVM)", "runs")
#: sentiment: the product's scores self-trained on the test texts (opt-in: ``eval sentiment --adapt``)
ADAPTED = ("product + self-training acc", "self-trained - best TF-IDF")


def _adapted(summary: list[dict[str, Any]]) -> bool:
    return any("product_adapted_accuracy" in e for e in summary)


def header(summary: list[dict[str, Any]]) -> tuple[str, ...]:
    return HEADER[:6] + ADAPTED + HEADER[6:] if _adapted(summary) else HEADER


def rows_of(summary: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    adapted = _adapted(summary)
    return [(f"{e['fraction']:.0%}", f"{e['n_train']:.0f}", _cell(e, "product"), _cell(e, "tfidf_lr"),
             _cell(e, "tfidf_svm"), _delta(e),
             *((_cell(e, "product_adapted"), _delta(e, "product_adapted")) if adapted else ()),
             " / ".join(_f1(e, n) or "-" for n in MODELS),
             _triple(e, "fit_seconds", ".2f"), _triple(e, "peak_mib", ".0f"), str(e["runs"])) for e in summary]


def table(results: list[dict[str, Any]]) -> str:
    lines = []
    for block in results:
        for group, summary in block["groups"].items():
            lines.append(f"\n{block['task']} | {group} | test n={summary[0]['n_test']:.0f}")
            rows = [header(summary), *rows_of(summary)]
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines) + "\n"


NOTES = "\n## Notes\n"


def markdown(results: list[dict[str, Any]], meta: dict[str, Any], kept: str) -> str:
    """The figures and the conditions they were measured under; a hand-written ``## Notes`` section of the
    previous file is kept."""
    c = meta["conditions"]
    dirty = ", ".join(f"`{p}`" for p in c["uncommitted_product_files"]) or "none"
    lines = [
        "# Few-shot and sparse-label learning curves: the product vs TF-IDF", "",
        f"`python bench/transfer.py {' '.join(meta['argv'])}`, started {c['started_utc']} UTC, "
        f"{meta['seconds']:.0f} s in all. Commit `{c['commit'][:12]}` ({c['commit_subject']}); uncommitted product "
        f"files in the working tree at the time (the run used them): {dirty}.", "",
        f"Conditions: {c['cpu_count']} CPU cores shared with other engineers' jobs, load average "
        f"{'/'.join(f'{x:.2f}' for x in c['load_average_start'])} (1/5/15 min) at the start and "
        f"{'/'.join(f'{x:.2f}' for x in meta['load_average_end'])} at the end; threads "
        + ", ".join(f"{k}={v}" for k, v in c["threads"].items() if v) + f", nice {c['nice']}; Python {c['python']}, "
        f"numpy {c['numpy']}, scikit-learn {c['sklearn']}; process peak RSS {meta['max_rss_mib']:.0f} MiB. Timings "
        "are noisy at this load; accuracy is not.", "",
        "Product: the public classes with their defaults as the product trains them: `SentimentClassifier(embedder="
        "'auto')` (binary tests decided by the sign of `score`, as `bizpilot eval sentiment`), "
        "`IntentClassifier(embedder='auto')`, `IndustryClassifier()` with the taxonomy's label descriptions. "
        f"Extra constructor arguments: {meta['params']}. Baselines, fitted on the same rows in the same run: "
        "TF-IDF (word 1-2-grams, sublinear tf, plus character 1-3-grams within words for sentiment and intent, "
        "which Chinese needs; word n-grams only for the long industry descriptions) with logistic regression "
        "(liblinear, one-vs-rest, C=4) or `LinearSVC(C=1)`. Shares are of the labelled pool, drawn per label "
        "(seeded); \"0 %\" is the product "
        "without labels (the shipped sentiment default, on Chinese only: it was trained on the UCI English sentences; "
        "zero-shot industry over the file's labels). "
        "Sentiment has a second product column: the same scores self-trained on the test texts without their "
        "labels (`sentiment_adapt.self_train`, opt-in: `eval sentiment --adapt`). "
        "Accuracy is mean ± sample SD over seeds (or folds: `runs`); fit seconds are on a warm embedding cache "
        "(embedding time is listed apart); peak MiB is the RSS above the pre-fit RSS, sampled every 10 ms.", "",
        "Data: " + " ".join(meta["data_notes"]), ""]
    below = []
    for block in results:
        lines += [f"## {block['task']}", "", f"Embedding warm-up: {block['warm_seconds']:.0f} s. {block['note']}", ""]
        for group, summary in block["groups"].items():
            lines += [f"**{group}** (test n = {summary[0]['n_test']:.0f})", "",
                      "| " + " | ".join(header(summary)) + " |", "|" + "---|" * len(header(summary))]
            lines += ["| " + " | ".join(r) + " |" for r in rows_of(summary)]
            lines.append("")
            fitted = [f"{e['fraction']:.0%}: {'; '.join(e['product_fitted'])}" for e in summary
                      if e.get("product_fitted")]
            if fitted:
                lines += ["Product as fitted: " + " · ".join(fitted) + ".", ""]
            for e in summary:
                for name, what in (("product", ""), ("product_adapted", " (self-trained on the test texts)")):
                    d = _delta(e, name)
                    if d.startswith("-"):
                        below.append(f"{block['task']}, {group}, {e['fraction']:.0%}{what}: {d}")
                for name in MODELS:
                    for err in e.get(f"{name}_errors", [])[:1]:
                        lines.append(f"- {name} at {e['fraction']:.0%} failed in {len(e[f'{name}_errors'])} "
                                     f"run(s): {err}")
    lines += ["## Where the product is below the better TF-IDF baseline (mean accuracy)", "",
              *([f"- {b}" for b in below] or ["- nowhere"]), ""]
    return "\n".join(lines) + (kept or "")
