"""Entry point for ``python -m infra.llm``."""

from .cli import app

app(prog_name="python -m infra.llm")
