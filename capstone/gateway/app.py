"""The gateway app: hosts the conversation actors and the refund workflow, serves the chat API.

Run it behind its Dapr sidecar (app id `gateway`); `capstone.demo` and the tests start both.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from dapr.actor import ActorId, ActorProxy
from dapr.ext.fastapi import DaprActor
from dapr.ext.workflow import WorkflowRuntime
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import text
from sse_starlette import EventSourceResponse

from capstone.conversation.actor import ConversationActor, ConversationInterface
from capstone.gateway.schemas import ChatRequest, ChatResponse, Decision, History
from capstone.notifications.app import add_notifications
from capstone.refunds import client as refunds
from capstone.refunds.workflow import register as register_refund_workflow
from capstone.runtime import open_services, services
from capstone.settings import HelpdeskSettings

MAX_BODY_BYTES = 64 * 1024
STATIC = Path(__file__).with_name("static")


def _conversation(conversation_id: str) -> ConversationInterface:
    return ActorProxy.create("ConversationActor", ActorId(conversation_id), ConversationInterface)


async def _turn(request: ChatRequest) -> ChatResponse:
    try:
        reply = await _conversation(request.conversation_id).turn(request.model_dump())
    except Exception as exc:  # the actor call failed: the model endpoint, the sidecar, the store
        raise HTTPException(503, f"the assistant is unavailable, please retry: {exc}"[:500]) from None
    if "error" in reply:
        raise HTTPException(403, reply["error"])
    return ChatResponse(conversation_id=request.conversation_id, **reply)


def create_app(
    settings: HelpdeskSettings | None = None, *, seed: bool = False, notifications: bool = False
) -> FastAPI:
    """The gateway; `notifications` also mounts the event consumer at /notifications (needed
    with in-memory pub/sub, which delivers only within one sidecar)."""
    settings = settings or HelpdeskSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(settings, seed=seed):
            await actors.register_actor(ConversationActor)
            workflows = WorkflowRuntime()
            register_refund_workflow(workflows)
            workflows.start()
            try:
                yield
            finally:
                workflows.shutdown()

    app = FastAPI(title="Helpdesk gateway", version="0.1.0", lifespan=lifespan)
    actors = DaprActor(app)
    if notifications:
        add_notifications(app, prefix="/notifications")

    @app.middleware("http")
    async def refuse_oversized(request: Request, call_next):
        if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        return await call_next(request)

    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html")

    @app.post("/v1/chat")
    async def chat(request: ChatRequest) -> ChatResponse:
        """One customer message; the answer once the turn is complete."""
        return await _turn(request)

    @app.post("/v1/chat/stream")
    async def chat_stream(request: ChatRequest) -> EventSourceResponse:
        """The same turn as server-sent events: `agent`, then the answer in `delta`s, then `done`."""
        reply = await _turn(request)

        async def events():
            yield {"event": "agent", "data": reply.agent}
            for word in reply.answer.split(" "):
                yield {"event": "delta", "data": word + " "}
            yield {"event": "done", "data": reply.model_dump_json()}

        return EventSourceResponse(events())

    @app.get("/v1/conversations/{conversation_id}")
    async def history(conversation_id: str) -> History:
        state = await _conversation(conversation_id).history()
        if state["customer_id"] is None:
            raise HTTPException(404, f"no conversation {conversation_id!r}")
        return History(conversation_id=conversation_id, **state)

    @app.post("/v1/refunds/{refund_id}/decision")
    async def decide(refund_id: int, decision: Decision) -> dict:
        """A human approves or rejects a refund waiting in its workflow."""
        if refunds.state(refund_id) is None:
            raise HTTPException(404, f"no refund workflow for refund {refund_id}")
        refunds.decide(refund_id, decision.approved, decision.by)
        return {"refund_id": refund_id, "decision": "approved" if decision.approved else "rejected"}

    @app.get("/v1/refunds/{refund_id}")
    async def refund(refund_id: int) -> dict:
        state = refunds.state(refund_id)
        if state is None:
            raise HTTPException(404, f"no refund workflow for refund {refund_id}")
        return {"refund_id": refund_id, **state}

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {"store": "ok", "dapr": "ok"}
        try:
            async with services().engine.connect() as connection:
                await connection.execute(text("select 1"))
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["store"] = str(exc)[:200]
        port = os.environ.get("DAPR_HTTP_PORT", "3500")
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                (await http.get(f"http://127.0.0.1:{port}/v1.0/healthz")).raise_for_status()
        except httpx.HTTPError as exc:
            checks["dapr"] = str(exc)[:200]
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(checks, status_code=200 if ready else 503)

    return app
