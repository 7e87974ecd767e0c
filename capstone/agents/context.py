"""The run context every Helpdesk agent, tool and guardrail receives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from capstone.settings import HelpdeskSettings
from capstone.store import HelpdeskRepository

EventType = Literal["ticket_opened", "refund_requested"]


@dataclass(frozen=True)
class HelpdeskEvent:
    """Something that happened in a turn, for the caller to publish (topic = ``type``)."""

    type: EventType
    """What happened."""
    data: dict[str, Any]
    """JSON-ready payload; always holds ``conversation_id`` and ``customer_id``."""


@dataclass
class HelpdeskContext:
    """Who is talking, in which conversation, and the store the tools work on.

    Pass it as the run context; the SDK hands it to tools and guardrails but never sends it
    to the model. ``events`` collects what the tools did during one turn.
    """

    customer_id: int
    """The signed-in customer; tools only ever read or change this customer's data."""
    conversation_id: str
    """The conversation (one Dapr actor per conversation); stored with tickets and refunds."""
    repository: HelpdeskRepository
    """The store, on the session of this turn; the caller commits after a successful turn.
    Tools and guardrails reach it through ``store()``."""
    settings: HelpdeskSettings = field(default_factory=HelpdeskSettings)
    """Limits used by guardrails and tools."""
    events: list[HelpdeskEvent] = field(default_factory=list)
    """Events recorded by tools, oldest first; each ``TurnResult`` carries its own turn's."""
    _store_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    @asynccontextmanager
    async def store(self) -> AsyncIterator[HelpdeskRepository]:
        """The repository, for one tool at a time.

        The model may call several tools at once and the SDK runs them concurrently, but an
        ``AsyncSession`` allows only one operation at a time.
        """
        async with self._store_lock:
            yield self.repository

    def record(self, type: EventType, **data: Any) -> HelpdeskEvent:
        """Append an event about this conversation and return it."""
        event = HelpdeskEvent(
            type, {"conversation_id": self.conversation_id, "customer_id": self.customer_id, **data}
        )
        self.events.append(event)
        return event
