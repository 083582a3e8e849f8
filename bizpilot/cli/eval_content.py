"""`bizpilot eval content`: the content the current workspace generates (sales kinds with purpose auto, product
kinds), measured by the quality checks and the fact check; nothing is stored (the measurement is
`bizpilot.services.evaluation.content`)."""

from __future__ import annotations

from typing import Annotated

import typer

from bizpilot.cli._common import err_console, workspace_session
from bizpilot.cli._eval import JsonOpt, emit_result, eval_progress


def content(
    kinds: Annotated[str | None, typer.Option("--kinds", help="Comma-separated kinds (default: sales_email, "
                                              "follow_up, call_script, case_study, product_description, ad)")] = None,
    sample: Annotated[int, typer.Option("--sample", min=1, max=1000, help="Accounts or products per kind "
                                        "(spread over the workspace; languages alternate en/zh)")] = 10,
    llm: Annotated[bool, typer.Option("--llm/--no-llm", help="Let the configured LLM draft (default: the "
                                      "deterministic text only)")] = False,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Draw another sample of accounts/products (and "
                                             "seed the model's sampling); default: the same spread every run")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Content: n, lint_fail_rate, lint_fail_rate_draft, fact_error_rate, fallback_rate, llm_kept_rate,
    seconds_per_item, and the same per kind (by_kind)."""
    from bizpilot.services.evaluation.content import evaluate_content, parse_kinds

    chosen = parse_kinds(kinds)
    err_console.print(f"eval content: {', '.join(chosen)}, up to {sample} each, "
                      f"{'with the LLM' if llm else 'deterministic (--no-llm)'}; nothing is stored", highlight=False)
    with workspace_session() as session, eval_progress(not as_json, "generating", sample * len(chosen)) as tick:
        result = evaluate_content(session=session, kinds=chosen, sample=sample, use_llm=llm, on_progress=tick,
                                  seed=seed)
        session.rollback()
    emit_result(result if as_json else {k: v for k, v in result.items() if k not in ("failures", "by_kind")},
                as_json, title=f"eval content ({result['n']} pieces)")
