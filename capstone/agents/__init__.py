"""The Helpdesk's agents: triage with handoffs to orders, billing and tech support.

Callers (the conversation actor, the gateway) need only this package's names::

    context = HelpdeskContext(customer_id=1, conversation_id="c-1", repository=repo)
    turn = await answer("Where is order 1?", context, build_model(settings.llm), history)

``demo_script.json`` plays the LLM for the demo conversation (an order question, then a
refund): ``python -m infra.llm serve --script capstone/agents/demo_script.json`` serves it
on the default ``DACA_LLM_*`` endpoint, and ``python -m capstone.store`` prepares the store.
"""

from .context import HelpdeskContext, HelpdeskEvent
from .guardrails import message_length, no_foreign_pii, prompt_injection
from .run import StreamedTurn, ToolCall, TurnResult, answer, stream_answer
from .triage import build_helpdesk

__all__ = [
    "HelpdeskContext",
    "HelpdeskEvent",
    "StreamedTurn",
    "ToolCall",
    "TurnResult",
    "answer",
    "build_helpdesk",
    "message_length",
    "no_foreign_pii",
    "prompt_injection",
    "stream_answer",
]
