"""`bizpilot` command line: the one place where commands are registered.

Command modules define plain functions and typer sub-apps and never import this module; ``COMMANDS`` and
``SUBAPPS`` list them in ``--help`` order and ``build_app`` registers them on a root group that translates every
``BizpilotError`` into a message on stderr and exit code 2 (``ErrorTranslatingGroup``). The root callback warns
on stderr about ``BIZPILOT_*`` variables that name no setting (stdout carries ``--json`` output).
"""

from __future__ import annotations

from collections.abc import Sequence

import typer

from bizpilot.cli import models, workspace
from bizpilot.cli._common import Command, ErrorTranslatingGroup, SubApp, err_console, register
from bizpilot.cli.ask import ask, kb_app
from bizpilot.cli.backup import backup, restore
from bizpilot.cli.classify import classify_app
from bizpilot.cli.eval import eval_app
from bizpilot.cli.generate import generate_app
from bizpilot.cli.glossary import glossary_app
from bizpilot.cli.insights import competitors_app, report_app
from bizpilot.cli.keys import keys_app, login_link
from bizpilot.cli.llm import llm_app
from bizpilot.cli.recommend import recommend
from bizpilot.cli.sequences import sequences_app
from bizpilot.cli.signals import signals_app
from bizpilot.cli.tasks import tasks_app
from bizpilot.cli.train import train_app
from bizpilot.cli.users import users_app
from bizpilot.cli.webhooks import webhooks_app

HELP = "bizpilot: AI platform for B2B e-commerce operations."

COMMANDS: list[Command] = [
    ("version", workspace.version),
    ("init", workspace.init),
    ("import", workspace.import_),
    ("stats", workspace.stats),
    ("demo", workspace.demo),
    ("serve", workspace.serve),
    ("ask", ask),
    ("recommend", recommend),
    ("login-link", login_link),
    ("models", models.models),
    ("doctor", models.doctor),
    ("backup", backup),
    ("restore", restore),
]

SUBAPPS: list[SubApp] = [
    ("keys", keys_app),
    ("users", users_app),
    ("llm", llm_app),
    ("eval", eval_app),
    ("train", train_app),
    ("generate", generate_app),
    ("signals", signals_app),
    ("kb", kb_app),
    ("glossary", glossary_app),
    ("classify", classify_app),
    ("tasks", tasks_app),
    ("sequences", sequences_app),
    ("webhooks", webhooks_app),
    ("report", report_app),
    ("competitors", competitors_app),
]


def warn_unknown_env() -> None:
    """Runs before every command: one warning line on stderr naming ``BIZPILOT_*`` variables that no setting
    reads (a typo such as ``BIZPILOT_DATABSE_URL`` would otherwise be ignored silently)."""
    from bizpilot.config import unknown_env_vars

    unknown = unknown_env_vars()
    if unknown:
        err_console.print(f"[yellow]warning[/]: unknown variable(s) ignored: {', '.join(unknown)} (no such "
                          "BIZPILOT_* setting; `bizpilot doctor` lists the checks)", highlight=False)


def build_app(*, commands: Sequence[Command] = COMMANDS, subapps: Sequence[SubApp] = SUBAPPS) -> typer.Typer:
    """The root app with ``commands`` and ``subapps`` registered in order and the start-up check as callback."""
    root = typer.Typer(cls=ErrorTranslatingGroup, help=HELP, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_enable=False)
    root.callback()(warn_unknown_env)
    return register(root, commands=commands, subapps=subapps)


app = build_app()

if __name__ == "__main__":
    app()
