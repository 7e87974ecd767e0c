"""The conversation actor: turn-based, keeps the conversation in actor state, publishes events.

Dapr runs one call per actor at a time, so two messages to the same conversation never race for
its history; an idle actor is deactivated and its state survives in the state store.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

from agents import InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered
from dapr.actor import Actor, ActorInterface, actormethod

from capstone.agents import HelpdeskContext, answer
from capstone.refunds.client import start_refund
from capstone.runtime import PUBSUB, services
from capstone.store import HelpdeskRepository

BLOCKED = "Sorry, I can't help with that message. Please rephrase your question about your order."


class ConversationInterface(ActorInterface):
    @actormethod(name="turn")
    async def turn(self, request: dict) -> dict: ...

    @actormethod(name="history")
    async def history(self) -> dict: ...


class ConversationActor(Actor, ConversationInterface):
    """A customer's conversation with the Helpdesk."""

    async def _load(self) -> dict[str, Any]:
        found, state = await self._state_manager.try_get_state("conversation")
        return state if found else {"customer_id": None, "history": [], "turns": []}

    async def turn(self, request: dict) -> dict:
        state = await self._load()
        customer_id = int(request["customer_id"])
        if state["customer_id"] not in (None, customer_id):
            return {"error": "this conversation belongs to another customer"}
        svc = services()
        async with svc.sessions() as session:
            context = HelpdeskContext(customer_id, self.id.id, HelpdeskRepository(session), svc.settings)
            try:
                result = await answer(request["message"], context, svc.model, state["history"])
            except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as tripped:
                await session.rollback()
                return {
                    "answer": BLOCKED,
                    "agent": "guardrail",
                    "blocked": True,
                    "reason": str(tripped.guardrail_result.output.output_info),
                }
            await session.commit()
        turn = {"message": request["message"], "answer": result.text, "agent": result.agent}
        state.update(customer_id=customer_id, history=result.history, turns=[*state["turns"], turn])
        await self._state_manager.set_state("conversation", state)
        await self._state_manager.save_state()
        events = [asdict(e) for e in result.events]
        await _publish(self.id.id, turn, events)
        for event in events:
            if event["type"] == "refund_requested":
                await asyncio.to_thread(start_refund, event["data"])
        return {
            **turn,
            "blocked": False,
            "events": events,
            "tool_calls": [asdict(c) for c in result.tool_calls],
        }

    async def history(self) -> dict:
        state = await self._load()
        return {"customer_id": state["customer_id"], "turns": state["turns"]}


async def _publish(conversation_id: str, turn: dict, events: list[dict]) -> None:
    """Conversation turns and ticket events on pub/sub, as CloudEvents (Dapr wraps them)."""
    client = services().dapr
    await client.publish_event(
        PUBSUB,
        "conversation_turn",
        json.dumps({"conversation_id": conversation_id, **turn}),
        data_content_type="application/json",
    )
    for event in events:
        await client.publish_event(
            PUBSUB, event["type"], json.dumps(event["data"]), data_content_type="application/json"
        )
