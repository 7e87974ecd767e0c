"""Notifications and analytics: subscribes to the Helpdesk's topics and keeps what arrives.

Events arrive as CloudEvents (Dapr wraps what the gateway publishes). An event this app cannot
read is answered with DROP, which Dapr sends to the dead-letter topic, where it is kept apart.

Dapr's in-memory pub/sub delivers only to subscribers of the same sidecar, so the embedded
profile mounts these routes in the gateway app (`add_notifications`); with Redis or RabbitMQ
(the local profile, Kubernetes) this is its own app behind its own sidecar.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import APIRouter, FastAPI, Request

from capstone.runtime import PUBSUB

TOPICS = ("conversation_turn", "ticket_opened", "refund_requested", "refund_decided")
DEAD_LETTERS = "deadletters"


def add_notifications(app: FastAPI, prefix: str = "") -> None:
    """Subscribe `app` to the Helpdesk topics and serve what arrived at `prefix`/events."""
    dapr = DaprApp(app)
    received: list[dict[str, Any]] = []
    dead: list[dict[str, Any]] = []

    def subscribe(topic: str) -> None:
        @dapr.subscribe(pubsub=PUBSUB, topic=topic, dead_letter_topic=DEAD_LETTERS)
        async def handle(request: Request) -> dict:
            event = await request.json()
            if not isinstance(event.get("data"), dict):
                return {"status": "DROP"}
            received.append(
                {
                    "topic": topic,
                    "id": event.get("id"),
                    "type": event.get("type"),
                    "source": event.get("source"),
                    "data": event["data"],
                }
            )
            return {"status": "SUCCESS"}

    for topic in TOPICS:
        subscribe(topic)

    @dapr.subscribe(pubsub=PUBSUB, topic=DEAD_LETTERS)
    async def dead_letter(request: Request) -> dict:
        dead.append(await request.json())
        return {"status": "SUCCESS"}

    router = APIRouter(prefix=prefix, tags=["notifications"])

    @router.get("/events")
    async def events(topic: str | None = None) -> list[dict[str, Any]]:
        """Events received so far, oldest first, optionally of one topic."""
        return [e for e in received if topic in (None, e["topic"])]

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        return {"by_topic": Counter(e["topic"] for e in received), "dead_letters": len(dead)}

    app.include_router(router)


def create_app() -> FastAPI:
    app = FastAPI(title="Helpdesk notifications", version="0.1.0")
    add_notifications(app)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    return app
