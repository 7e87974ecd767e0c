"""One customer turn through the Helpdesk: ``answer`` and its streaming twin ``stream_answer``.

A turn starts at the triage agent with the conversation so far (``history``, the SDK's
input items as returned in ``TurnResult.history``) plus the new message. The caller owns
persistence: it stores ``history`` (e.g. in Dapr actor state), commits the store session
and publishes ``events`` after a successful turn. Guardrail tripwires propagate as the
SDK's ``InputGuardrailTripwireTriggered`` / ``OutputGuardrailTripwireTriggered``; roll the
session back then, and nothing the tools wrote is kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from agents import Model, Runner, RunResult, RunResultStreaming, ToolCallItem, ToolCallOutputItem
from agents.items import TResponseInputItem
from openai.types.responses import ResponseFunctionToolCall, ResponseTextDeltaEvent

from .context import HelpdeskContext, HelpdeskEvent
from .triage import build_helpdesk


@dataclass(frozen=True)
class ToolCall:
    """A function tool the agents called during a turn."""

    agent: str
    """Name of the agent that called it."""
    name: str
    """Tool name, e.g. ``request_refund``."""
    arguments: str
    """Arguments as the model sent them (a JSON string)."""
    output: str
    """What the tool returned to the model."""


@dataclass(frozen=True)
class TurnResult:
    """Everything a caller needs after one turn."""

    text: str
    """The answer shown to the customer."""
    agent: str
    """Name of the agent that answered, e.g. ``Billing agent``."""
    tool_calls: list[ToolCall]
    """Function tools called during the turn, in order (handoffs excluded)."""
    events: list[HelpdeskEvent]
    """Events for the caller to publish once the turn's session is committed."""
    history: list[TResponseInputItem]
    """The whole conversation as SDK input items, to pass as ``history`` next turn."""


def _input(message: str, history: Sequence[TResponseInputItem]) -> list[TResponseInputItem]:
    return [*history, {"role": "user", "content": message}]


def _tool_calls(result: RunResult | RunResultStreaming) -> list[ToolCall]:
    calls: list[tuple[str, ResponseFunctionToolCall]] = []
    outputs: dict[object, str] = {}
    for item in result.new_items:
        if isinstance(item, ToolCallItem) and isinstance(item.raw_item, ResponseFunctionToolCall):
            calls.append((item.agent.name, item.raw_item))
        elif isinstance(item, ToolCallOutputItem) and isinstance(item.raw_item, dict):
            outputs[dict(item.raw_item).get("call_id")] = str(item.output)
    return [
        ToolCall(agent, call.name, call.arguments, outputs.get(call.call_id, "")) for agent, call in calls
    ]


def _turn_result(result: RunResult | RunResultStreaming, events: list[HelpdeskEvent]) -> TurnResult:
    return TurnResult(
        text=str(result.final_output),
        agent=result.last_agent.name,
        tool_calls=_tool_calls(result),
        events=events,
        history=result.to_input_list(),
    )


async def answer(
    message: str,
    context: HelpdeskContext,
    model: Model,
    history: Sequence[TResponseInputItem] = (),
) -> TurnResult:
    """Run one turn: triage, handoff, tools, answer."""
    first_event = len(context.events)
    result = await Runner.run(
        build_helpdesk(model),
        _input(message, history),
        context=context,
        max_turns=context.settings.max_turns,
    )
    return _turn_result(result, context.events[first_event:])


class StreamedTurn:
    """A running turn: iterate ``text_deltas()`` to the end, then read ``result``."""

    def __init__(self, run: RunResultStreaming, context: HelpdeskContext, first_event: int) -> None:
        self._run = run
        self._context = context
        self._first_event = first_event

    async def text_deltas(self) -> AsyncIterator[str]:
        """The answer's text as the model produces it (raises guardrail tripwires)."""
        async for event in self._run.stream_events():
            if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
                yield event.data.delta

    @property
    def result(self) -> TurnResult:
        """The finished turn; only available once ``text_deltas()`` is exhausted."""
        if not self._run.is_complete:
            raise RuntimeError("the turn is still running; consume text_deltas() first")
        return _turn_result(self._run, self._context.events[self._first_event :])


def stream_answer(
    message: str,
    context: HelpdeskContext,
    model: Model,
    history: Sequence[TResponseInputItem] = (),
) -> StreamedTurn:
    """Start one turn whose answer streams, like ``Runner.run_streamed``."""
    run = Runner.run_streamed(
        build_helpdesk(model),
        _input(message, history),
        context=context,
        max_turns=context.settings.max_turns,
    )
    return StreamedTurn(run, context, len(context.events))
