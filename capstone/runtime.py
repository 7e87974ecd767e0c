"""What a running Helpdesk process shares: settings, the store's engine and the LLM model.

Dapr creates actors and workflow activities itself, so they reach these through `services()`
rather than through constructor arguments; `open_services` sets them up for one process.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from agents import Model
from dapr.aio.clients import DaprClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capstone.settings import HelpdeskSettings
from capstone.store import create_engine, seed_demo_data, session_factory, upgrade_to_head
from infra.llm import build_model

PUBSUB = os.environ.get("HELPDESK_PUBSUB", "pubsub")
"""The Dapr pub/sub component: `pubsub` (in-memory or Redis, by component set) or, with
HELPDESK_PUBSUB=pubsub-rabbitmq, RabbitMQ. Swapping brokers changes no code."""
STATESTORE = "statestore"


@dataclass
class Services:
    settings: HelpdeskSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    model: Model
    dapr: DaprClient
    """One gRPC channel to the sidecar for the process (a channel per turn costs ~10 ms)."""


_current: list[Services] = []  # the open services of this process (at most one)


def services() -> Services:
    if not _current:
        raise RuntimeError("the Helpdesk services are not open in this process")
    return _current[-1]


@asynccontextmanager
async def open_services(settings: HelpdeskSettings, *, seed: bool = False) -> AsyncIterator[Services]:
    """Migrate the store (and seed the demo data), connect, and build the model."""
    await upgrade_to_head(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    if seed:
        async with sessions() as session:
            await seed_demo_data(session)
            await session.commit()
    model = build_model(settings.llm)
    dapr = DaprClient()
    _current.append(Services(settings, engine, sessions, model, dapr))
    try:
        yield _current[-1]
    finally:
        _current.pop()
        await dapr.close()
        client = getattr(model, "_client", None)  # the SDK model has no public close
        if client is not None:
            await client.close()
        await engine.dispose()
