"""The specialist agents the triage agent hands customers to."""

from __future__ import annotations

from collections.abc import Callable

from agents import Agent, Model, RunContextWrapper
from agents.extensions.handoff_prompt import RECOMMENDED_PROMPT_PREFIX

from .context import HelpdeskContext
from .guardrails import no_foreign_pii
from .tools import (
    get_order_status,
    list_orders,
    open_ticket,
    request_refund,
    troubleshooting_steps,
)

ORDERS_INSTRUCTIONS = (
    "You are the orders specialist of an online store's helpdesk. Answer questions about "
    "the customer's orders: where they are, what is in them, when they ship. Look orders up "
    "with your tools instead of guessing; if the customer gives no order number, list their "
    "orders. Open an orders ticket for problems you cannot solve, such as a lost parcel."
)
BILLING_INSTRUCTIONS = (
    "You are the billing specialist of an online store's helpdesk. You handle payments and "
    "refunds. To refund, check the order first, then record the request with request_refund "
    "and give the customer the refund request number. You never approve refunds yourself: "
    "they are reviewed after you record them. Open a billing ticket for other payment problems."
)
TECH_INSTRUCTIONS = (
    "You are the technical support specialist of an online store's helpdesk. Help customers "
    "get products they bought working: find the product in their orders if needed, walk them "
    "through troubleshooting_steps one at a time, and open a tech ticket when the steps do "
    "not help."
)


_Instructions = Callable[[RunContextWrapper[HelpdeskContext], Agent[HelpdeskContext]], str]


def _instructions(role: str) -> _Instructions:
    def instructions(ctx: RunContextWrapper[HelpdeskContext], _agent: Agent[HelpdeskContext]) -> str:
        return (
            f"{RECOMMENDED_PROMPT_PREFIX}\n{role}\n"
            f"You are helping customer {ctx.context.customer_id}. Be brief and polite."
        )

    return instructions


def build_specialists(model: Model) -> list[Agent[HelpdeskContext]]:
    """The orders, billing and tech-support agents, on ``model``."""
    return [
        Agent[HelpdeskContext](
            name="Orders agent",
            handoff_description="Order status, delivery and order contents.",
            instructions=_instructions(ORDERS_INSTRUCTIONS),
            tools=[list_orders, get_order_status, open_ticket],
            output_guardrails=[no_foreign_pii],
            model=model,
        ),
        Agent[HelpdeskContext](
            name="Billing agent",
            handoff_description="Payments, charges and refund requests.",
            instructions=_instructions(BILLING_INSTRUCTIONS),
            tools=[list_orders, get_order_status, request_refund, open_ticket],
            output_guardrails=[no_foreign_pii],
            model=model,
        ),
        Agent[HelpdeskContext](
            name="Tech support agent",
            handoff_description="Products that do not work as expected.",
            instructions=_instructions(TECH_INSTRUCTIONS),
            tools=[list_orders, troubleshooting_steps, open_ticket],
            output_guardrails=[no_foreign_pii],
            model=model,
        ),
    ]
