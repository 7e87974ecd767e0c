"""AI-201 lab 9 — the Helpdesk behind an HTTP API: FastAPI validates requests and responses with
pydantic, injects settings, Redis and the model with Depends, turns errors into HTTP statuses,
streams answers as server-sent events, and describes itself in an OpenAPI schema.

Run it: `uvicorn api:app --reload`, then open http://127.0.0.1:8000/docs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from agents import InputGuardrailTripwireTriggered, Model, OutputGuardrailTripwireTriggered, Runner
from cache import (
    RATE_LIMIT,
    RATE_WINDOW,
    Helpdesk,
    RateLimited,
    RequestInProgress,
    build_cached_helpdesk,
    chat,
    check_rate,
    connect,
    conversation,
    forget_turn,
    invalidate,
    open_cached_store,
    order_key,
)
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from helpdesk import (
    DATABASE_URL,
    INPUT_REFUSAL,
    MAX_MESSAGE_CHARS,
    OUTPUT_REFUSAL,
    LLMSettings,
    StoreContext,
    _engines,
    build_model,
    open_store,
    prepare_store,
)
from openai.types.responses import ResponseTextDeltaEvent
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.asyncio import Redis
from sse_starlette import EventSourceResponse
from store import NotFoundError

MAX_BODY_BYTES = 64 * 1024
"""Larger request bodies are refused with 413 before they are read."""
CONVERSATION_ID = r"^[A-Za-z0-9_-]{1,64}$"
"""What a conversation id may look like (the client chooses it)."""


class ApiSettings(BaseSettings):
    """Where the service finds its store and Redis, and its limits; read from HELPDESK_*
    environment variables (e.g. HELPDESK_REDIS_URL)."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_")

    database_url: str = DATABASE_URL
    redis_url: str = "redis://127.0.0.1:6379/0"
    rate_limit: int = Field(RATE_LIMIT, gt=0)
    rate_window: int = Field(RATE_WINDOW, gt=0)


# --- Request and response bodies (they become the OpenAPI schema's components) ---------------


class ChatRequest(BaseModel):
    """A customer's message."""

    customer_id: int = Field(gt=0, description="The signed-in customer.")
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="What the customer wrote.")


class ChatResponse(BaseModel):
    """The Helpdesk's answer to one message (run_turn's reply)."""

    conversation_id: str
    answer: str
    agent: str | None = Field(description="The agent that answered; null when a guardrail refused.")
    guardrail: str | None = Field(None, description="The guardrail that refused the message, if one did.")


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class History(BaseModel):
    conversation_id: str
    messages: list[Message]


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    quantity: int
    unit_price_cents: int


class OrderOut(BaseModel):
    """An order as the API shows it; OrderOut.model_validate(order) reads a store Order."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    amount_cents: int
    items: list[OrderItemOut]


def plain_messages(items: list[Any]) -> list[Message]:
    """The customer's and the assistant's text messages among session items (tool calls left out)."""
    messages = []
    for item in items:
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
            continue
        content = item.get("content")
        if isinstance(content, list):
            content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        messages.append(Message(role=item["role"], content=str(content)))
    return messages


# --- Dependencies: what routes receive through Depends (tests override get_model) ------------


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def get_redis(request: Request) -> Redis:
    return request.app.state.redis


def get_model(request: Request) -> Model:
    """The LLM (from DACA_LLM_* variables). Tests replace it: app.dependency_overrides[get_model]."""
    return request.app.state.model


def get_helpdesk(
    settings: Annotated[ApiSettings, Depends(get_settings)],
    redis: Annotated[Redis, Depends(get_redis)],
    model: Annotated[Model, Depends(get_model)],
) -> Helpdesk:
    """The Helpdesk of lab 8 for one request: the settings' database and limits, the app's Redis
    client and the injected model."""
    return Helpdesk(
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        redis=redis,
        model=model,
        rate_limit=settings.rate_limit,
        rate_window=settings.rate_window,
    )


async def get_store(
    settings: Annotated[ApiSettings, Depends(get_settings)],
    customer_id: Annotated[int, Query(gt=0, description="The signed-in customer.")],
) -> AsyncIterator[StoreContext]:
    """Lab 7's StoreContext for the customer, on a database session closed after the response."""
    context = await open_store(customer_id, settings.database_url)
    try:
        yield context
    finally:
        await context.repository.session.close()


ConversationId = Annotated[str, Path(pattern=CONVERSATION_ID, description="Chosen by the client.")]
IdempotencyKey = Annotated[
    str | None, Header(max_length=100, description="Repeat it to retry safely: the turn runs once.")
]


# --- Error handlers: exceptions of labs 7 and 8 as HTTP answers -----------------------------


async def rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
    """429 Too Many Requests, with a Retry-After header (seconds) and {"detail": str(exc)}."""
    return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)})


async def in_progress(request: Request, exc: RequestInProgress) -> JSONResponse:
    """409 Conflict: the same idempotency key is still being answered; {"detail": str(exc)}."""
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
    """404 Not Found, {"detail": str(exc)} (the store's message is safe to show)."""
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def refuse_oversized(request: Request, call_next: Any) -> Any:
    """HTTP middleware: 413 {"detail": ...} for a Content-Length over MAX_BODY_BYTES, before the
    body is read; every other request goes on (await call_next(request))."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        return JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
    return await call_next(request)


# --- Routes ---------------------------------------------------------------------------------

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/conversations/{conversation_id}/messages")
async def post_message(
    conversation_id: ConversationId,
    body: ChatRequest,
    helpdesk: Annotated[Helpdesk, Depends(get_helpdesk)],
    idempotency_key: IdempotencyKey = None,
) -> ChatResponse:
    """One customer message: lab 8's chat() (rate limit, idempotency key, the turn)."""
    reply = await chat(helpdesk, body.customer_id, conversation_id, body.message, idempotency_key)
    return ChatResponse(**reply)


@router.get("/conversations/{conversation_id}/messages")
async def get_messages(
    conversation_id: ConversationId, helpdesk: Annotated[Helpdesk, Depends(get_helpdesk)]
) -> History:
    """The conversation so far (its session's text messages); 404 when it has none."""
    items = await conversation(helpdesk, conversation_id).get_items()
    if not items:
        raise NotFoundError(f"no conversation {conversation_id!r}")
    return History(conversation_id=conversation_id, messages=plain_messages(items))


async def stream_turn(
    helpdesk: Helpdesk, customer_id: int, conversation_id: str, message: str
) -> AsyncIterator[str | ChatResponse]:
    """run_turn() of lab 8, streamed: yields the answer's text as it is produced, then the
    finished ChatResponse (a refusal, if a guardrail tripped)."""
    context = await open_cached_store(helpdesk.redis, customer_id, helpdesk.database_url, conversation_id)
    session = conversation(helpdesk, conversation_id)
    db = context.repository.session
    try:
        run = Runner.run_streamed(
            build_cached_helpdesk(helpdesk.model), message, context=context, session=session
        )
        async for event in run.stream_events():
            if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
                yield event.data.delta
        await db.commit()
        yield ChatResponse(
            conversation_id=conversation_id, answer=str(run.final_output), agent=run.last_agent.name
        )
    except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as tripped:
        await db.rollback()
        await forget_turn(session, message)
        refusal = INPUT_REFUSAL if isinstance(tripped, InputGuardrailTripwireTriggered) else OUTPUT_REFUSAL
        name = tripped.guardrail_result.guardrail.get_name()
        yield ChatResponse(conversation_id=conversation_id, answer=refusal, agent=None, guardrail=name)
    finally:
        await db.close()
        if context.changed:
            await invalidate(helpdesk.redis, *(order_key(customer_id, order) for order in context.changed))


@router.post("/conversations/{conversation_id}/messages/stream")
async def stream_message(
    conversation_id: ConversationId,
    body: ChatRequest,
    helpdesk: Annotated[Helpdesk, Depends(get_helpdesk)],
) -> EventSourceResponse:
    """The same turn as server-sent events: a `delta` event per piece of text, then one `done`
    event whose data is the ChatResponse as JSON. Rate limited like post_message (429 before the
    stream starts)."""
    decision = await check_rate(helpdesk.redis, body.customer_id, helpdesk.rate_limit, helpdesk.rate_window)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)

    async def events() -> AsyncIterator[dict[str, str]]:
        async for piece in stream_turn(helpdesk, body.customer_id, conversation_id, body.message):
            if isinstance(piece, ChatResponse):
                yield {"event": "done", "data": piece.model_dump_json()}
            else:
                yield {"event": "delta", "data": piece}

    return EventSourceResponse(events())


@router.get("/orders/{order_id}")
async def get_order(order_id: int, store: Annotated[StoreContext, Depends(get_store)]) -> OrderOut:
    """One of the customer's orders (?customer_id=...); 404 when the customer has no such order."""
    async with store.store() as repository:
        order = await repository.get_order(store.customer_id, order_id)
    return OrderOut.model_validate(order)


# --- The app --------------------------------------------------------------------------------


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The Helpdesk API. Its lifespan prepares the store (migrations, demo data), connects to Redis
    and builds the model; the routes reach them through the dependencies above."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await prepare_store(settings.database_url)
        app.state.settings = settings
        app.state.redis = connect(settings.redis_url)
        app.state.model = build_model(LLMSettings())
        try:
            yield
        finally:
            await app.state.redis.aclose()
            # lab 7 keeps one engine per URL, bound to this event loop: the next app makes its own
            engine = _engines.pop(settings.database_url, None)
            if engine is not None:
                await engine.dispose()

    app = FastAPI(title="Helpdesk API", version="0.9.0", lifespan=lifespan)
    app.middleware("http")(refuse_oversized)
    app.add_exception_handler(RateLimited, rate_limited)
    app.add_exception_handler(RequestInProgress, in_progress)
    app.add_exception_handler(NotFoundError, not_found)
    app.include_router(router)
    return app


app = create_app()
"""For `uvicorn api:app`: settings from the environment."""
