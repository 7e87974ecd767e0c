"""AI-201 lab 8 — Redis: a read-through cache for tool results, a rate limiter per customer and
idempotency keys, wired into the Helpdesk of lab 7 (helpdesk.py, memory.py and the store)."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agents import (
    Agent,
    FunctionTool,
    InputGuardrailTripwireTriggered,
    Model,
    OutputGuardrailTripwireTriggered,
    Runner,
)
from agents.extensions.memory import RedisSession
from agents.tool_context import ToolContext
from helpdesk import (
    DATABASE_URL,
    INPUT_REFUSAL,
    OUTPUT_REFUSAL,
    StoreContext,
    build_guarded_helpdesk,
    get_order_status,
    money,
    open_store,
    open_ticket,
    request_refund,
    tool_error,
)
from memory import is_user_message
from redis.asyncio import Redis

CACHE_TTL = 300
"""Seconds an order's status stays cached (a safety net: changes also invalidate it)."""
RATE_LIMIT = 5
"""Messages one customer may send per window."""
RATE_WINDOW = 60
"""The rate limiter's window, in seconds."""
IDEMPOTENCY_TTL = 24 * 60 * 60
"""Seconds a finished request's result is kept for replay."""
PENDING = "__pending__"
"""What an idempotency key holds while its first request is still running."""
PENDING_TTL = 120
"""Seconds a pending marker lives, so a request that crashed never blocks its key for ever."""


def connect(url: str) -> Redis:
    """A redis.asyncio client for `url` that returns str, not bytes."""
    return Redis.from_url(url, decode_responses=True)


def order_key(customer_id: int, order_id: int) -> str:
    """Where one customer's view of one order is cached."""
    return f"helpdesk:order:{customer_id}:{order_id}"


def rate_key(customer_id: int) -> str:
    """The counter of a customer's messages in the current window."""
    return f"helpdesk:rate:{customer_id}"


def idempotency_key(key: str) -> str:
    """Where the request with idempotency key `key` keeps its marker, then its result."""
    return f"helpdesk:idempotency:{key}"


async def cached(redis: Redis, key: str, load: Callable[[], Awaitable[str]], ttl: int = CACHE_TTL) -> str:
    """Read-through cache: the value at `key` if there is one (without calling `load`); otherwise
    `await load()`, store its result at `key` for `ttl` seconds, and return it."""
    hit = await redis.get(key)
    if hit is not None:
        return hit
    value = await load()
    await redis.set(key, value, ex=ttl)
    return value


async def invalidate(redis: Redis, *keys: str) -> int:
    """Drop cached values; returns how many existed."""
    return await redis.delete(*keys) if keys else 0


@dataclass
class RateDecision:
    """The rate limiter's answer for one message."""

    allowed: bool
    remaining: int
    """Messages still allowed in this window (0 once the limit is reached)."""
    retry_after: int
    """Whole seconds until the window ends when not allowed (at least 1); 0 when allowed."""


async def check_rate(
    redis: Redis, customer_id: int, limit: int = RATE_LIMIT, window: int = RATE_WINDOW
) -> RateDecision:
    """Count one message of `customer_id` in a fixed window of `window` seconds that starts with
    the window's first message, and decide whether it is allowed (at most `limit` per window).
    Counting and starting the window's expiry must be atomic (a Lua script or MULTI/EXEC)."""
    key = rate_key(customer_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window, nx=True)  # only the window's first message starts its clock
        pipe.pttl(key)
        count, _, pttl = await pipe.execute()
    if count <= limit:
        return RateDecision(allowed=True, remaining=limit - count, retry_after=0)
    return RateDecision(allowed=False, remaining=0, retry_after=max(1, math.ceil(pttl / 1000)))


class RequestInProgress(Exception):
    """A request with the same idempotency key is still running."""


async def once(redis: Redis, key: str, run: Callable[[], Awaitable[Any]], ttl: int = IDEMPOTENCY_TTL) -> Any:
    """Run `run()` at most once per idempotency key.

    The first call claims the key with PENDING (SET NX, PENDING_TTL), runs, then stores the
    result as JSON for `ttl` seconds and returns it. A later call with the same key returns the
    stored result without running; a call while the first is still running raises
    RequestInProgress. If `run()` raises, the key is released (deleted) and the error propagates,
    so the request can be retried.
    """
    name = idempotency_key(key)
    while True:
        if await redis.set(name, PENDING, nx=True, ex=PENDING_TTL):
            try:
                result = await run()
            except BaseException:
                await redis.delete(name)
                raise
            await redis.set(name, json.dumps(result), ex=ttl)
            return result
        stored = await redis.get(name)
        if stored == PENDING:
            raise RequestInProgress(f"a request with idempotency key {key!r} is still running")
        if stored is not None:
            return json.loads(stored)
        # the first request failed and released the key between our SET and GET: claim it again


# --- The Helpdesk on Redis -------------------------------------------------------------------


@dataclass
class CachedStoreContext(StoreContext):
    """Lab 7's run context plus Redis, and the orders this turn changed."""

    redis: Redis | None = None
    changed: set[int] = field(default_factory=set)
    """Orders whose cached status this turn dropped; dropped again after the commit."""


async def open_cached_store(
    redis: Redis, customer_id: int, url: str, conversation_id: str
) -> CachedStoreContext:
    """open_store() of lab 7 (a new database session for the customer), with Redis added."""
    base = await open_store(customer_id, url, conversation_id)
    given = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init}
    return CachedStoreContext(**given, redis=redis)


async def describe_order(context: StoreContext, order_id: int) -> str:
    """What the order-status tool says about one of the customer's orders, read from the database:
    e.g. "Order 2: delivered, $25.00 (2 x USB-C cable); $15.00 left to refund"."""
    async with context.store() as store:
        order = await store.get_order(context.customer_id, order_id)
        left = await store.refundable_cents(order)
    items = ", ".join(f"{item.quantity} x {item.name}" for item in order.items)
    return f"Order {order.id}: {order.status.value}, {money(order.amount_cents)} ({items}); {money(left)} left to refund"


async def cached_order_status(context: CachedStoreContext, order_id: int) -> str:
    """describe_order() read through the cache: key order_key(customer, order), TTL CACHE_TTL."""
    return await cached(
        context.redis,
        order_key(context.customer_id, order_id),
        lambda: describe_order(context, order_id),
        CACHE_TTL,
    )


async def order_changed(context: CachedStoreContext, order_id: int) -> None:
    """Drop the order's cached status now (later look-ups in this turn read the database), and add
    it to context.changed so that run_turn() drops it again once the change is committed."""
    context.changed.add(order_id)
    await invalidate(context.redis, order_key(context.customer_id, order_id))


def _order_status_tool() -> FunctionTool:
    async def invoke(ctx: ToolContext[CachedStoreContext], arguments: str) -> str:
        try:
            return await cached_order_status(ctx.context, int(json.loads(arguments)["order_id"]))
        except NotImplementedError:  # a task still to do: say so, rather than tell the model
            raise
        except Exception as error:  # noqa: BLE001 - the model is told, like lab 7's tools do
            return tool_error(ctx, error)

    return dataclasses.replace(get_order_status, on_invoke_tool=invoke)


def _changes_orders(tool: FunctionTool) -> FunctionTool:
    """`tool`, followed by order_changed() for the order it was called about (if any)."""

    async def invoke(ctx: ToolContext[CachedStoreContext], arguments: str) -> Any:
        output = await tool.on_invoke_tool(ctx, arguments)
        order_id = json.loads(arguments or "{}").get("order_id")
        if isinstance(order_id, int):
            await order_changed(ctx.context, order_id)
        return output

    return dataclasses.replace(tool, on_invoke_tool=invoke)


def cached_tools() -> dict[str, FunctionTool]:
    """Lab 7's tools by name, replaced by their Redis-aware versions."""
    return {
        "get_order_status": _order_status_tool(),
        "request_refund": _changes_orders(request_refund),
        "open_ticket": _changes_orders(open_ticket),
    }


def build_cached_helpdesk(model: Model | None = None) -> Agent[StoreContext]:
    """Lab 7's guarded helpdesk whose specialists use cached_tools()."""
    helpdesk, tools = build_guarded_helpdesk(model), cached_tools()
    specialists = [
        agent.clone(tools=[tools.get(tool.name, tool) for tool in agent.tools]) for agent in helpdesk.handoffs
    ]
    return helpdesk.clone(handoffs=specialists)


@dataclass
class Helpdesk:
    """What every turn shares: the store's URL, Redis, the model and the rate limit."""

    database_url: str
    redis_url: str
    redis: Redis
    model: Model | None = None
    rate_limit: int = RATE_LIMIT
    rate_window: int = RATE_WINDOW


def open_helpdesk(
    redis_url: str,
    database_url: str = DATABASE_URL,
    model: Model | None = None,
    *,
    rate_limit: int = RATE_LIMIT,
    rate_window: int = RATE_WINDOW,
) -> Helpdesk:
    """A Helpdesk on the store at `database_url` (prepare it with lab 7's prepare_store()) and the
    Redis at `redis_url`, which keeps the cache, the rate limits, idempotency keys and the
    conversations' memory (lab 6's RedisSession)."""
    return Helpdesk(database_url, redis_url, connect(redis_url), model, rate_limit, rate_window)


def conversation(helpdesk: Helpdesk, conversation_id: str) -> RedisSession:
    """The conversation's memory (lab 6's RedisSession, the same items open_session() gives for
    the Redis URL), on the helpdesk's own Redis client rather than a new one per turn."""
    return RedisSession(conversation_id, redis_client=helpdesk.redis)


async def forget_turn(session: Any, message: str) -> None:
    """Pop what a refused turn left in the session, its message included (as lab 6's chat does)."""
    while (item := await session.pop_item()) is not None:
        if is_user_message(item) and item.get("content") == message:
            return


async def run_turn(
    helpdesk: Helpdesk, customer_id: int, conversation_id: str, message: str
) -> dict[str, Any]:
    """One turn: the cached helpdesk answers with the conversation's memory; the store's changes
    are committed (rolled back on a tripwire or an error), then the changed orders' cached status
    is dropped again: a reader between a tool's invalidation and the commit may have cached the
    old status. Returns {"conversation_id", "answer", "agent", "guardrail"}."""
    context = await open_cached_store(helpdesk.redis, customer_id, helpdesk.database_url, conversation_id)
    session = conversation(helpdesk, conversation_id)
    db = context.repository.session
    try:
        result = await Runner.run(
            build_cached_helpdesk(helpdesk.model), message, context=context, session=session
        )
        await db.commit()
        reply = {"answer": str(result.final_output), "agent": result.last_agent.name, "guardrail": None}
    except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as tripped:
        await db.rollback()
        await forget_turn(session, message)
        refusal = INPUT_REFUSAL if isinstance(tripped, InputGuardrailTripwireTriggered) else OUTPUT_REFUSAL
        reply = {"answer": refusal, "agent": None, "guardrail": tripped.guardrail_result.guardrail.get_name()}
    finally:
        await db.close()
        if context.changed:
            await invalidate(helpdesk.redis, *(order_key(customer_id, order) for order in context.changed))
    return {"conversation_id": conversation_id, **reply}


class RateLimited(Exception):
    """The customer sent too many messages; `retry_after` says how many seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many messages; retry after {retry_after} s")
        self.retry_after = retry_after


async def chat(
    helpdesk: Helpdesk,
    customer_id: int,
    conversation_id: str,
    message: str,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """A customer's message, guarded by Redis. First check_rate() (with the helpdesk's limit and
    window): when it says no, raise RateLimited(retry_after) before any model call. Then
    run_turn(); with an `idempotency_key`, through once(), under the key f"{customer_id}:{key}"
    (one customer's key must never replay another customer's answer)."""
    decision = await check_rate(helpdesk.redis, customer_id, helpdesk.rate_limit, helpdesk.rate_window)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)

    async def turn() -> dict[str, Any]:
        return await run_turn(helpdesk, customer_id, conversation_id, message)

    if idempotency_key is None:
        return await turn()
    return await once(helpdesk.redis, f"{customer_id}:{idempotency_key}", turn)
