"""``python -m infra.llm`` (mounted as ``daca llm``): run the scripted LLM server."""

from __future__ import annotations

from pathlib import Path

import typer
import uvicorn

from .scripted_server import create_app

app = typer.Typer(help="Scripted, vLLM-shaped LLM server for offline tests and demos.")


@app.callback()
def main() -> None:
    """Scripted, vLLM-shaped LLM server for offline tests and demos."""


@app.command()
def serve(
    script: Path = typer.Option(..., "--script", exists=True, dir_okay=False,
                                help="JSON script: a list of rules or {model, rules, fallback}."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on (vLLM's default is 8000)."),
) -> None:
    """Serve the OpenAI-compatible API from SCRIPT until interrupted."""
    uvicorn.run(create_app(script), host=host, port=port, log_level="info")
