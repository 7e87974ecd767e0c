"""``HelpdeskSettings``: profiles, ``HELPDESK_*`` variables and the shared LLM settings."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from capstone.settings import DATABASE_URLS, HelpdeskSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HELPDESK_* or DACA_LLM_* variables from the developer's shell."""
    for name in ("PROFILE", "DATABASE_URL", "MAX_MESSAGE_CHARS"):
        monkeypatch.delenv(f"HELPDESK_{name}", raising=False)
    monkeypatch.delenv("DACA_LLM_MODEL", raising=False)


def test_embedded_profile_is_the_default_and_uses_sqlite() -> None:
    settings = HelpdeskSettings()
    assert settings.profile == "embedded"
    assert settings.database_url == "sqlite+aiosqlite:///./helpdesk.db"


def test_local_profile_uses_the_course_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_PROFILE", "local")
    assert HelpdeskSettings().database_url == DATABASE_URLS["local"]
    assert DATABASE_URLS["local"] == "postgresql+asyncpg://daca:daca@127.0.0.1:5432/daca"


def test_environment_overrides_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_PROFILE", "local")
    monkeypatch.setenv("HELPDESK_DATABASE_URL", "sqlite+aiosqlite:///other.db")
    monkeypatch.setenv("HELPDESK_MAX_MESSAGE_CHARS", "500")
    monkeypatch.setenv("DACA_LLM_MODEL", "my-model")
    settings = HelpdeskSettings()
    assert (settings.database_url, settings.max_message_chars) == ("sqlite+aiosqlite:///other.db", 500)
    assert settings.llm.model == "my-model"


@pytest.mark.parametrize("bad", [{"profile": "cloud"}, {"max_message_chars": 0}])
def test_invalid_values_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        HelpdeskSettings(**bad)
