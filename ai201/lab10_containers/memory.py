"""AI-201 lab 6 — Sessions and memory: the guarded Helpdesk of lab 5 remembers each conversation
in a database (SQLAlchemy: SQLite or Postgres) or in Redis, keeps the context it sends short by
trimming old turns, and folds old turns into a summary."""

from __future__ import annotations

from typing import Any

from agents import (
    Agent,
    InputGuardrailTripwireTriggered,
    Model,
    OutputGuardrailTripwireTriggered,
    Runner,
    TResponseInputItem,
)
from agents.extensions.memory import RedisSession, SQLAlchemySession
from agents.memory import Session, SessionABC
from helpdesk import (
    INPUT_REFUSAL,
    OUTPUT_REFUSAL,
    LLMSettings,
    StoreContext,
    build_guarded_helpdesk,
    build_model,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DATABASE_URL = "sqlite+aiosqlite:///helpdesk.db"
"""The embedded default: a SQLite file in the working folder."""
KEEP_TURNS = 3
"""How many of the newest customer turns TrimmedSession and summarise() keep word for word."""
SUMMARISER_INSTRUCTIONS = (
    "You summarise a customer's conversation with an online store's helpdesk for the agent who "
    "takes over. In at most three sentences, keep what the customer wants, order ids, amounts, "
    "what was already done and what is still open. Write nothing else."
)
SUMMARY_PREFIX = "Summary of the earlier conversation: "
"""How a summary item's text starts (see summary_item)."""

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
_engines: dict[str, AsyncEngine] = {}


def async_url(url: str) -> str:
    """`url` with an async driver: sqlite:// -> sqlite+aiosqlite://, postgresql:// (or postgres://)
    -> postgresql+asyncpg://; URLs that already name a driver are kept. ValueError otherwise."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"database URL {url!r} has no scheme, e.g. sqlite+aiosqlite:///helpdesk.db")
    if "+" in scheme:
        return url
    if scheme not in _DRIVERS:
        raise ValueError(f"database URL {url!r}: use sqlite, postgresql or redis, not {scheme!r}")
    return f"{_DRIVERS[scheme]}://{rest}"


def engine_for(url: str) -> AsyncEngine:
    """One async engine (one connection pool) per database, shared by all sessions on it."""
    url = async_url(url)
    if url not in _engines:
        _engines[url] = create_async_engine(url)
    return _engines[url]


def is_redis_url(url: str) -> bool:
    return url.startswith(("redis://", "rediss://"))


def is_user_message(item: TResponseInputItem) -> bool:
    """Whether a session item is a message the customer wrote (a user turn starts there)."""
    return isinstance(item, dict) and item.get("role") == "user"


def summary_item(summary: str) -> TResponseInputItem:
    """The session item that stands for the turns summarise() folded away."""
    return {"role": "system", "content": SUMMARY_PREFIX + summary}


def is_summary_item(item: TResponseInputItem) -> bool:
    if not isinstance(item, dict) or item.get("role") != "system":
        return False
    return str(item.get("content", "")).startswith(SUMMARY_PREFIX)


def transcript(items: list[TResponseInputItem]) -> str:
    """Session items as plain text for the summariser: one line per message, tool call and result."""
    lines = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call":
            lines.append(f"tool call: {item.get('name')}({item.get('arguments')})")
        elif item.get("type") == "function_call_output":
            lines.append(f"tool result: {item.get('output')}")
        elif "role" in item:
            content = item.get("content")
            if isinstance(content, list):
                content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            speaker = {"user": "customer", "assistant": "helpdesk"}.get(item["role"], item["role"])
            lines.append(f"{speaker}: {content}")
    return "\n".join(lines)


def open_session(conversation_id: str, url: str = DATABASE_URL) -> Session:
    """The memory of one conversation: a RedisSession for redis:// (or rediss://) URLs, otherwise a
    SQLAlchemySession on engine_for(url) that creates its tables if needed. Sessions with the same
    conversation_id and url share their items; ValueError for an empty conversation_id."""
    if not conversation_id:
        raise ValueError("conversation_id must not be empty")
    if is_redis_url(url):
        return RedisSession.from_url(conversation_id, url=url)
    return SQLAlchemySession(conversation_id, engine=engine_for(url), create_tables=True)


async def chat(
    message: str, session: Session, context: StoreContext | None = None, model: Model | None = None
) -> dict[str, Any]:
    """One turn of the guarded helpdesk (build_guarded_helpdesk) that remembers the conversation in
    `session`; returns {"answer": ..., "guardrail": None} like safe_ask(). A tripwire returns
    {"answer": INPUT_REFUSAL or OUTPUT_REFUSAL, "guardrail": its name} and leaves the session as it
    was before the turn: the SDK has already saved the refused message (and anything after it), so
    pop items until this turn's message is gone."""
    context = context if context is not None else StoreContext()
    try:
        result = await Runner.run(build_guarded_helpdesk(model), message, context=context, session=session)
    except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as tripped:
        while (item := await session.pop_item()) is not None:
            if is_user_message(item) and item.get("content") == message:
                break
        refusal = INPUT_REFUSAL if isinstance(tripped, InputGuardrailTripwireTriggered) else OUTPUT_REFUSAL
        return {"answer": refusal, "guardrail": tripped.guardrail_result.guardrail.get_name()}
    return {"answer": result.final_output, "guardrail": None}


class TrimmedSession(SessionABC):
    """A session that shows the model only the last `max_turns` customer turns of `inner`.

    get_items() returns the items from the start of the max_turns-th newest user message on (a turn
    is a user message and everything after it, tool calls included, so the history never starts
    with a tool output). If `inner` starts with a summary item that would be cut, it stays in front.
    get_items(limit) is the inner session's, unchanged: the SDK uses it to check its own writes.
    Everything else goes to `inner` unchanged: nothing is ever deleted from it.
    """

    def __init__(self, inner: Session, max_turns: int = KEEP_TURNS):
        if max_turns < 1:
            raise ValueError(f"max_turns must be at least 1, not {max_turns}")
        self.inner, self.max_turns = inner, max_turns
        self.session_id = inner.session_id

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        if limit is not None:
            return await self.inner.get_items(limit)
        items = await self.inner.get_items()
        starts = [i for i, item in enumerate(items) if is_user_message(item)]
        if len(starts) <= self.max_turns:
            return items
        start = starts[-self.max_turns]
        return [items[0], *items[start:]] if is_summary_item(items[0]) else items[start:]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        await self.inner.add_items(items)

    async def pop_item(self) -> TResponseInputItem | None:
        return await self.inner.pop_item()

    async def clear_session(self) -> None:
        await self.inner.clear_session()


def build_summariser(model: Model | None = None) -> Agent[Any]:
    """The agent "Summariser": SUMMARISER_INSTRUCTIONS, no tools, on `model`
    (default: build_model(LLMSettings()))."""
    return Agent(
        name="Summariser", instructions=SUMMARISER_INSTRUCTIONS, model=model or build_model(LLMSettings())
    )


async def summarise(session: Session, model: Model | None = None, keep_turns: int = KEEP_TURNS) -> str | None:
    """Fold all but the last `keep_turns` customer turns of `session` into one summary item.

    Run the summariser (build_summariser(model)) on transcript() of the older items, then replace
    the session's items with [summary_item(its answer), *the kept turns]. Return the summary, or
    None (and change nothing) when there are no older turns to fold.
    """
    items = await session.get_items()
    starts = [i for i, item in enumerate(items) if is_user_message(item)]
    if len(starts) <= keep_turns:
        return None
    start = starts[-keep_turns] if keep_turns > 0 else len(items)
    result = await Runner.run(build_summariser(model), transcript(items[:start]))
    summary = str(result.final_output)
    await session.clear_session()
    await session.add_items([summary_item(summary), *items[start:]])
    return summary
