"""The scripted server over real HTTP, driven by the openai client and the Agents SDK."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from agents import Agent, Runner, RunResult, function_tool
from agents.items import ToolCallItem, ToolCallOutputItem
from openai.types.responses import ResponseTextDeltaEvent
from prometheus_client.parser import text_string_to_metric_families

from infra.llm import LLMSettings, build_model, serve

MODEL = "daca-scripted"
HELLO = "Hello from the scripted model."
SCRIPT = {
    "model": MODEL,
    "rules": [
        {"after_tool": "get_weather", "reply": "Paris weather: {tool_result}"},
        {
            "match": "weather",
            "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}],
        },
        {"match": r"\bhello\b", "reply": HELLO},
        {"match": "overloaded", "fault": {"status": 503}},
        {"match": "slow", "fault": {"delay": 1.0}, "reply": "too late"},
    ],
    "fallback": {"reply": "No script for that."},
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture(autouse=True)
def offline_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an OpenAI key, build_model disables trace export: no network even on a dev box."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(SCRIPT) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="test", max_retries=0)


def agent_for(base_url: str, tools: list | None = None, **settings: object) -> Agent:
    model = build_model(LLMSettings(base_url=base_url, api_key="test", model=MODEL, **settings))
    return Agent(name="assistant", instructions="Be brief.", model=model, tools=tools or [])


def run(agent: Agent, text: str) -> RunResult:
    """Run on a fresh event loop; the agent's HTTP connections belong to it, so don't reuse it."""
    return asyncio.run(Runner.run(agent, text))


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


@function_tool
def get_weather(city: str) -> str:
    """Return the forecast for a city."""
    return f"sunny in {city}"


# --- the openai client -----------------------------------------------------------------


def test_plain_answer_with_whitespace_usage(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=user("hello there, model"))

    assert reply.choices[0].message.content == HELLO
    assert reply.choices[0].finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (3, 5)
    assert reply.usage.total_tokens == 8


def test_tool_call_when_tool_offered(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=MODEL, messages=user("weather please"), tools=[WEATHER_TOOL]
    )

    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_tool_rule_skipped_when_tool_not_offered(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=user("weather please"))

    assert reply.choices[0].message.content == "No script for that."
    assert reply.choices[0].message.tool_calls is None


def test_tool_result_is_fed_into_reply(client: openai.OpenAI) -> None:
    history = [
        *user("weather please"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "rain, 12C"},
    ]
    reply = client.chat.completions.create(model=MODEL, messages=history, tools=[WEATHER_TOOL])

    assert reply.choices[0].message.content == "Paris weather: rain, 12C"


def test_stream_text_word_by_word_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL, messages=user("hello"), stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)

    pieces = [c.choices[0].delta.content for c in chunks if c.choices]
    pieces = [piece for piece in pieces if piece]
    assert pieces == ["Hello ", "from ", "the ", "scripted ", "model."]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 5
    assert len({c.id for c in chunks}) == 1


def test_stream_tool_call_deltas(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL, messages=user("weather please"), tools=[WEATHER_TOOL], stream=True
    )
    deltas = [d for c in stream for d in (c.choices[0].delta.tool_calls or [])]

    first, *rest = deltas
    assert first.id.startswith("call_") and first.function.name == "get_weather"
    assert rest and all(d.id is None and d.index == 0 for d in rest)
    arguments = "".join(d.function.arguments for d in deltas)
    assert json.loads(arguments) == {"city": "Paris"}


def test_models_lists_served_model(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-unknown", messages=user("hello"))


def test_health_is_empty_200(base_url: str) -> None:
    response = httpx.get(base_url.removesuffix("/v1") + "/health")

    assert response.status_code == 200 and response.content == b""


# --- errors and faults -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"model": MODEL}, "messages"),
        ({"model": MODEL, "messages": []}, "messages"),
        ({"model": MODEL, "messages": [{"role": "robot", "content": "hi"}]}, "role"),
        ({"model": MODEL, "messages": [{"role": "tool", "content": "x"}]}, "tool_call_id"),
        ({"messages": user("hi")}, "model"),
    ],
)
def test_malformed_request_is_openai_style_400(base_url: str, body: dict, mentions: str) -> None:
    response = httpx.post(f"{base_url}/chat/completions", json=body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "BadRequestError" and error["code"] == 400
    assert mentions in error["message"]


def test_invalid_json_is_400(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/chat/completions",
        content=b"{oops",
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


def test_malformed_request_raises_bad_request_in_client(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[])


def test_injected_503_surfaces_in_client(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=MODEL, messages=user("overloaded?"))

    assert caught.value.status_code == 503
    assert "Injected fault" in caught.value.message


def test_injected_503_surfaces_in_agent_run(base_url: str) -> None:
    agent = agent_for(base_url, max_retries=0)

    with pytest.raises(openai.APIStatusError) as caught:
        run(agent, "are you overloaded?")

    assert caught.value.status_code == 503


def test_injected_delay_forces_client_timeout(base_url: str) -> None:
    agent = agent_for(base_url, timeout=0.2, max_retries=0)

    with pytest.raises(openai.APITimeoutError):
        run(agent, "be slow")


FLAKY = [
    {"match": "flaky", "times": 1, "fault": {"status": 503}},
    {"match": "flaky", "reply": "recovered"},
]


def test_fault_with_times_fires_only_that_often() -> None:
    with serve(FLAKY) as url:
        with pytest.raises(openai.APIStatusError):
            run(agent_for(url, max_retries=0), "flaky?")
        assert run(agent_for(url, max_retries=0), "flaky?").final_output == "recovered"


def test_client_retry_recovers_from_one_503() -> None:
    with serve(FLAKY) as url:
        result = run(agent_for(url, max_retries=1), "flaky?")

    assert result.final_output == "recovered"


# --- metrics -----------------------------------------------------------------------------


def scrape(base_url: str) -> dict[str, float]:
    text = httpx.get(base_url.removesuffix("/v1") + "/metrics").text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels.get("le") and not sample.labels.get("finished_reason")
    }


def test_metrics_count_tokens_and_latency(base_url: str, client: openai.OpenAI) -> None:
    before = scrape(base_url)
    reply = client.chat.completions.create(model=MODEL, messages=user("hello metrics"))
    after = scrape(base_url)

    grew = {name: after[name] - before.get(name, 0.0) for name in after}
    assert grew["vllm:prompt_tokens_total"] == reply.usage.prompt_tokens
    assert grew["vllm:generation_tokens_total"] == reply.usage.completion_tokens
    assert grew["vllm:e2e_request_latency_seconds_count"] == 1
    assert after["vllm:num_requests_running"] == 0


# --- the Agents SDK ----------------------------------------------------------------------


def test_agent_plain_answer(base_url: str) -> None:
    result = run(agent_for(base_url), "hello agent")

    assert result.final_output == HELLO


def test_agent_function_tool_round_trip(base_url: str) -> None:
    result = run(agent_for(base_url, [get_weather]), "what's the weather?")

    calls = [i for i in result.new_items if isinstance(i, ToolCallItem)]
    outputs = [i.output for i in result.new_items if isinstance(i, ToolCallOutputItem)]
    assert len(calls) == 1 and outputs == ["sunny in Paris"]
    assert result.final_output == "Paris weather: sunny in Paris"


def test_agent_streams_text_deltas(base_url: str) -> None:
    async def stream() -> tuple[list[str], object]:
        result = Runner.run_streamed(agent_for(base_url), "hello stream")
        deltas = [
            event.data.delta
            async for event in result.stream_events()
            if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent)
        ]
        return deltas, result.final_output

    deltas, final = asyncio.run(stream())

    assert len(deltas) > 1 and "".join(deltas) == HELLO == final


def test_agent_streams_tool_call_and_answer(base_url: str) -> None:
    async def stream() -> tuple[list[str], object]:
        result = Runner.run_streamed(agent_for(base_url, [get_weather]), "weather, streamed")
        names = [
            event.name
            async for event in result.stream_events()
            if event.type == "run_item_stream_event"
        ]
        return names, result.final_output

    names, final = asyncio.run(stream())

    order = [names.index(n) for n in ("tool_called", "tool_output", "message_output_created")]
    assert order == sorted(order)
    assert final == "Paris weather: sunny in Paris"


# --- the command line --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_cli_serves_script_file(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"match": "ping", "reply": "pong"}]))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.llm", "serve", "--script", str(script), "--port", str(port)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0)
        deadline = time.monotonic() + 20
        while True:
            try:
                reply = client.chat.completions.create(model=MODEL, messages=user("ping"))
                break
            except openai.APIConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert reply.choices[0].message.content == "pong"
    finally:
        server.terminate()
        server.wait(timeout=10)
