"""Fixtures for the capstone's store and agent tests.

Store tests run on SQLite and on the course's local Postgres
(``postgresql+asyncpg://daca:daca@127.0.0.1:5432/daca``, or ``HELPDESK_TEST_POSTGRES_URL``).
Postgres tests are skipped when nothing listens there, except in CI (``CI`` set), where
that is a failure. They drop and re-create the store's tables in that database.
"""

from __future__ import annotations

import gc
import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from agents import set_tracing_disabled
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from capstone.launcher import DEMO_SCRIPT, run_helpdesk
from capstone.settings import DATABASE_URLS
from capstone.store import Customer, create_engine, seed_demo_data, session_factory, upgrade_to_head
from capstone.store.migrate import drop_store

set_tracing_disabled(True)  # ScriptedModel runs must not try to export traces

POSTGRES_URL = os.environ.get("HELPDESK_TEST_POSTGRES_URL", DATABASE_URLS["local"])


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, like the SDK and FastAPI."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _finalize_leftovers() -> None:
    """Collect HTTP clients earlier tests left open before this test's event loop starts: their
    transports would otherwise close inside it, on their own (closed) loop, and fail the test."""
    gc.collect()


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}"


def _postgres_reachable() -> bool:
    url = make_url(POSTGRES_URL)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend, as an async SQLAlchemy URL."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path)
    if not _postgres_reachable():
        reason = f"no Postgres at {make_url(POSTGRES_URL).render_as_string()}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must test on Postgres")
        pytest.skip(reason)
    await drop_store(POSTGRES_URL)
    return POSTGRES_URL


async def _migrated_session(url: str) -> AsyncIterator[AsyncSession]:
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


@pytest.fixture
async def store_session(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on a migrated, empty database (each backend)."""
    async for session in _migrated_session(database_url):
        yield session


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[AsyncSession]:
    """A session on a migrated SQLite database holding the demo data."""
    async for session in _migrated_session(_sqlite_url(tmp_path)):
        await seed_demo_data(session)
        await session.commit()
        yield session


@pytest.fixture
async def ada(session: AsyncSession) -> Customer:
    """Customer 1 of the demo data, with a shipped order 1 and a delivered order 2."""
    customer = await session.get(Customer, 1)
    assert customer is not None and customer.email == "ada@example.com"
    return customer


# --- the whole system on real Dapr, shared by the end-to-end and browser tests ---------------

FAULTS = [  # first rules win: these only answer messages that name them
    {"match": "model is down", "fault": {"status": 503}},
    {"match": "model is slow", "fault": {"delay": 5}, "reply": "too late"},
    {"match": "flaky", "times": 1, "fault": {"status": 500}},
]


def script() -> dict:
    demo = json.loads(Path(DEMO_SCRIPT).read_text())
    return {**demo, "rules": FAULTS + demo["rules"]}


@pytest.fixture(scope="session")
def helpdesk(dapr_binaries):
    env = {"DACA_LLM_TIMEOUT": "2", "DACA_LLM_MAX_RETRIES": "0"}
    with run_helpdesk(llm_script=script(), extra_env=env) as running:
        yield running


@pytest.fixture(scope="session")
def api(helpdesk):
    with httpx.Client(base_url=helpdesk.gateway_url, timeout=60) as client:
        yield client
