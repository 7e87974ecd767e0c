"""The service fixtures lab tests use: leased Redis databases and throw-away PostgreSQL databases.

These run against the real services of infra/services/up.sh.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest
import redis

from graders.services import (
    LEASE_KEY,
    ServiceDown,
    fresh_postgres_db,
    lease_redis_db,
    postgres_base_url,
    redis_base_url,
)

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


def _db_number(url: str) -> int:
    return int(url.rsplit("/", 1)[1])


def test_a_redis_lease_is_an_empty_database_of_its_own_released_afterwards():
    control = redis.Redis.from_url(redis_base_url(), db=0)
    with lease_redis_db() as url:
        number = _db_number(url)
        assert 1 <= number <= 15
        client = redis.Redis.from_url(url)
        assert client.dbsize() == 0
        client.set("left-behind", "x")
        assert control.exists(LEASE_KEY.format(number)) == 1
        client.close()
    assert control.exists(LEASE_KEY.format(number)) == 0, "the lease is released"
    assert redis.Redis.from_url(url).dbsize() == 0, "the database is flushed after the test"
    control.close()


def test_two_leases_at_once_get_different_databases_and_see_only_their_own_keys():
    with lease_redis_db() as first, lease_redis_db() as second:
        assert first != second
        a, b = redis.Redis.from_url(first), redis.Redis.from_url(second)
        a.set("who", "first")
        assert b.get("who") is None
        b.set("who", "second")
        assert a.get("who") == b"first"
        a.close()
        b.close()


def test_a_database_left_dirty_by_a_crashed_worker_is_flushed_before_use():
    with lease_redis_db() as url:
        number = _db_number(url)
    stale = redis.Redis.from_url(url)
    stale.set("from-a-dead-worker", "1")
    stale.close()
    with lease_redis_db() as again:
        if _db_number(again) == number:  # leases go to the lowest free database
            assert redis.Redis.from_url(again).dbsize() == 0


def test_a_stopped_redis_fails_with_the_url_and_the_fix():
    url = f"redis://127.0.0.1:{_closed_port()}"
    with pytest.raises(ServiceDown) as down, lease_redis_db(url):
        pass
    message = str(down.value)
    assert url in message and "bash infra/services/up.sh" in message and "\n" not in message


async def _databases(url: str) -> set[str]:
    connection = await asyncpg.connect(url, timeout=3)
    try:
        return {row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")}
    finally:
        await connection.close()


async def _create_table(url: str) -> list[str]:
    connection = await asyncpg.connect(url, timeout=3)
    try:
        await connection.execute("CREATE TABLE notes (body text)")
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return [row["tablename"] for row in rows]
    finally:
        await connection.close()


def test_each_postgres_database_is_new_usable_and_dropped_afterwards():
    with fresh_postgres_db() as first, fresh_postgres_db() as second:
        assert first != second and first.startswith("postgresql://")
        assert asyncio.run(_create_table(first)) == ["notes"]
        assert asyncio.run(_create_table(second)) == ["notes"], "the second database starts empty"
        names = {first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]}
        assert names <= asyncio.run(_databases(postgres_base_url()))
    assert not names & asyncio.run(_databases(postgres_base_url()))


def test_a_stopped_postgres_fails_with_the_url_and_the_fix():
    url = f"postgresql://daca:daca@127.0.0.1:{_closed_port()}/daca"
    with pytest.raises(ServiceDown) as down, fresh_postgres_db(url):
        pass
    assert url in str(down.value) and "bash infra/services/up.sh" in str(down.value)


LAB_TEST = textwrap.dedent(
    """
    import redis

    def test_uses_redis(redis_url):
        assert redis.Redis.from_url(redis_url).ping()

    def test_uses_postgres(postgres_url):
        assert postgres_url.startswith("postgresql://")
    """
)


def _pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_lab.py").write_text(LAB_TEST)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "graders.services",
            "--noconftest",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_fixtures_work_in_a_lab_test(tmp_path):
    run = _pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_fixtures_fail_a_test_plainly_when_a_service_is_down(tmp_path):
    port = _closed_port()
    run = _pytest(
        tmp_path,
        DACA_REDIS_URL=f"redis://127.0.0.1:{port}",
        DACA_POSTGRES_URL=f"postgresql://daca:daca@127.0.0.1:{port}/daca",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"Redis is not reachable at redis://127.0.0.1:{port}" in run.stdout
    assert f"PostgreSQL is not reachable at postgresql://daca:daca@127.0.0.1:{port}/daca" in run.stdout
    assert "2 errors" in run.stdout  # failed in set-up, before the test body ran
