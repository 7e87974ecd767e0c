"""Tests for AI-201 lab 8 (cache, rate limiter, idempotency keys). Run them with `daca check 8`.

They use a real Redis: `redis_url` is a database of its own for each test, emptied first. The
tests read it with their own client to see what your code stored, and for how long.
"""

import time

import pytest
import redis

from graders import StudentCodeError, points, value


@pytest.fixture
def r(redis_url):
    """The test's own view of the Redis database the student's code uses."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def cache(student, redis_url):
    """(the student's cache module, a redis.asyncio client made by the student's connect())."""
    module = student.cache
    return module, module.connect(redis_url)


def _expire_now(r, key):
    """End a key's life the way its TTL would, without waiting for it."""
    assert r.pexpire(key, 1), f"{key} should exist"
    deadline = time.monotonic() + 2
    while r.exists(key) and time.monotonic() < deadline:  # EXISTS makes Redis notice the expiry
        time.sleep(0.005)
    assert not r.exists(key)


@points(2)
def test_cache_miss_loads_and_stores_with_a_ttl(student, cache, r):
    """A miss awaits the loader once, returns its value and stores it with the TTL asked for."""
    module, client = cache
    load = student.helpers.call_counter("Order 7: shipped")
    assert value(module.cached(client, "helpdesk:order:1:7", load, 120)) == "Order 7: shipped"
    assert value(load.calls) == 1
    assert r.get("helpdesk:order:1:7") == "Order 7: shipped"
    assert 0 < r.ttl("helpdesk:order:1:7") <= 120, "cached values must expire: SET ... EX ttl"


@points(2)
def test_cache_hit_does_not_call_the_loader(student, cache, r):
    """A hit returns the stored value and never awaits the loader."""
    module, client = cache
    r.set("helpdesk:order:2:9", "Order 9: delivered", ex=60)
    load = student.helpers.call_counter("Order 9: placed")
    assert value(module.cached(client, "helpdesk:order:2:9", load, 60)) == "Order 9: delivered"
    assert value(load.calls) == 0, "a cache hit must not call the loader (the database)"
    fresh = student.helpers.call_counter("fresh")
    for _ in range(3):
        assert value(module.cached(client, "helpdesk:order:2:10", fresh, 60)) == "fresh"
    assert value(fresh.calls) == 1


@points(1)
def test_invalidate_drops_the_value(student, cache, r):
    """invalidate() deletes the keys (returning how many existed); the next read loads again."""
    module, client = cache
    r.set("helpdesk:order:3:1", "old", ex=60)
    r.set("helpdesk:order:3:2", "old", ex=60)
    assert value(module.invalidate(client, "helpdesk:order:3:1", "helpdesk:order:3:2", "nothing")) == 2
    assert r.exists("helpdesk:order:3:1", "helpdesk:order:3:2") == 0
    load = student.helpers.call_counter("new")
    assert value(module.cached(client, "helpdesk:order:3:1", load, 60)) == "new"
    assert value(load.calls) == 1


@points(2)
def test_rate_limit_boundary(student, cache, r):
    """`limit` messages pass (remaining counts down); the next is refused, retry_after = the TTL left.

    The window's counter must expire, and retry_after is its remaining TTL in whole seconds.
    """
    module, client = cache
    decisions = [value(module.check_rate(client, 42, 3, 60)) for _ in range(4)]
    assert decisions[:3] == [
        {"allowed": True, "remaining": 2, "retry_after": 0},
        {"allowed": True, "remaining": 1, "retry_after": 0},
        {"allowed": True, "remaining": 0, "retry_after": 0},
    ]
    refused = decisions[3]
    assert refused["allowed"] is False and refused["remaining"] == 0, refused
    ttl = r.ttl(value(module.rate_key(42)))
    assert 0 < ttl <= 60, "the window's counter must expire (EXPIRE/PEXPIRE when it starts)"
    assert 1 <= refused["retry_after"] <= 60 and abs(refused["retry_after"] - ttl) <= 1, (refused, ttl)


@points(1)
def test_rate_limit_resets_after_the_window(student, cache, r):
    """Once the window's key expires, the customer may send `limit` messages again."""
    module, client = cache
    for _ in range(3):
        value(module.check_rate(client, 5, 2, 30))
    _expire_now(r, value(module.rate_key(5)))
    assert value(module.check_rate(client, 5, 2, 30)) == {"allowed": True, "remaining": 1, "retry_after": 0}
    assert 0 < r.ttl(value(module.rate_key(5))) <= 30, "a new window starts with a new expiry"


@points(2)
def test_rate_limit_is_atomic_under_concurrency(student, cache, r):
    """Twelve concurrent messages with a limit of 5: exactly 5 are allowed."""
    module, client = cache
    outcomes = value(student.helpers.gather([[module.check_rate, client, 8, 5, 60] for _ in range(12)]))
    assert all("result" in o for o in outcomes), outcomes
    assert sum(o["result"]["allowed"] for o in outcomes) == 5, outcomes
    assert sorted(o["result"]["remaining"] for o in outcomes if o["result"]["allowed"]) == [0, 1, 2, 3, 4]


@points(2)
def test_idempotent_replay(student, cache, r):
    """A repeated key returns the first result without running again; the result has a TTL."""
    module, client = cache
    run = student.helpers.call_counter({"answer": "Refund requested.", "refund_id": 3})
    first = value(module.once(client, "req-1", run, 600))
    second = value(module.once(client, "req-1", run, 600))
    assert first == second == {"answer": "Refund requested.", "refund_id": 3}
    assert value(run.calls) == 1, "a replayed request must not run again"
    key = value(module.idempotency_key("req-1"))
    assert 0 < r.ttl(key) <= 600, "store the result with the TTL asked for"


@points(2)
def test_concurrent_duplicate_runs_once(student, cache, r):
    """Two concurrent requests with one key: the work runs once; the duplicate gets RequestInProgress."""
    module, client = cache
    run = student.helpers.call_counter({"answer": "done"}, None, 0.3)
    outcomes = value(
        student.helpers.gather([[module.once, client, "req-2", run], [module.once, client, "req-2", run]])
    )
    assert value(run.calls) == 1, outcomes
    assert {"result": {"answer": "done"}} in outcomes, outcomes
    assert any(o.get("error") == "RequestInProgress" for o in outcomes), outcomes


@points(1)
def test_a_failure_releases_the_key(student, cache, r):
    """If the work fails, the error propagates and the key is released, so a retry runs."""
    module, client = cache
    failing = student.helpers.call_counter(None, "database down")
    with pytest.raises(StudentCodeError) as raised:
        module.once(client, "req-3", failing)
    assert "database down" in str(raised.value)
    assert not r.exists(value(module.idempotency_key("req-3"))), "delete the key when the work fails"
    retry = student.helpers.call_counter({"answer": "ok"})
    assert value(module.once(client, "req-3", retry)) == {"answer": "ok"}
    assert value(retry.calls) == 1


### BEGIN HIDDEN TESTS
@points(1)
def test_request_in_progress_seen_from_another_instance(student, cache, r):
    """A key pending in another process raises RequestInProgress; its stored result is replayed."""
    module, client = cache
    pending = value(module.PENDING)
    r.set(value(module.idempotency_key("other-1")), pending, ex=60)
    run = student.helpers.call_counter({"answer": "x"})
    with pytest.raises(StudentCodeError) as raised:
        module.once(client, "other-1", run)
    assert raised.value.type == "RequestInProgress", raised.value.type
    r.set(value(module.idempotency_key("other-2")), '{"answer": "stored elsewhere"}', ex=60)
    assert value(module.once(client, "other-2", run)) == {"answer": "stored elsewhere"}
    assert value(run.calls) == 0


@points(1)
def test_rate_limits_are_per_customer(student, cache, r):
    """One customer's messages do not use up another's allowance; limits are not hard-coded."""
    module, client = cache
    for _ in range(2):
        assert value(module.check_rate(client, 100, 2, 45))["allowed"] is True
    assert value(module.check_rate(client, 100, 2, 45))["allowed"] is False
    assert value(module.check_rate(client, 101, 2, 45)) == {"allowed": True, "remaining": 1, "retry_after": 0}
    assert 0 < r.ttl(value(module.rate_key(101))) <= 45
    refused = value(module.check_rate(client, 100, 2, 45))
    assert refused["allowed"] is False and 1 <= refused["retry_after"] <= 45


@points(1)
def test_cache_keys_are_separate(student, cache, r):
    """Values are cached per key, with the TTL given, and a loader's result is not hard-coded."""
    module, client = cache
    a = student.helpers.call_counter("A")
    b = student.helpers.call_counter("B")
    assert value(module.cached(client, "k:a", a, 30)) == "A"
    assert value(module.cached(client, "k:b", b, 500)) == "B"
    assert (r.get("k:a"), r.get("k:b")) == ("A", "B")
    assert 0 < r.ttl("k:a") <= 30 and 30 < r.ttl("k:b") <= 500


@points(1)
def test_the_window_does_not_restart_on_every_message(student, cache, r):
    """Only a window's first message starts its expiry; later messages do not push it back.

    Otherwise a customer who keeps sending would never be let through again.
    """
    module, client = cache
    value(module.check_rate(client, 7, 3, 60))
    key = value(module.rate_key(7))
    r.pexpire(key, 5000)
    for _ in range(4):
        value(module.check_rate(client, 7, 3, 60))
    assert 0 < r.pttl(key) <= 5000, "EXPIRE only when the window starts (EXPIRE ... NX, or when INCR gives 1)"
    assert value(module.check_rate(client, 7, 3, 60))["retry_after"] <= 5


### END HIDDEN TESTS
