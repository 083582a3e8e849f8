"""`bizpilot eval <task>`: measure a model on labelled data the same way every time.

Each task is a plain command function in ``cli/eval_<task>.py`` (options, messages on stderr, ``emit_result``:
exactly one JSON object on stdout with ``--json``); the reading of data files and the measurement itself live in
``bizpilot.services.evaluation`` so the API and benchmarks reuse them. ``EVAL_COMMANDS`` is the one list of tasks;
``eval_app`` is built from it (in this order in ``--help``).
"""

from __future__ import annotations

import typer

from bizpilot.cli import (
    eval_assistant,
    eval_content,
    eval_generate,
    eval_intel,
    eval_recommend,
    eval_retrieval,
    eval_signals,
    eval_topics,
)
from bizpilot.cli._common import Command, register
from bizpilot.cli.eval_industry import industry

EVAL_COMMANDS: list[Command] = [
    ("generate", eval_generate.generate),
    ("content", eval_content.content),
    ("churn", eval_intel.churn),
    ("forecast", eval_intel.forecast),
    ("winprob", eval_intel.winprob),
    ("recommend", eval_recommend.recommend),
    ("retrieval", eval_retrieval.retrieval),
    ("assistant", eval_assistant.assistant),
    ("intent", eval_signals.intent),
    ("sentiment", eval_signals.sentiment),
    ("industry", industry),
    ("topics", eval_topics.topics),
]

eval_app = register(typer.Typer(help="Evaluate models on labelled data; --json prints exactly one JSON object on "
                                     "stdout.", no_args_is_help=True), commands=EVAL_COMMANDS)

__all__ = ["EVAL_COMMANDS", "eval_app"]
