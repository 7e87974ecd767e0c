"""LLMSettings from the environment and presets, and the model built from them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from agents import Agent, Runner, set_tracing_disabled, trace
from pydantic import ValidationError

from infra.llm import PRESETS, LLMSettings, build_model, serve


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PRESET", "BASE_URL", "API_KEY", "MODEL", "TIMEOUT", "MAX_RETRIES"):
        monkeypatch.delenv(f"DACA_LLM_{name}", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def tracing_is_on() -> bool:
    """A disabled SDK hands out no-op traces, which export nothing."""
    return trace("probe").export() is not None


@pytest.fixture
def tracing_enabled() -> Iterator[None]:
    """Start with tracing on and restore whatever state the process had before."""
    was_disabled = not tracing_is_on()
    set_tracing_disabled(False)
    yield
    set_tracing_disabled(was_disabled)


def test_settings_come_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACA_LLM_BASE_URL", "http://vllm.internal:8000/v1")
    monkeypatch.setenv("DACA_LLM_API_KEY", "s3cret")
    monkeypatch.setenv("DACA_LLM_MODEL", "Qwen/Qwen2.5-7B-Instruct")
    monkeypatch.setenv("DACA_LLM_TIMEOUT", "2.5")
    monkeypatch.setenv("DACA_LLM_MAX_RETRIES", "0")

    settings = LLMSettings()

    assert settings.base_url == "http://vllm.internal:8000/v1"
    assert settings.api_key.get_secret_value() == "s3cret"
    assert settings.model == "Qwen/Qwen2.5-7B-Instruct"
    assert (settings.timeout, settings.max_retries) == (2.5, 0)
    assert "s3cret" not in repr(settings)


def test_defaults_target_local_scripted_server() -> None:
    settings = LLMSettings()

    assert settings.base_url == "http://127.0.0.1:8000/v1"
    assert settings.model == "daca-scripted"


def test_preset_fills_unset_fields_and_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACA_LLM_PRESET", "ollama")
    monkeypatch.setenv("DACA_LLM_MODEL", "qwen2.5:7b")

    settings = LLMSettings()

    assert settings.base_url == PRESETS["ollama"]["base_url"]
    assert settings.api_key.get_secret_value() == "ollama"
    assert settings.model == "qwen2.5:7b"


def test_explicit_arguments_beat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DACA_LLM_MODEL", "from-env")

    assert LLMSettings(model="explicit").model == "explicit"


@pytest.mark.parametrize("bad", [{"preset": "anthropic"}, {"timeout": 0}, {"max_retries": -1}])
def test_invalid_settings_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        LLMSettings(**bad)


def test_only_openai_preset_targets_openai() -> None:
    assert [name for name in PRESETS if LLMSettings(preset=name).targets_openai] == ["openai"]


def test_readme_documents_every_preset() -> None:
    readme = (Path(__file__).resolve().parents[1] / "llm" / "README.md").read_text()

    assert all(f"DACA_LLM_PRESET={name}" in readme for name in PRESETS)


def test_env_configured_agent_talks_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve({"model": "env-model", "rules": [{"match": "hi", "reply": "configured"}]}) as url:
        monkeypatch.setenv("DACA_LLM_BASE_URL", url)
        monkeypatch.setenv("DACA_LLM_MODEL", "env-model")
        agent = Agent(name="a", model=build_model())

        result = asyncio.run(Runner.run(agent, "hi"))

    assert result.final_output == "configured"


def test_env_timeout_and_retries_reach_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    script = {"rules": [{"match": "wait", "fault": {"delay": 1.0}, "reply": "late"}]}
    with serve(script) as url:
        monkeypatch.setenv("DACA_LLM_BASE_URL", url)
        monkeypatch.setenv("DACA_LLM_TIMEOUT", "0.2")
        monkeypatch.setenv("DACA_LLM_MAX_RETRIES", "0")

        with pytest.raises(openai.APITimeoutError):
            asyncio.run(Runner.run(Agent(name="a", model=build_model()), "wait"))


def test_build_model_disables_tracing_without_openai_key(tracing_enabled: None) -> None:
    build_model(LLMSettings())

    assert not tracing_is_on()


def test_build_model_keeps_tracing_with_openai_key(
    monkeypatch: pytest.MonkeyPatch, tracing_enabled: None
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")

    build_model(LLMSettings())

    assert tracing_is_on()
