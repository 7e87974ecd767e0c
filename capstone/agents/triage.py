"""The triage agent: the Helpdesk's front door, handing customers to a specialist."""

from __future__ import annotations

from agents import Agent, Model
from agents.extensions.handoff_prompt import RECOMMENDED_PROMPT_PREFIX

from .context import HelpdeskContext
from .guardrails import message_length, no_foreign_pii, prompt_injection
from .specialists import build_specialists

TRIAGE_INSTRUCTIONS = (
    f"{RECOMMENDED_PROMPT_PREFIX}\n"
    "You are the front desk of an online store's helpdesk. Work out what the customer needs "
    "and hand them to the right specialist at once: the orders agent for order status and "
    "delivery, the billing agent for payments and refunds, the tech support agent for "
    "products that do not work. Greet and answer small talk yourself, briefly; politely "
    "decline questions that have nothing to do with the store."
)


def build_helpdesk(model: Model) -> Agent[HelpdeskContext]:
    """The triage agent, with handoffs to the specialists; every agent runs on ``model``.

    Input guardrails sit on triage (the SDK runs them for the first agent of a run); the
    output guardrail sits on every agent, since any of them may give the final answer.
    """
    return Agent[HelpdeskContext](
        name="Triage agent",
        instructions=TRIAGE_INSTRUCTIONS,
        handoffs=[*build_specialists(model)],
        input_guardrails=[message_length, prompt_injection],
        output_guardrails=[no_foreign_pii],
        model=model,
    )
