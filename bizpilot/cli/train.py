"""`bizpilot train <model>`: (re)train a workspace model from the workspace's own data and save it.

Each model's command lives with its feature (``bizpilot/cli/train_<model>.py`` or the feature's CLI module),
decorated with ``@train_app.command("<model>")``; importing that module at the bottom of this one registers it.
Commands are thin: they call a service that reads the database, fits, saves under ``settings.models_dir`` and
records a ``ModelRun``; they print a summary to stderr and, with ``--json``, one JSON object on stdout.
"""

from __future__ import annotations

import typer

train_app = typer.Typer(help="Train workspace models from the workspace's own data and save them.",
                        no_args_is_help=True)

# Registered model commands (one import per module that decorates ``train_app`` commands):
from bizpilot.cli import signals, train_all, train_intel, train_recommend  # noqa: E402,F401
