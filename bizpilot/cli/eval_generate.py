"""`bizpilot eval generate`: attribute-to-copy generation on AdvertiseGen-style files. The measurement is
`bizpilot.services.evaluation.generate`; this command reads the options, reports and writes predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console
from bizpilot.cli._eval import JsonOpt, emit_result, eval_progress


def generate(
    data: Annotated[Path, typer.Option("--data", help="Rows to evaluate (JSON Lines: attributes and reference copy)")],
    fmt: Annotated[str, typer.Option("--format", help="Data format: advertisegen")] = "advertisegen",
    train: Annotated[Path | None, typer.Option("--train", help="Examples to learn from (same format); without it "
                                               "the copy is a template realisation of the attributes")] = None,
    as_json: JsonOpt = False,
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Also write the generated copy here "
                                                     "(JSON Lines: line, content, summary, generated)")] = None,
) -> None:
    """Attribute-to-copy generation: BLEU-4 (characters), ROUGE-1/2/L (jieba words), attribute coverage,
    contradiction rate and seconds per item, as the ChatGLM-6B AdvertiseGen example computes them."""
    from bizpilot.services.evaluation.generate import evaluate_generation, generation_reader

    reader = generation_reader(fmt=fmt)
    rows = reader(data)
    train_rows = reader(train) if train is not None else None
    err_console.print(f"eval generate: {len(rows)} rows from {data}"
                      + (f", learning from {len(train_rows)} rows of {train}" if train_rows else
                         " (template realisation: no --train)"), highlight=False)
    with eval_progress(True, "generating", len(rows)) as update:
        result = evaluate_generation(rows=rows, train=train_rows, on_progress=update)
    outputs = result.pop("outputs")
    if result["rows_also_in_train"]:
        err_console.print(f"[yellow]warning[/]: {result['rows_also_in_train']} evaluated row(s) also appear in "
                          "--train; their scores are not a held-out measurement", highlight=False)
    if predictions is not None:
        with predictions.open("w", encoding="utf-8") as fh:
            for row, out in zip(rows, outputs, strict=True):
                fh.write(json.dumps({"line": row["line"], "content": row["content"], "summary": row["summary"],
                                     "generated": out}, ensure_ascii=False) + "\n")
    result = {"format": fmt.lower(), **result}
    emit_result(result, as_json, title=f"eval generate ({result['model']}, {result['n']} rows)")
