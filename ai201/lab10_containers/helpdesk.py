"""AI-201 lab 7 — Postgres with SQLAlchemy 2: the Helpdesk's tools read and write the store's
database (package `store`: models, Alembic migrations, repository), SQLite by default, Postgres in
production. Lab 5's guardrails still guard every turn; lab 6's memory is in memory.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from agents import (
    Agent,
    FunctionTool,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    Model,
    ModelBehaviorError,
    OpenAIChatCompletionsModel,
    OutputGuardrailTripwireTriggered,
    RunContextWrapper,
    Runner,
    TResponseInputItem,
    function_tool,
    input_guardrail,
    output_guardrail,
)
from openai import AsyncOpenAI
from openai.types.responses import ResponseTextDeltaEvent
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine
from store import (
    Customer,
    HelpdeskRepository,
    Order,
    StoreError,
    TicketCategory,
    create_engine,
    seed_demo_data,
    session_factory,
    upgrade_to_head,
)

INSTRUCTIONS = (
    "You are the Helpdesk assistant of an online store. "
    "Answer customers briefly, politely and only about the store."
)
DATABASE_URL = "sqlite+aiosqlite:///helpdesk.db"
"""The embedded default: a SQLite file in the working folder (Postgres: postgresql+asyncpg://...)."""
TRIAGE_INSTRUCTIONS = (
    "You triage the messages customers send to the Helpdesk of an online store. "
    "Classify each message by the team that should handle it and by how urgent it is, "
    "and summarise it in one sentence."
)
ORDERS_INSTRUCTIONS = (
    "You are the orders agent of an online store's helpdesk. "
    "Answer questions about order status and delivery; look orders up, never guess. "
    "Open an orders ticket for problems you cannot solve, such as a lost parcel."
)
BILLING_INSTRUCTIONS = (
    "You are the billing agent of an online store's helpdesk. "
    "Answer questions about payments and refunds. To refund, check the order first, then record "
    "the request with request_refund; refunds are reviewed after you record them."
)
ROUTER_INSTRUCTIONS = (
    "You are the front desk of an online store's helpdesk. Hand the customer to the orders agent "
    "for order status and delivery, to the billing agent for payments and refunds."
)
MANAGER_INSTRUCTIONS = (
    "You are the Helpdesk manager. Ask the orders agent and the billing agent what you need "
    "through your tools, then answer the customer yourself."
)
MAX_MESSAGE_CHARS = 500
"""The longest customer message the Helpdesk accepts."""
INJECTION = re.compile(
    r"(ignore|disregard|forget)\b.{0,40}\b(instructions|rules|prompt)"
    r"|(reveal|show|print|repeat)\b.{0,40}\b(system|developer) (prompt|message|instructions)"
    r"|\byou are now\b|\bdeveloper mode\b|\bjailbreak",
    re.IGNORECASE | re.DOTALL,
)
"""Common attempts to override or extract the agents' instructions."""
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CARD_CANDIDATE = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
INPUT_REFUSAL = "Sorry, I can't help with that message."
OUTPUT_REFUSAL = "Sorry, I can't share that answer. A colleague will follow up."
GENERIC_TOOL_ERROR = "Error: the tool failed unexpectedly. Please try again later."
"""What the model is told about a failure that is not safe to describe (a bug, a broken database)."""


class LLMSettings(BaseSettings):
    """Where the model lives; read from DACA_LLM_* environment variables (vLLM's defaults)."""

    model_config = SettingsConfigDict(env_prefix="DACA_LLM_")

    base_url: str = "http://localhost:8000/v1"
    api_key: str = "not-needed"
    model: str = "HuggingFaceTB/SmolLM2-135M-Instruct"


@dataclass
class StoreContext:
    """The run context: who the customer is and the store the tools work on. Tools receive it; the
    model never sees it. open_store() makes one for a signed-in customer."""

    customer_name: str = "Guest"
    email: str = ""
    """The customer's own e-mail address: the only one an answer may show."""
    tier: str = "standard"
    """"standard" or "gold"."""
    customer_id: int = 0
    """The signed-in customer; tools only ever read or change this customer's data."""
    conversation_id: str = ""
    """Stored with the tickets and refunds this conversation opens."""
    repository: HelpdeskRepository | None = None
    """The store, on this turn's database session; reach it through store()."""
    _store_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    @asynccontextmanager
    async def store(self) -> AsyncIterator[HelpdeskRepository]:
        """The repository, for one tool at a time: the SDK may run several tool calls at once, but
        an AsyncSession allows one operation at a time."""
        if self.repository is None:
            raise StoreError("this conversation has no store; make the context with open_store()")
        async with self._store_lock:
            yield self.repository


_engines: dict[str, AsyncEngine] = {}


def _engine(url: str) -> AsyncEngine:
    """One engine (one connection pool) per database URL, for the whole process."""
    if url not in _engines:
        _engines[url] = create_engine(url)
    return _engines[url]


async def open_store(customer_id: int, url: str = DATABASE_URL, conversation_id: str = "") -> StoreContext:
    """A StoreContext for customer `customer_id` on a new database session of `url` (one engine
    per URL), with the customer's name and e-mail read from the store. NotFoundError if unknown."""
    repository = HelpdeskRepository(session_factory(_engine(url))())
    customer: Customer = await repository.get_customer(customer_id)
    return StoreContext(
        customer_name=customer.name,
        email=customer.email,
        customer_id=customer.id,
        conversation_id=conversation_id,
        repository=repository,
    )


async def prepare_store(url: str = DATABASE_URL) -> int:
    """Migrate the database at `url` to the newest schema and add the demo customers if it has none
    (Ada is customer 1 with orders 1 and 2, Grace 2 with order 3, Alan 3 with cancelled order 4).
    Returns how many customers were added."""
    await upgrade_to_head(url)
    async with session_factory(_engine(url)).begin() as session:
        return len(await seed_demo_data(session))


def build_model(settings: LLMSettings) -> Model:
    """An Agents SDK model that calls `settings.model` at `settings.base_url`."""
    client = AsyncOpenAI(base_url=settings.base_url, api_key=settings.api_key)
    return OpenAIChatCompletionsModel(model=settings.model, openai_client=client)


def tool_error(ctx: RunContextWrapper[Any], error: Exception) -> str:
    """The tools' failure_error_function: the text the model receives when a tool call fails.

    A StoreError or a ModelBehaviorError (arguments that do not fit the tool's schema) is safe and
    useful to show: "Error: <the error>". Anything else becomes GENERIC_TOOL_ERROR.
    """
    if isinstance(error, StoreError | ModelBehaviorError):
        return f"Error: {error}"
    return GENERIC_TOOL_ERROR


def money(cents: int) -> str:
    """Cents as dollars, e.g. 2500 -> "$25.00"."""
    return f"${cents / 100:.2f}"


def describe(order: Order) -> str:
    """How tools show an order (its items loaded), e.g.
    "Order 2: delivered, $25.00 (2 x USB-C cable)"."""
    items = ", ".join(f"{item.quantity} x {item.name}" for item in order.items)
    return f"Order {order.id}: {order.status.value}, {money(order.amount_cents)} ({items})"


@function_tool(failure_error_function=tool_error)
async def list_orders(ctx: RunContextWrapper[StoreContext]) -> str:
    """List the customer's orders with their status, amount and items."""
    async with ctx.context.store() as store:
        orders = await store.list_orders(ctx.context.customer_id)
    return "\n".join(map(describe, orders)) or "The customer has no orders."


@function_tool(failure_error_function=tool_error)
async def get_order_status(ctx: RunContextWrapper[StoreContext], order_id: int) -> str:
    """Look up the status, amount and items of one of the customer's orders.

    Args:
        order_id: The order number the customer gave.
    """
    async with ctx.context.store() as store:
        return describe(await store.get_order(ctx.context.customer_id, order_id))


@function_tool(failure_error_function=tool_error)
async def open_ticket(
    ctx: RunContextWrapper[StoreContext],
    category: TicketCategory,
    subject: str,
    description: str,
    order_id: int | None = None,
) -> str:
    """Open a support ticket so that a member of staff follows the problem up.

    Args:
        category: The team that should handle it.
        subject: A one-line summary.
        description: What happened and what the customer already tried.
        order_id: The order it concerns, if any.
    """
    helpdesk = ctx.context
    async with helpdesk.store() as store:
        ticket = await store.open_ticket(
            helpdesk.customer_id,
            category,
            subject,
            description,
            order_id=order_id,
            conversation_id=helpdesk.conversation_id,
        )
    return f"Ticket {ticket.id} opened for the {ticket.category.value} team."


@function_tool(failure_error_function=tool_error)
async def request_refund(
    ctx: RunContextWrapper[StoreContext],
    order_id: int,
    reason: str,
    amount: float | None = None,
) -> str:
    """Record a refund request for one of the customer's orders; it starts as pending.

    Args:
        order_id: The order to refund.
        reason: Why the customer wants the money back, in their words.
        amount: Dollars to refund; leave it out to refund everything not yet refunded.
    """
    helpdesk = ctx.context
    async with helpdesk.store() as store:
        refund = await store.request_refund(
            helpdesk.customer_id,
            order_id,
            reason,
            amount_cents=None if amount is None else round(amount * 100),
            conversation_id=helpdesk.conversation_id,
        )
    return (
        f"Refund request {refund.id} recorded: {money(refund.amount_cents)} "
        f"for order {order_id}, status pending."
    )


def store_tools() -> list[FunctionTool]:
    """The Helpdesk's function tools: list_orders, get_order_status, open_ticket, request_refund."""
    return [list_orders, get_order_status, open_ticket, request_refund]


def build_agent(model: Model | None = None) -> Agent[StoreContext]:
    """The agent "Helpdesk" with INSTRUCTIONS and store_tools(), on `model`
    (default: build_model(LLMSettings()))."""
    return Agent[StoreContext](
        name="Helpdesk",
        instructions=INSTRUCTIONS,
        model=model or build_model(LLMSettings()),
        tools=store_tools(),
    )


def ask(question: str, context: StoreContext | None = None, model: Model | None = None) -> str:
    """Ask the Helpdesk agent synchronously, with `context` (default: an empty StoreContext) as the
    run context, and return its final answer."""
    context = context if context is not None else StoreContext()
    return Runner.run_sync(build_agent(model), question, context=context).final_output


async def ask_async(question: str, context: StoreContext | None = None, model: Model | None = None) -> str:
    """The same as ask(), for async code."""
    result = await Runner.run(build_agent(model), question, context=context or StoreContext())
    return result.final_output


async def stream_answer(
    question: str, context: StoreContext | None = None, model: Model | None = None
) -> AsyncIterator[str]:
    """Yield the answer's text piece by piece as the model produces it."""
    result = Runner.run_streamed(build_agent(model), question, context=context or StoreContext())
    async for event in result.stream_events():
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
            yield event.data.delta


class TicketTriage(BaseModel):
    """The triage agent's answer (its output_type): which team, how urgent, and what it is about."""

    category: Literal["orders", "billing", "tech"] = Field(description="The team that should handle it.")
    urgency: Literal["low", "normal", "high"] = Field(description="How soon someone must answer.")
    summary: str = Field(description="The customer's request in one sentence.")


def triage_instructions(ctx: RunContextWrapper[StoreContext], agent: Agent[StoreContext]) -> str:
    """Dynamic instructions: TRIAGE_INSTRUCTIONS, then a sentence naming the customer and their tier,
    e.g. "The customer is Ada, a gold customer." For a "gold" customer, add that their messages
    are never of "low" urgency."""
    customer = ctx.context
    text = f"{TRIAGE_INSTRUCTIONS} The customer is {customer.customer_name}, a {customer.tier} customer."
    if customer.tier == "gold":
        text += ' Messages from gold customers are never of "low" urgency.'
    return text


def build_triage_agent(model: Model | None = None) -> Agent[StoreContext]:
    """The agent "Triage": instructions from triage_instructions, answers as a TicketTriage, on
    `model` (default: build_model(LLMSettings()))."""
    return Agent[StoreContext](
        name="Triage",
        instructions=triage_instructions,
        output_type=TicketTriage,
        model=model or build_model(LLMSettings()),
    )


def triage(message: str, context: StoreContext | None = None, model: Model | None = None) -> TicketTriage:
    """Triage a customer's message, with `context` (default: an empty StoreContext) as the run
    context; return the agent's TicketTriage."""
    context = context if context is not None else StoreContext()
    return Runner.run_sync(build_triage_agent(model), message, context=context).final_output


def build_orders_agent(model: Model | None = None) -> Agent[StoreContext]:
    """The agent "Orders agent": ORDERS_INSTRUCTIONS, a handoff_description, the tools
    list_orders, get_order_status and open_ticket."""
    return Agent[StoreContext](
        name="Orders agent",
        handoff_description="Order status and delivery questions.",
        instructions=ORDERS_INSTRUCTIONS,
        tools=[list_orders, get_order_status, open_ticket],
        model=model or build_model(LLMSettings()),
    )


def build_billing_agent(model: Model | None = None) -> Agent[StoreContext]:
    """The agent "Billing agent": BILLING_INSTRUCTIONS, a handoff_description, the tools
    list_orders, get_order_status, request_refund and open_ticket."""
    return Agent[StoreContext](
        name="Billing agent",
        handoff_description="Payments and refunds.",
        instructions=BILLING_INSTRUCTIONS,
        tools=[list_orders, get_order_status, request_refund, open_ticket],
        model=model or build_model(LLMSettings()),
    )


def build_router(model: Model | None = None) -> Agent[StoreContext]:
    """The agent "Triage agent": ROUTER_INSTRUCTIONS, no tools, handoffs to the orders agent and
    the billing agent (in that order), all on the same model."""
    model = model or build_model(LLMSettings())
    return Agent[StoreContext](
        name="Triage agent",
        instructions=ROUTER_INSTRUCTIONS,
        handoffs=[build_orders_agent(model), build_billing_agent(model)],
        model=model,
    )


def route(message: str, context: StoreContext | None = None, model: Model | None = None) -> dict[str, str]:
    """Run the triage agent on `message` with `context` (default: an empty StoreContext); return
    {"agent": the name of the agent that gave the final answer, "answer": the final answer}."""
    context = context if context is not None else StoreContext()
    result = Runner.run_sync(build_router(model), message, context=context)
    return {"agent": result.last_agent.name, "answer": result.final_output}


def build_manager(model: Model | None = None) -> Agent[StoreContext]:
    """The agent "Helpdesk manager": MANAGER_INSTRUCTIONS and two tools made from the specialists
    with Agent.as_tool: "ask_orders_agent" and "ask_billing_agent". No handoffs."""
    model = model or build_model(LLMSettings())
    return Agent[StoreContext](
        name="Helpdesk manager",
        instructions=MANAGER_INSTRUCTIONS,
        tools=[
            build_orders_agent(model).as_tool(
                tool_name="ask_orders_agent", tool_description="Ask the orders agent about an order."
            ),
            build_billing_agent(model).as_tool(
                tool_name="ask_billing_agent", tool_description="Ask the billing agent about payments."
            ),
        ],
        model=model,
    )


def manage(message: str, context: StoreContext | None = None, model: Model | None = None) -> dict[str, str]:
    """Run the manager agent like route(): {"agent": last agent's name, "answer": final answer}."""
    context = context if context is not None else StoreContext()
    result = Runner.run_sync(build_manager(model), message, context=context)
    return {"agent": result.last_agent.name, "answer": result.final_output}


def latest_user_text(input: str | list[TResponseInputItem]) -> str:
    """The newest customer message in a run input (a string, or history plus message)."""
    if isinstance(input, str):
        return input
    for item in reversed(input):
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            parts = content if isinstance(content, list) else []
            return " ".join(str(part.get("text", "")) for part in parts if isinstance(part, dict))
    return ""


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        doubled = int(char) * (2 if index % 2 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """Payment card numbers (13-19 digits, spaces or dashes allowed, Luhn-valid) in `text`."""
    candidates = (re.sub(r"\D", "", match) for match in CARD_CANDIDATE.findall(text))
    return [digits for digits in candidates if _luhn_valid(digits)]


@input_guardrail(name="message_length", run_in_parallel=False)
def message_length(
    ctx: RunContextWrapper[StoreContext], agent: Agent[Any], input: str | list[TResponseInputItem]
) -> GuardrailFunctionOutput:
    """Trip when the newest message is longer than MAX_MESSAGE_CHARS; output_info
    {"length": ..., "limit": MAX_MESSAGE_CHARS}."""
    length = len(latest_user_text(input))
    return GuardrailFunctionOutput(
        output_info={"length": length, "limit": MAX_MESSAGE_CHARS},
        tripwire_triggered=length > MAX_MESSAGE_CHARS,
    )


@input_guardrail(name="prompt_injection", run_in_parallel=False)
def prompt_injection(
    ctx: RunContextWrapper[StoreContext], agent: Agent[Any], input: str | list[TResponseInputItem]
) -> GuardrailFunctionOutput:
    """Trip when the newest message matches INJECTION; output_info {"matched": the matched text or None}."""
    found = INJECTION.search(latest_user_text(input))
    return GuardrailFunctionOutput(
        output_info={"matched": found.group(0) if found else None},
        tripwire_triggered=found is not None,
    )


@output_guardrail(name="no_foreign_pii")
def no_foreign_pii(
    ctx: RunContextWrapper[StoreContext], agent: Agent[Any], output: Any
) -> GuardrailFunctionOutput:
    """Trip when the answer shows a card number, or an e-mail address other than the customer's own
    (ctx.context.email, compared case-insensitively); output_info {"emails": [...], "card_numbers": n}."""
    text = str(output)
    own = ctx.context.email.lower()
    emails = [email for email in EMAIL.findall(text) if email.lower() != own]
    cards = card_numbers(text)
    return GuardrailFunctionOutput(
        output_info={"emails": emails, "card_numbers": len(cards)},
        tripwire_triggered=bool(emails or cards),
    )


def build_guarded_helpdesk(model: Model | None = None) -> Agent[StoreContext]:
    """The triage agent of build_router() with input_guardrails [message_length, prompt_injection]
    and output_guardrails [no_foreign_pii]; each specialist it hands off to also gets
    output_guardrails [no_foreign_pii], since whichever agent answers last is checked."""
    router = build_router(model)
    return router.clone(
        input_guardrails=[message_length, prompt_injection],
        output_guardrails=[no_foreign_pii],
        handoffs=[agent.clone(output_guardrails=[no_foreign_pii]) for agent in router.handoffs],
    )


def run_guarded(
    message: str, context: StoreContext | None = None, model: Model | None = None
) -> dict[str, str]:
    """Like route(), on the guarded helpdesk. A tripped guardrail's exception is not caught."""
    context = context if context is not None else StoreContext()
    result = Runner.run_sync(build_guarded_helpdesk(model), message, context=context)
    return {"agent": result.last_agent.name, "answer": result.final_output}


def safe_ask(message: str, context: StoreContext | None = None, model: Model | None = None) -> dict[str, Any]:
    """run_guarded(), but a tripwire becomes a refusal: {"answer": INPUT_REFUSAL or OUTPUT_REFUSAL,
    "guardrail": the tripped guardrail's name}. Without a tripwire: {"answer": ..., "guardrail": None}."""
    try:
        answer = run_guarded(message, context, model)["answer"]
    except InputGuardrailTripwireTriggered as tripped:
        return {"answer": INPUT_REFUSAL, "guardrail": tripped.guardrail_result.guardrail.get_name()}
    except OutputGuardrailTripwireTriggered as tripped:
        return {"answer": OUTPUT_REFUSAL, "guardrail": tripped.guardrail_result.guardrail.get_name()}
    return {"answer": answer, "guardrail": None}


async def answer(message: str, context: StoreContext, model: Model | None = None) -> dict[str, Any]:
    """One turn of the guarded helpdesk (build_guarded_helpdesk) for the customer of `context`
    (made by open_store). Returns {"answer": ..., "agent": the answering agent's name,
    "guardrail": None} after committing the store's session, so what the tools wrote is kept. On a
    tripwire, roll the session back (nothing the tools wrote is kept) and return
    {"answer": INPUT_REFUSAL or OUTPUT_REFUSAL, "agent": None, "guardrail": its name}."""
    session = context.repository.session
    try:
        result = await Runner.run(build_guarded_helpdesk(model), message, context=context)
    except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as tripped:
        await session.rollback()
        refusal = INPUT_REFUSAL if isinstance(tripped, InputGuardrailTripwireTriggered) else OUTPUT_REFUSAL
        return {"answer": refusal, "agent": None, "guardrail": tripped.guardrail_result.guardrail.get_name()}
    await session.commit()
    return {"answer": result.final_output, "agent": result.last_agent.name, "guardrail": None}
