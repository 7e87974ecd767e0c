"""Settings of the Helpdesk, read from ``HELPDESK_*`` environment variables.

Two profiles share one code path:

- ``embedded`` (default): a SQLite file next to the process, no servers needed;
- ``local``: the Postgres of the course's compose file / Dapr setup,
  ``postgresql+asyncpg://daca:daca@127.0.0.1:5432/daca``.

``HELPDESK_DATABASE_URL`` overrides the profile's database. The LLM comes from the shared
``DACA_LLM_*`` variables (see ``infra/llm/README.md``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.llm import LLMSettings

Profile = Literal["embedded", "local"]

DATABASE_URLS: dict[str, str] = {
    "embedded": "sqlite+aiosqlite:///./helpdesk.db",
    "local": "postgresql+asyncpg://daca:daca@127.0.0.1:5432/daca",
}
"""The database each profile uses unless ``HELPDESK_DATABASE_URL`` is set."""


class HelpdeskSettings(BaseSettings):
    """Everything the store and the agents need to know about their environment."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore")

    profile: Profile = "embedded"
    """``embedded`` (SQLite, no servers) or ``local`` (Postgres on 127.0.0.1) (``HELPDESK_PROFILE``)."""

    database_url: str = DATABASE_URLS["embedded"]
    """SQLAlchemy async URL; defaults to the profile's entry in ``DATABASE_URLS``
    (``HELPDESK_DATABASE_URL``)."""

    llm: LLMSettings = Field(default_factory=LLMSettings)
    """The model endpoint, read from ``DACA_LLM_*`` variables."""

    max_message_chars: int = Field(default=2000, gt=0)
    """Longest customer message the input guardrail lets through (``HELPDESK_MAX_MESSAGE_CHARS``)."""

    max_turns: int = Field(default=10, gt=0)
    """Most model calls one customer message may cause, handoffs and tools included
    (``HELPDESK_MAX_TURNS``)."""

    refund_auto_approve_cents: int = Field(default=5000, ge=0)
    """Refunds up to this amount (in cents) need no human approval in the refund workflow;
    the billing agent tells customers so (``HELPDESK_REFUND_AUTO_APPROVE_CENTS``)."""

    refund_approval_timeout_s: float = Field(default=3600.0, gt=0)
    """How long the refund workflow waits for a human decision before rejecting
    (``HELPDESK_REFUND_APPROVAL_TIMEOUT_S``)."""

    @model_validator(mode="before")
    @classmethod
    def _database_from_profile(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("database_url"):
            return data
        url = DATABASE_URLS.get(data.get("profile") or "embedded")
        return {**data, "database_url": url} if url else data  # an unknown profile fails below
