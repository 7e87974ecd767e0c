"""Guardrails of the Helpdesk, as tripwires that stop the run.

Input guardrails check the customer's newest message before any model call (they block,
so a rejected message costs no tokens and triggers no tool). The output guardrail checks
the final answer for card numbers and for e-mail addresses other than the customer's own.
A tripped guardrail raises the SDK's ``InputGuardrailTripwireTriggered`` or
``OutputGuardrailTripwireTriggered``; ``output_info`` says why.
"""

from __future__ import annotations

import re
from typing import Any

from agents import (
    Agent,
    GuardrailFunctionOutput,
    RunContextWrapper,
    TResponseInputItem,
    input_guardrail,
    output_guardrail,
)

from .context import HelpdeskContext

_INJECTION = re.compile(
    r"(ignore|disregard|forget)\b.{0,40}\b(instructions|rules|prompt)"
    r"|(reveal|show|print|repeat)\b.{0,40}\b(system|developer) (prompt|message|instructions)"
    r"|\byou are now\b|\bdeveloper mode\b|\bjailbreak",
    re.IGNORECASE | re.DOTALL,
)
_CARD_CANDIDATE = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


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


def _verdict(tripped: bool, **info: Any) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info=info, tripwire_triggered=tripped)


@input_guardrail(name="message_length", run_in_parallel=False)
def message_length(
    ctx: RunContextWrapper[HelpdeskContext], _agent: Agent[Any], input: str | list[TResponseInputItem]
) -> GuardrailFunctionOutput:
    """Trip when the message is longer than ``settings.max_message_chars``."""
    length, limit = len(latest_user_text(input)), ctx.context.settings.max_message_chars
    return _verdict(length > limit, length=length, limit=limit)


@input_guardrail(name="prompt_injection", run_in_parallel=False)
def prompt_injection(
    _ctx: RunContextWrapper[HelpdeskContext], _agent: Agent[Any], input: str | list[TResponseInputItem]
) -> GuardrailFunctionOutput:
    """Trip on common attempts to override or extract the agents' instructions."""
    found = _INJECTION.search(latest_user_text(input))
    return _verdict(found is not None, matched=found.group(0) if found else None)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """Payment card numbers (13–19 digits, spaces or dashes allowed, Luhn-valid) in ``text``."""
    candidates = (re.sub(r"\D", "", match) for match in _CARD_CANDIDATE.findall(text))
    return [digits for digits in candidates if _luhn_valid(digits)]


@output_guardrail(name="no_foreign_pii")
async def no_foreign_pii(
    ctx: RunContextWrapper[HelpdeskContext], _agent: Agent[Any], output: Any
) -> GuardrailFunctionOutput:
    """Trip when the answer shows a card number or an e-mail address not the customer's."""
    text = str(output)
    async with ctx.context.store() as store:
        customer = await store.get_customer(ctx.context.customer_id)
    emails = [e for e in _EMAIL.findall(text) if e.lower() != customer.email.lower()]
    cards = card_numbers(text)
    return _verdict(bool(emails or cards), emails=emails, card_numbers=len(cards))
