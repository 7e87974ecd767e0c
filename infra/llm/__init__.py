"""The project's LLM layer: provider-neutral settings and a scripted vLLM-shaped server."""

from .script import Fault, Rule, Script, ToolCallSpec, load_script
from .scripted_server import create_app, serve
from .settings import PRESETS, LLMSettings, build_model, configure_tracing

__all__ = [
    "PRESETS",
    "Fault",
    "LLMSettings",
    "Rule",
    "Script",
    "ToolCallSpec",
    "build_model",
    "configure_tracing",
    "create_app",
    "load_script",
    "serve",
]
