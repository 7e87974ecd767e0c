"""Real backing services for lab tests: a Redis database or a PostgreSQL database per test.

The runner registers this module as a pytest plugin, so every lab test may ask for the fixtures
`redis_url` (a Redis logical database leased for the test and flushed before and after) and
`postgres_url` (a PostgreSQL database created for the test and dropped after). Both run here, in
the trusted process; the student's code only receives the URL. Parallel grading workers share the
servers, so Redis databases are leased with SET NX on database 0 and PostgreSQL databases get
unique names. A service that is down fails the test at once with one line saying how to start it.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_URL = "redis://127.0.0.1:6379"
POSTGRES_URL = "postgresql://daca:daca@127.0.0.1:5432/daca"
"""Defaults matching infra/services/up.sh; override with DACA_REDIS_URL / DACA_POSTGRES_URL."""
START_HINT = "start it with: bash infra/services/up.sh"
CONNECT_TIMEOUT = 3.0
"""Seconds to wait for a service to answer: a stopped service fails a test, never hangs it."""
LEASE_DATABASES = range(1, 16)
"""Redis logical databases handed to tests; database 0 holds the leases."""
LEASE_KEY = "daca:lease:db{}"
LEASE_SECONDS = 600
"""A lease expires on its own if its worker dies without releasing it."""
LEASE_WAIT = 30.0
"""How long a test waits for a free database when every one is leased."""
# release only our own lease: another worker may hold it once ours expired
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class ServiceDown(RuntimeError):
    """A backing service did not answer; the message names the URL and the fix."""


def redis_base_url() -> str:
    return os.environ.get("DACA_REDIS_URL", REDIS_URL)


def postgres_base_url() -> str:
    return os.environ.get("DACA_POSTGRES_URL", POSTGRES_URL)


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{path}", parts.query, ""))


def _down(service: str, url: str, exc: BaseException) -> ServiceDown:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ServiceDown(f"{service} is not reachable at {url} ({reason}); {START_HINT}")


def _redis(url: str):
    import redis  # the trusted process only needs redis-py when a test asks for Redis

    return redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT, decode_responses=True
    )


def _take_free_database(control, token: str) -> int | None:
    for number in LEASE_DATABASES:
        if control.set(LEASE_KEY.format(number), token, nx=True, ex=LEASE_SECONDS):
            return number
    return None


@contextmanager
def lease_redis_db(base_url: str | None = None, *, wait: float = LEASE_WAIT) -> Iterator[str]:
    """Lease a free logical database (1-15) of the Redis at `base_url`, empty, for the block;
    yield its URL. The database is flushed again and released afterwards."""
    import redis

    base_url = base_url or redis_base_url()
    token = uuid.uuid4().hex
    control = _redis(_with_path(base_url, "0"))
    try:
        deadline = time.monotonic() + wait
        while True:
            number = _take_free_database(control, token)
            if number is not None:
                break
            if time.monotonic() > deadline:
                raise ServiceDown(
                    f"every Redis database 1-15 at {base_url} stayed leased for {wait:.0f} s "
                    f"(keys {LEASE_KEY.format('N')} in database 0); too many parallel workers?"
                )
            time.sleep(0.2)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        control.close()
        raise _down("Redis", base_url, exc) from None
    url = _with_path(base_url, str(number))
    database = _redis(url)
    try:
        database.flushdb()
        yield url
    finally:
        try:
            database.flushdb()
            control.eval(_RELEASE, 1, LEASE_KEY.format(number), token)
        finally:
            database.close()
            control.close()


async def _admin(base_url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(base_url, timeout=CONNECT_TIMEOUT)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_postgres_db(base_url: str | None = None) -> Iterator[str]:
    """Create an empty database (owned by the URL's user) on the PostgreSQL at `base_url` for the
    block; yield its URL (`postgresql://...`). It is dropped afterwards, connections or not."""
    import asyncpg

    base_url = base_url or postgres_base_url()
    name = f"daca_test_{uuid.uuid4().hex[:16]}"
    try:
        asyncio.run(_admin(base_url, f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise _down("PostgreSQL", base_url, exc) from None
    try:
        yield _with_path(base_url, name)
    finally:
        asyncio.run(_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _fail_if_down(lease):
    try:
        with lease() as url:
            yield url
    except ServiceDown as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of this test's own (`redis://host:port/N`), empty at the start."""
    yield from _fail_if_down(lease_redis_db)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database of this test's own (`postgresql://user:pw@host:port/name`)."""
    yield from _fail_if_down(fresh_postgres_db)
