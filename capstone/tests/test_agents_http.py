"""The demo conversation over real HTTP: ``infra.llm.serve`` + ``build_model`` + ``answer``.

``capstone/agents/demo_script.json`` plays the LLM, so handoffs and tool calls travel the
same OpenAI-compatible Chat Completions path a vLLM or OpenAI endpoint would use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from agents import Model, OpenAIChatCompletionsModel
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capstone.agents import HelpdeskContext, answer, stream_answer
from capstone.settings import HelpdeskSettings
from capstone.store import Customer, HelpdeskRepository, Refund, RefundStatus
from infra.llm import LLMSettings, build_model, load_script, serve

pytestmark = pytest.mark.anyio

DEMO_SCRIPT = Path(__file__).parents[1] / "agents" / "demo_script.json"

ORDER_QUESTION = "Hi! Where is my order 1?"
REFUND_REQUEST = "It arrived broken, I would like a refund please."
ORDER_ANSWER = "Here is what I found. Order 1: shipped, $89.00 (1 x Mechanical keyboard)."


@pytest.fixture
async def model() -> AsyncIterator[Model]:
    """A Chat Completions model talking to the scripted server playing the demo script."""
    script = load_script(DEMO_SCRIPT)
    with serve(script) as base_url:
        model = build_model(LLMSettings(base_url=base_url, model=script.model, api_key=SecretStr("test")))
        assert isinstance(model, OpenAIChatCompletionsModel)
        yield model
        # close the HTTP pool on this test's loop; left to the garbage collector, the client
        # would schedule its cleanup on whichever test's loop runs next
        await model._client.close()


@pytest.fixture
def context(session: AsyncSession, ada: Customer) -> HelpdeskContext:
    """Ada in conversation ``demo``; refunds above $50 need a human."""
    settings = HelpdeskSettings(refund_auto_approve_cents=5000)
    return HelpdeskContext(ada.id, "demo", HelpdeskRepository(session), settings)


async def test_demo_conversation(model: Model, context: HelpdeskContext, session: AsyncSession) -> None:
    first = await answer(ORDER_QUESTION, context, model)
    assert (first.agent, first.text) == ("Orders agent", ORDER_ANSWER)
    assert [c.name for c in first.tool_calls] == ["get_order_status"]
    await session.commit()

    second = await answer(REFUND_REQUEST, context, model, first.history)
    await session.commit()

    refund = await session.scalar(select(Refund))
    assert refund is not None and refund.status is RefundStatus.PENDING
    assert second.agent == "Billing agent"
    assert f"Refund request {refund.id} recorded: $89.00 for order 1" in second.text
    assert "reviews refunds" in second.text, "$89 is above the auto-approve limit"
    assert [(e.type, e.data["refund_id"]) for e in second.events] == [("refund_requested", refund.id)]
    assert second.history[: len(first.history)] == first.history


async def test_demo_conversation_streamed(model: Model, context: HelpdeskContext) -> None:
    first = stream_answer(ORDER_QUESTION, context, model)
    assert "".join([delta async for delta in first.text_deltas()]) == ORDER_ANSWER

    second = stream_answer(REFUND_REQUEST, context, model, first.result.history)
    text = "".join([delta async for delta in second.text_deltas()])
    assert text == second.result.text and "Refund request 1 recorded" in text
    assert [e.type for e in second.result.events] == ["refund_requested"]
