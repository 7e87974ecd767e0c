"""``python -m infra.llm`` (mounted as ``daca llm``): run the scripted LLM server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from .scripted_server import create_app

app = typer.Typer(help="Scripted, vLLM-shaped LLM server for offline tests and demos.")


@app.callback()
def main() -> None:
    """Scripted, vLLM-shaped LLM server for offline tests and demos."""


@app.command()
def serve(
    script: Annotated[
        Path,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="JSON script: a list of rules or {model, rules, fallback}.",
        ),
    ],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (vLLM's default).")] = 8000,
) -> None:
    """Serve the OpenAI-compatible API from SCRIPT until interrupted."""
    try:
        application = create_app(script)
    except ValueError as exc:  # invalid JSON or an invalid rule
        raise typer.BadParameter(str(exc), param_hint="--script") from exc
    uvicorn.run(application, host=host, port=port, log_level="info")
