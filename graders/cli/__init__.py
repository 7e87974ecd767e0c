"""`daca`: the course's command line, for students and instructors."""

from __future__ import annotations

import importlib
import sys

import typer

from graders.cli import instructor, student
from graders.labspec import LabFormatError

app = typer.Typer(
    help="DACA Labs: check, submit and grade the course's labs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for module in (student, instructor):
    for command in module.COMMANDS:
        app.command()(command)

SUBAPPS = {
    "dapr": ("infra.dapr.cli", "Dapr binaries (daprd, placement, scheduler) and running apps."),
    "llm": ("infra.llm.cli", "The scripted OpenAI-compatible LLM server."),
}


def _mount_subapps(argv: list[str]) -> None:
    """Import a sub-app only when it is asked for: `infra.llm` pulls in the Agents SDK (~3 s)."""
    for name, (path, help_text) in SUBAPPS.items():
        if name in argv[1:2]:
            app.add_typer(importlib.import_module(path).app, name=name)
        else:
            app.add_typer(typer.Typer(help=help_text), name=name)


def main() -> None:
    _mount_subapps(sys.argv)
    try:
        app()
    except LabFormatError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
