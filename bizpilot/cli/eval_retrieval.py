"""`bizpilot eval retrieval`: recall@1/5/10 and MRR of the knowledge-base retriever on public ranking tasks
(ATEC, Amazon QA; the pieces and the per-format defaults: `bizpilot.services.evaluation.retrieval`), with the
assistant's query expansion unless --no-expansion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console
from bizpilot.cli._eval import JsonOpt, emit_result, eval_progress, note


def retrieval(
    data: Annotated[Path, typer.Option("--data", help="ATEC TSV (id, q1, q2, label) or Amazon QA JSON Lines")],
    fmt: Annotated[str, typer.Option("--format", help="atec | amazon-qa")],
    mode: Annotated[str, typer.Option("--mode", help="auto (default: the best measured per format) | hybrid | "
                                      "bm25 | vector")] = "auto",
    embedder: Annotated[str, typer.Option("--embedder", help="auto | minilm | e5 (as shipped) | workspace (the "
                                          "workspace's trained embedding model)")] = "auto",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Score a seeded sample of this many "
                                              "queries (the pool stays whole)")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    train_pairs: Annotated[Path | None, typer.Option("--train-pairs", help="First train an embedding adapter on "
                                                     "these pairs (ATEC TSV, or CSV/JSONL query,positive[,negative]"
                                                     " / q1,q2,label); questions shared with --data are held out "
                                                     "and only theirs are scored")] = None,
    holdout: Annotated[float, typer.Option("--holdout", min=0.05, max=0.9, help="With --train-pairs sharing "
                                           "questions with --data: share of the question groups held out and "
                                           "scored (seeded by --seed)")] = 1 / 3,
    expansion: Annotated[bool, typer.Option("--expansion/--no-expansion", help="Expand queries with the built-in "
                                            "variant table as the assistant's knowledge search does (default on; "
                                            "off to compare)")] = True,
    compare_expansion: Annotated[bool, typer.Option("--compare-expansion", help="Also rank every query without "
                                                    "expansion on the same index (key without_expansion)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Retrieval: recall@1/5/10 and MRR on ATEC (zh question matching) or Amazon QA (en product answers)."""
    from bizpilot.services.evaluation.retrieval import evaluate_retrieval, prepare_retrieval

    plan = prepare_retrieval(data=data, fmt=fmt, mode=mode, embedder=embedder, limit=limit, seed=seed,
                             train_pairs=train_pairs, holdout=holdout, expansion=expansion,
                             compare_expansion=compare_expansion, on_note=note)
    err_console.print(f"indexing {len(plan.task.pool)} texts ({plan.mode}"
                      f"{', ' + plan.embedder if plan.embedder else ''}); embeddings are cached, the first run on a "
                      "file takes longest", highlight=False)
    with eval_progress(not as_json, "ranking", len(plan.task.queries)) as tick:
        result = evaluate_retrieval(plan=plan, on_progress=tick, on_note=note)
    emit_result(result, as_json, f"retrieval ({plan.fmt})")
