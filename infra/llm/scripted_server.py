"""A scripted, OpenAI-compatible HTTP server shaped like vLLM's.

It serves the endpoints agents and operators use — ``POST /v1/chat/completions`` (plain and
streamed, with tool calls), ``GET /v1/models``, ``GET /health`` and ``GET /metrics`` — and
answers from a ``Script`` instead of a neural network, so tests run offline and exactly::

    with serve([{"match": "hello", "reply": "Hi there!"}]) as base_url:
        model = build_model(LLMSettings(base_url=base_url, model="daca-scripted"))
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST

from . import protocol
from .metrics import ServerMetrics
from .protocol import ChatRequest
from .script import ScriptRunner, ScriptSource, Turn, load_script

_FAULT_KINDS = {500: "InternalServerError", 503: "ServiceUnavailableError"}
_STARTUP_TIMEOUT = 10.0


def create_app(script: ScriptSource) -> FastAPI:
    """Build the FastAPI app that answers from ``script`` (see ``load_script`` for the forms)."""
    script = load_script(script)
    runner = ScriptRunner(script)
    metrics = ServerMetrics(script.model)
    app = FastAPI(title="DACA scripted LLM server")

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Any, exc: RequestValidationError) -> JSONResponse:
        return _error(400, "; ".join(map(_describe, exc.errors())), "BadRequestError")

    @app.get("/health")
    async def health() -> Response:
        return Response(status_code=200)

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        card = {"id": script.model, "object": "model", "created": 0, "owned_by": "daca"}
        return {"object": "list", "data": [card]}

    @app.post("/v1/chat/completions")
    async def chat_completions(body: ChatRequest) -> Response:
        if body.model != script.model:
            message = f"The model `{body.model}` does not exist."
            return _error(404, message, "NotFoundError")
        turn = Turn.from_request(body)
        rule = runner.choose(turn)
        with metrics.track():
            if rule.fault is not None:
                await asyncio.sleep(rule.fault.delay)
                if rule.fault.status is not None:
                    status = rule.fault.status
                    return _error(status, f"Injected fault: HTTP {status}", _FAULT_KINDS[status])
            outcome = rule.outcome(turn)
            usage = protocol.usage(body.prompt_tokens(), outcome.completion_tokens())
            metrics.record(
                usage["prompt_tokens"], usage["completion_tokens"], outcome.finish_reason
            )
        if not body.stream:
            return JSONResponse(protocol.completion(outcome, script.model, usage))
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        events = protocol.chunks(outcome, script.model, usage if include_usage else None)
        return StreamingResponse(_sse(events), media_type="text/event-stream")

    return app


@contextmanager
def serve(
    script: ScriptSource,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[str]:
    """Run the scripted server in a background thread; yield its base URL (``.../v1``).

    ``port=0`` picks a free port. The server stops when the ``with`` block ends.
    """
    config = uvicorn.Config(create_app(script), log_level="warning", lifespan="off")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread)
        url_host = f"[{host}]" if family == socket.AF_INET6 else host
        yield f"http://{url_host}:{bound_port}/v1"
    finally:
        server.should_exit = server.force_exit = True  # tests need no graceful draining
        thread.join()
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the scripted LLM server did not start")
        time.sleep(0.01)


def _describe(err: dict[str, Any]) -> str:
    if err["type"] == "json_invalid":
        return f"body is not valid JSON: {err['ctx']['error']}"
    return f"{'.'.join(str(part) for part in err['loc'][1:]) or 'body'}: {err['msg']}"


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse(protocol.error(status, message, kind), status_code=status)


async def _sse(events: Iterable[dict[str, Any]]) -> AsyncIterator[str]:
    for event in events:
        yield f"data: {json.dumps(event)}\n\n"
    yield "data: [DONE]\n\n"
