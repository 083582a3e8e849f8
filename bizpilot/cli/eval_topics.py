"""`bizpilot eval topics`: topic discovery against known categories, with the TF-IDF + SVD + k-means peer.

    bizpilot eval topics --data FILE --text-col review --label-col cat --k 10 --sample 5000 --json

``--sample N`` measures a stratified, seeded subset (``--seed``); without ``--k`` the model chooses k. The
measurement is `bizpilot.services.evaluation.topics`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console
from bizpilot.cli._eval import JsonOpt, emit_result, eval_progress


def topics(
    data: Annotated[Path, typer.Option("--data", help="Labelled texts (CSV/TSV with a header)")],
    text_col: Annotated[str | None, typer.Option("--text-col", help="Column of the text")] = None,
    label_col: Annotated[str | None, typer.Option("--label-col", help="Column of the known category")] = None,
    k: Annotated[int | None, typer.Option("--k", min=2, max=200, help="Number of topics (default: chosen by "
                                          "silhouette)")] = None,
    sample: Annotated[int | None, typer.Option("--sample", min=10, help="Measure a stratified, seeded sample of "
                                               "N texts")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample and of k-means")] = 0,
    embedder: Annotated[str, typer.Option("--embedder", help="auto (e5 for Chinese, else minilm), e5 or minilm")
                        ] = "auto",
    tfidf_weight: Annotated[float | None, typer.Option("--tfidf-weight", min=0.0, max=1.0, help="Weight of the "
                                                       "TF-IDF block against the sentence embedding (default: 0.2 "
                                                       "with e5, 0.1 with minilm)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Topics: NMI, ARI, NPMI coherence, diversity and time, with the TF-IDF + SVD + k-means baseline."""
    from bizpilot.services.evaluation.topics import evaluate_topics, read_topic_file

    texts, labels = read_topic_file(data, text_col=text_col, label_col=label_col)
    n = min(sample, len(texts)) if sample else len(texts)
    err_console.print(f"eval topics: {len(texts)} labelled texts ({len(set(labels))} labels) from {data}"
                      + (f"; measuring a stratified sample of {n} (seed {seed})" if sample else ""), highlight=False)
    with eval_progress(True, "embedding", n) as update:
        result = evaluate_topics(texts=texts, labels=labels, k=k, sample=sample, seed=seed,
                                 params={"embedder": embedder, "tfidf_weight": tfidf_weight}, on_progress=update)
    emit_result(result, as_json, title=f"eval topics ({result['n']} texts)")


__all__ = ["topics"]
