"""AI-201 lab 1 — Hello agent: the Helpdesk's first agent, on any OpenAI-compatible endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

from agents import Agent, Model, OpenAIChatCompletionsModel, Runner
from openai import AsyncOpenAI
from openai.types.responses import ResponseTextDeltaEvent
from pydantic_settings import BaseSettings, SettingsConfigDict

INSTRUCTIONS = (
    "You are the Helpdesk assistant of an online store. "
    "Answer customers briefly, politely and only about the store."
)


class LLMSettings(BaseSettings):
    """Where the model lives; read from DACA_LLM_* environment variables (vLLM's defaults)."""

    model_config = SettingsConfigDict(env_prefix="DACA_LLM_")

    base_url: str = "http://localhost:8000/v1"
    api_key: str = "not-needed"
    model: str = "HuggingFaceTB/SmolLM2-135M-Instruct"


def build_model(settings: LLMSettings) -> Model:
    """An Agents SDK model that calls `settings.model` at `settings.base_url`."""
    ### BEGIN SOLUTION
    client = AsyncOpenAI(base_url=settings.base_url, api_key=settings.api_key)
    return OpenAIChatCompletionsModel(model=settings.model, openai_client=client)
    ### END SOLUTION


def build_agent(model: Model | None = None) -> Agent:
    """The agent "Helpdesk" with INSTRUCTIONS, on `model` (default: build_model(LLMSettings()))."""
    ### BEGIN SOLUTION
    return Agent(
        name="Helpdesk",
        instructions=INSTRUCTIONS,
        model=model or build_model(LLMSettings()),
    )
    ### END SOLUTION


def ask(question: str, model: Model | None = None) -> str:
    """Ask the Helpdesk agent synchronously and return its final answer."""
    ### BEGIN SOLUTION
    return Runner.run_sync(build_agent(model), question).final_output
    ### END SOLUTION


async def ask_async(question: str, model: Model | None = None) -> str:
    """The same as ask(), for async code."""
    ### BEGIN SOLUTION
    result = await Runner.run(build_agent(model), question)
    return result.final_output
    ### END SOLUTION


async def stream_answer(question: str, model: Model | None = None) -> AsyncIterator[str]:
    """Yield the answer's text piece by piece as the model produces it."""
    ### BEGIN SOLUTION
    result = Runner.run_streamed(build_agent(model), question)
    async for event in result.stream_events():
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
            yield event.data.delta
    ### END SOLUTION
