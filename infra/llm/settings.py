"""Provider-neutral LLM settings and the Agents SDK model built from them.

Every provider the course uses speaks the OpenAI Chat Completions protocol, so one set of
settings (base URL, key, model name) is enough to point an agent at OpenAI, Gemini, vLLM,
Ollama or the scripted test server, e.g. ``DACA_LLM_PRESET=gemini DACA_LLM_API_KEY=...``.

Values are resolved in this order: explicit arguments, then ``DACA_LLM_*`` environment
variables, then the chosen preset, then the defaults (the scripted server on port 8000).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from agents import (
    Model,
    OpenAIChatCompletionsModel,
    set_tracing_disabled,
    set_tracing_export_api_key,
)
from openai import AsyncOpenAI
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PRESETS: dict[str, dict[str, str]] = {
    "openai": {
        "base_url": "https://api.openai.com/v1",
        "model": "gpt-4.1-mini",
    },
    "gemini": {
        "base_url": "https://generativelanguage.googleapis.com/v1beta/openai/",
        "model": "gemini-2.5-flash",
    },
    "vllm": {
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "Qwen/Qwen2.5-1.5B-Instruct",
        "api_key": "EMPTY",
    },
    "ollama": {
        "base_url": "http://127.0.0.1:11434/v1",
        "model": "llama3.2",
        "api_key": "ollama",
    },
    "scripted": {
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "daca-scripted",
        "api_key": "test",
    },
}
"""Known endpoints. A preset only fills the fields that were not set explicitly or by env."""

_OPENAI_HOST = "api.openai.com"


class LLMSettings(BaseSettings):
    """Where the agents send their Chat Completions requests."""

    model_config = SettingsConfigDict(env_prefix="DACA_LLM_", extra="ignore")

    preset: str | None = None
    """Name of an entry in ``PRESETS`` that supplies defaults (``DACA_LLM_PRESET``)."""

    base_url: str = PRESETS["scripted"]["base_url"]
    """OpenAI-compatible API root, ending in ``/v1`` for most servers (``DACA_LLM_BASE_URL``)."""

    api_key: SecretStr = SecretStr(PRESETS["scripted"]["api_key"])
    """Bearer key; local servers accept any non-empty value (``DACA_LLM_API_KEY``)."""

    model: str = PRESETS["scripted"]["model"]
    """Model name as the endpoint serves it, e.g. vLLM's ``--served-model-name``
    (``DACA_LLM_MODEL``)."""

    timeout: float = Field(default=60.0, gt=0)
    """Seconds before one HTTP request is abandoned (``DACA_LLM_TIMEOUT``)."""

    max_retries: int = Field(default=2, ge=0)
    """Client-side retries on connection errors, 408/409/429 and 5xx (``DACA_LLM_MAX_RETRIES``)."""

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("preset"):
            return data
        name = data["preset"]
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
        return {**PRESETS[name], **data}

    @property
    def targets_openai(self) -> bool:
        """True when ``base_url`` is OpenAI's own API."""
        return urlparse(self.base_url).hostname == _OPENAI_HOST


def build_model(settings: LLMSettings | None = None) -> Model:
    """Return a Chat Completions model for ``settings`` (default: read from the environment).

    Also calls ``configure_tracing`` so runs never try to export traces without a real key.
    """
    settings = settings or LLMSettings()
    configure_tracing(settings)
    client = AsyncOpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value(),
        timeout=settings.timeout,
        max_retries=settings.max_retries,
    )
    return OpenAIChatCompletionsModel(model=settings.model, openai_client=client)


def configure_tracing(settings: LLMSettings) -> None:
    """Keep the SDK's trace export only when a real OpenAI key is available.

    The exporter sends traces to OpenAI with ``OPENAI_API_KEY``. When the settings target
    OpenAI itself, their key is used for export; with no OpenAI key at all, tracing is
    disabled so offline runs and tests never reach for the network.
    """
    if settings.targets_openai:
        set_tracing_export_api_key(settings.api_key.get_secret_value())
    elif not os.environ.get("OPENAI_API_KEY"):
        set_tracing_disabled(True)
