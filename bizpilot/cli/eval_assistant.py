"""`bizpilot eval assistant`: the service assistant on a JSON Lines file of questions against the current
workspace's knowledge base (every part cited, hand-offs where a person must answer; the reader and the measurement
are `bizpilot.services.evaluation.assistant`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console, workspace_session
from bizpilot.cli._eval import JsonOpt, emit_result, eval_progress


def assistant(
    data: Annotated[Path, typer.Option("--data", help="JSON Lines: {\"q\": ..., \"expect\": [[\"article id\", "
                                       "...], ...], \"handoff\": true|false} (optional \"account\")")],
    embedder: Annotated[str | None, typer.Option("--embedder", help="e5 | minilm | none (keyword search "
                                                 "only); default: BIZPILOT_KB_EMBEDDER")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Assistant: single_cited, multi_all_cited, handoff_recall, false_handoff_rate, seconds_per_question."""
    from bizpilot.cli.ask import _embedder
    from bizpilot.services.evaluation.assistant import evaluate_assistant, read_assistant_cases

    cases = read_assistant_cases(data)
    emb = _embedder(embedder)
    err_console.print(f"eval assistant: {len(cases)} question(s) from {data} (embedder {emb or 'none'}); "
                      "nothing is stored", highlight=False)
    with workspace_session() as session, eval_progress(not as_json, "asking", len(cases)) as tick:
        result = evaluate_assistant(session=session, cases=cases, embedder=emb, on_progress=tick)
    emit_result(result if as_json else {k: v for k, v in result.items() if k != "failures"}, as_json,
                title=f"eval assistant ({result['n']} questions)")
