"""Tests for AI-201 lab 8: the Helpdesk with Redis (cached order status, invalidation, rate limit,
idempotency keys). Run them with `daca check 8`.

Each test opens the Helpdesk on a fresh SQLite file with the demo data (Ada is customer 1; her
order 2 is delivered, $25.00) and on a Redis database of its own (`redis_url`).
"""

import uuid

import pytest
import redis

from graders import StudentCodeError, points, value

ORDERS = {"tool": "transfer_to_orders_agent", "args": {}}
BILLING = {"tool": "transfer_to_billing_agent", "args": {}}
STATUS = {"tool": "get_order_status", "args": {"order_id": 2}}


@pytest.fixture
def r(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def desk(student, redis_url):
    """open(turns, **options) -> (helpdesk handle, scripted model handle); closed after the test."""
    opened = []

    def open_desk(turns, **options):
        model = student.helpers.scripted_model(turns)
        url = f"sqlite+aiosqlite:///lab08-{uuid.uuid4().hex[:8]}.db"
        student.helpdesk.prepare_store(url)
        helpdesk = student.cache.open_helpdesk(redis_url, url, model, **options)
        opened.append(helpdesk)
        return helpdesk, model

    yield open_desk


def _chat(student, helpdesk, message, customer=1, conversation="c1", key=None):
    return value(student.cache.chat(helpdesk, customer, conversation, message, key))


def _outputs(student, model, tool="get_order_status"):
    return value(student.helpers.tool_outputs(model, tool))


@points(2)
def test_order_status_is_read_through_the_cache(student, desk, r):
    """get_order_status caches per customer and order (CACHE_TTL); a hit does not query the store."""
    helpdesk, model = desk(
        [ORDERS, STATUS, {"text": "Delivered."}, ORDERS, STATUS, {"text": "Still delivered."}]
    )
    assert _chat(student, helpdesk, "Where is order 2?")["answer"] == "Delivered."
    first = _outputs(student, model)[0]
    assert "Order 2: delivered" in first, first
    key = value(student.cache.order_key(1, 2))
    assert r.get(key) == first, "cache the tool's text at order_key(customer_id, order_id)"
    assert 0 < r.ttl(key) <= value(student.cache.CACHE_TTL)
    r.set(key, "Order 2: as the cache remembers it", keepttl=True)
    assert _chat(student, helpdesk, "And now?")["answer"] == "Still delivered."
    assert _outputs(student, model)[1] == "Order 2: as the cache remembers it", (
        "a hit must not query the store"
    )


@points(2)
def test_refund_invalidates_the_cached_status(student, desk, r):
    """A refund request drops the order's cached status, so the next look-up shows what is left to refund."""
    refund = {
        "tool": "request_refund",
        "args": {"order_id": 2, "reason": "one cable is broken", "amount": 10},
    }
    helpdesk, model = desk(
        [
            ORDERS,
            STATUS,
            {"text": "ok"},
            BILLING,
            refund,
            {"text": "Refund requested."},
            ORDERS,
            STATUS,
            {"text": "ok"},
        ]
    )
    _chat(student, helpdesk, "Order 2?")
    assert "$25.00 left to refund" in _outputs(student, model)[0]
    key = value(student.cache.order_key(1, 2))
    assert r.exists(key)
    _chat(student, helpdesk, "Refund $10 of order 2 please")
    assert "Refund request" in _outputs(student, model, "request_refund")[0]
    assert not r.exists(key), "invalidate the order's cached status when a refund changes it"
    _chat(student, helpdesk, "Order 2 again?")
    assert "$15.00 left to refund" in _outputs(student, model)[1], _outputs(student, model)


@points(2)
def test_chat_is_rate_limited_before_the_model(student, desk):
    """Over the limit, chat raises RateLimited (with the seconds to wait) and never calls the model."""
    helpdesk, model = desk(
        [{"text": "one"}, {"text": "two"}, {"text": "three"}], rate_limit=2, rate_window=60
    )
    assert [_chat(student, helpdesk, m)["answer"] for m in ("hi", "hello")] == ["one", "two"]
    with pytest.raises(StudentCodeError) as raised:
        _chat(student, helpdesk, "hey")
    assert raised.value.type == "RateLimited", raised.value.type
    assert len(value(student.helpers.model_calls(model))) == 2, "a refused message must not reach the model"
    assert _chat(student, helpdesk, "hey", customer=2)["answer"] == "three", "the limit is per customer"


@points(2)
def test_idempotency_key_replays_the_answer(student, desk):
    """The same idempotency key twice runs one turn and returns its answer both times."""
    helpdesk, model = desk([{"text": "First answer"}, {"text": "Second answer"}])
    first = _chat(student, helpdesk, "Refund order 2", key="k-1")
    again = _chat(student, helpdesk, "Refund order 2", key="k-1")
    assert first == again and first["answer"] == "First answer", (first, again)
    assert len(value(student.helpers.model_calls(model))) == 1
    assert _chat(student, helpdesk, "Refund order 2", key="k-2")["answer"] == "Second answer"


### BEGIN HIDDEN TESTS
@points(1)
def test_idempotency_keys_belong_to_one_customer(student, desk):
    """Another customer's request with the same key is not answered with the first customer's reply."""
    helpdesk, model = desk([{"text": "For Ada"}, {"text": "For Grace"}])
    assert _chat(student, helpdesk, "hi", customer=1, key="same")["answer"] == "For Ada"
    assert _chat(student, helpdesk, "hi", customer=2, conversation="c2", key="same")["answer"] == "For Grace"


@points(1)
def test_ticket_on_an_order_invalidates_it(student, desk, r):
    """Opening a ticket about an order drops its cached status too; other orders stay cached."""
    ticket = {
        "tool": "open_ticket",
        "args": {"category": "orders", "subject": "Late", "description": "Not here yet", "order_id": 2},
    }
    both = {"tools": [{"name": "get_order_status", "args": {"order_id": n}} for n in (1, 2)]}
    helpdesk, _ = desk([ORDERS, both, {"text": "ok"}, ORDERS, ticket, {"text": "Ticket opened."}])
    _chat(student, helpdesk, "Orders 1 and 2?")
    order1, order2 = (value(student.cache.order_key(1, n)) for n in (1, 2))
    assert r.exists(order1) and r.exists(order2)
    _chat(student, helpdesk, "Order 2 is late")
    assert not r.exists(order2) and r.exists(order1)


@points(1)
def test_a_change_is_seen_within_the_turn_and_dropped_after_commit(student, desk, r):
    """A look-up after a refund in the same turn sees the change; its cache is dropped after commit."""
    refund = {"tool": "request_refund", "args": {"order_id": 2, "reason": "broken", "amount": 5}}
    helpdesk, model = desk([BILLING, STATUS, refund, STATUS, {"text": "Done."}])
    _chat(student, helpdesk, "Refund $5 of order 2, and tell me what is left")
    before, after = _outputs(student, model)
    assert "$25.00 left to refund" in before and "$20.00 left to refund" in after, (before, after)
    assert not r.exists(value(student.cache.order_key(1, 2))), "drop context.changed orders after commit"


### END HIDDEN TESTS
