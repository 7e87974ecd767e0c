"""Builders that tests call inside the sandbox (`student.helpers.X(...)`), for objects that cannot
travel as JSON: scripted models, JSON summaries of what a scripted model was asked, and static
views of a student's Dockerfile and compose file (`parse_dockerfile`, `parse_compose`), and a
student's ASGI app served over HTTP (`serve_app`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agents.testing import ScriptedModel, assistant_message, function_call

from graders.sandbox.containers import parse_compose, parse_dockerfile  # noqa: F401 - builders for tests
from graders.sandbox.serving import serve_app, stop_servers  # noqa: F401 - builders for tests over HTTP


def _turn(turn: dict[str, Any], index: int) -> Any:
    if "text" in turn:
        return [assistant_message(turn["text"])]
    if "error" in turn:
        return RuntimeError(turn["error"])
    calls = turn.get("tools") or [{"name": turn["tool"], "args": turn.get("args", {})}]
    return [
        function_call(c["name"], c.get("args", {}), call_id=f"call_{index}_{n}") for n, c in enumerate(calls)
    ]


def scripted_model(turns: list[dict[str, Any]]) -> ScriptedModel:
    """A ScriptedModel from JSON turns: {"text": ...}, {"tool": name, "args": {...}},
    {"tools": [{"name": ..., "args": ...}, ...]} or {"error": message}."""
    return ScriptedModel([_turn(t, i) for i, t in enumerate(turns)])


def _plain(item: Any) -> Any:
    if hasattr(item, "model_dump"):
        return item.model_dump(mode="json", exclude_none=True)
    return json.loads(json.dumps(item, default=str))


def model_calls(model: ScriptedModel) -> list[dict[str, Any]]:
    """What each call to a scripted model carried: instructions, input, tools, handoffs, schema."""
    calls = []
    for call in model.calls:
        items = call.input if isinstance(call.input, list) else [{"role": "user", "content": call.input}]
        schema = call.output_schema
        calls.append(
            {
                "instructions": call.system_instructions,
                "input": [_plain(i) for i in items],
                "tools": [t.name for t in call.tools],
                "handoffs": [h.tool_name for h in call.handoffs],
                "output_schema": schema.json_schema() if schema and not schema.is_plain_text() else None,
                "streamed": call.streamed,
            }
        )
    return calls


def tool_outputs(model: ScriptedModel, name: str | None = None) -> list[str]:
    """Every function-call output the model saw, in order (how tool results reach the model);
    only those of the tool `name` if given (handoffs are function calls too)."""
    seen: dict[str, str] = {}  # each call repeats the history: keep one output per call id
    names: dict[str, str] = {}
    for call in model_calls(model):
        for item in call["input"]:
            if item.get("type") == "function_call":
                names[item["call_id"]] = item.get("name", "")
            elif item.get("type") == "function_call_output":
                output = item.get("output")
                seen.setdefault(item["call_id"], output if isinstance(output, str) else json.dumps(output))
    return [output for call_id, output in seen.items() if name is None or names.get(call_id) == name]


class CallCounter:
    """An async callable that counts its calls: a stand-in for a slow database or API call, to see
    whether student code called it. Waits `delay` seconds, then returns `result` or, if `error` is
    set, raises RuntimeError(error)."""

    def __init__(self, result: Any = None, *, error: str | None = None, delay: float = 0.0):
        self.result, self.error, self.delay = result, error, delay
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise RuntimeError(self.error)
        return self.result


def call_counter(result: Any = None, error: str | None = None, delay: float = 0.0) -> CallCounter:
    """A CallCounter; `value(counter.calls)` says how often it was awaited."""
    return CallCounter(result, error=error, delay=delay)


async def gather(calls: list[list[Any]]) -> list[dict[str, Any]]:
    """Run `[function, *args]` calls concurrently on the sandbox's event loop (asyncio.gather);
    each outcome is {"result": ...} or {"error": exception type name, "message": str(exception)}."""

    async def one(function: Any, *args: Any) -> dict[str, Any]:
        try:
            return {"result": await function(*args)}
        except Exception as exc:  # noqa: BLE001 - reported to the test as data
            return {"error": type(exc).__name__, "message": str(exc)}

    return list(await asyncio.gather(*(one(*call) for call in calls)))


def override_dependency(app: Any, dependency: Any, value: Any) -> None:
    """FastAPI's `app.dependency_overrides[dependency] = lambda: value`: the app gets `value`
    (e.g. a scripted model) wherever a route asks for `Depends(dependency)`."""
    app.dependency_overrides[dependency] = lambda: value


def warm_up() -> None:
    """Run one plain and one streamed agent turn so sandboxes inherit the SDK's lazy set-up
    (the first streamed run costs ~0.3 s; forked sandboxes then pay ~3 ms)."""
    from agents import Agent, Runner

    async def turns() -> None:
        agent = Agent(name="warm-up", model=scripted_model([{"text": "ok"}, {"text": "ok"}]))
        await Runner.run(agent, "hi")
        async for _ in Runner.run_streamed(agent, "hi").stream_events():
            pass

    asyncio.run(turns())
