"""`daca`: the course's command line, for students and instructors."""

from __future__ import annotations

import importlib

import typer

from graders.cli import instructor, student
from graders.labspec import LabFormatError

app = typer.Typer(help="DACA Labs: check, submit and grade the course's labs.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
for module in (student, instructor):
    for command in module.COMMANDS:
        app.command()(command)

for name, path in (("dapr", "infra.dapr.cli"), ("llm", "infra.llm.cli")):
    try:  # the infrastructure commands are optional parts of the same project
        app.add_typer(importlib.import_module(path).app, name=name)
    except ImportError:
        pass


def main() -> None:
    try:
        app()
    except LabFormatError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
