"""AI-201 lab 8's tests catch what they claim: each broken variant of the reference cache.py (the
classic Redis mistakes: check-then-act races, a window that never ends, a key that is never
released, a cache that never expires) fails exactly the tests about its flaw, and nothing else."""

from pathlib import Path

import pytest

from graders.course import find_lab, find_root
from graders.tests.mutants import failed_tests, swap, zygote_for

ROOT = find_root(Path(__file__))
LAB = find_lab(ROOT, "ai201-08")
CACHE = (LAB.root / "cache.py").read_text(encoding="utf-8")
PIPELINE = """    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window, nx=True)  # only the window's first message starts its clock
        pipe.pttl(key)
        count, _, pttl = await pipe.execute()
"""
CLAIM = """        if await redis.set(name, PENDING, nx=True, ex=PENDING_TTL):
            try:
                result = await run()
            except BaseException:
                await redis.delete(name)
                raise
"""


VARIANTS = {
    "rate limit read, then written": (
        swap(
            CACHE,
            PIPELINE,
            """    count = int(await redis.get(key) or 0) + 1
    if count == 1:
        await redis.set(key, count, ex=window)
    else:
        await redis.set(key, count, keepttl=True)
    pttl = await redis.pttl(key)
""",
        ),
        {"test_rate_limit_is_atomic_under_concurrency"},
    ),
    "every message restarts the window": (
        swap(CACHE, "pipe.expire(key, window, nx=True)", "pipe.expire(key, window)"),
        {"test_the_window_does_not_restart_on_every_message"},
    ),
    "idempotency checked, then run": (
        swap(
            CACHE,
            CLAIM,
            """        if await redis.get(name) is None:
            result = await run()
""",
        ),
        {"test_concurrent_duplicate_runs_once"},
    ),
    "a failure keeps its key": (
        swap(CACHE, CLAIM, CLAIM.replace("                await redis.delete(name)\n", "")),
        {"test_a_failure_releases_the_key"},
    ),
    "cached for ever": (
        swap(CACHE, "    await redis.set(key, value, ex=ttl)\n", "    await redis.set(key, value)\n"),
        {
            "test_cache_miss_loads_and_stores_with_a_ttl",
            "test_cache_keys_are_separate",
            "test_order_status_is_read_through_the_cache",
        },
    ),
    "changes only noted": (
        swap(CACHE, "    await invalidate(context.redis, order_key(context.customer_id, order_id))\n", ""),
        {"test_a_change_is_seen_within_the_turn_and_dropped_after_commit"},
    ),
    "changes not noted": (
        swap(CACHE, "    context.changed.add(order_id)\n", ""),
        {"test_a_change_is_seen_within_the_turn_and_dropped_after_commit"},
    ),
    "one idempotency key for all customers": (
        swap(
            CACHE,
            'once(helpdesk.redis, f"{customer_id}:{idempotency_key}", turn)',
            "once(helpdesk.redis, idempotency_key, turn)",
        ),
        {"test_idempotency_keys_belong_to_one_customer"},
    ),
}


zygote = zygote_for(LAB)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_flaw_fails_its_own_tests(name, zygote, tmp_path):
    source, expected = VARIANTS[name]
    assert failed_tests(LAB, zygote, tmp_path, {"cache.py": source}) == expected
