"""Pub/sub through a real daprd: CloudEvents delivery, retries, then the dead-letter topic."""

import json
import queue
import uuid

import pytest
from dapr.clients import DaprClient
from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, Request, Response

from infra.dapr.appserver import serve

pytest_plugins = ["infra.dapr.pytest_plugin"]

PUBSUBS = [
    pytest.param(("embedded", "pubsub"), id="embedded-inmemory"),
    pytest.param(("local", "pubsub"), id="local-redis"),
    pytest.param(("local", "pubsub-rabbitmq"), id="local-rabbitmq"),
]


def subscriber_app(pubsub: str, topic: str, received: queue.Queue, dead: queue.Queue,
                   attempts: list) -> FastAPI:
    app = FastAPI()
    dapr_app = DaprApp(app)

    @dapr_app.subscribe(pubsub=pubsub, topic=topic, dead_letter_topic=f"{topic}-dead")
    async def on_ticket(request: Request) -> Response:
        event = json.loads(await request.body())
        attempts.append(event["data"]["id"])
        if event["data"].get("poison"):
            return Response(status_code=500)  # Dapr retries (resiliency policy), then dead-letters
        received.put(event)
        return Response(status_code=200)

    @dapr_app.subscribe(pubsub=pubsub, topic=f"{topic}-dead")
    async def on_dead(request: Request) -> Response:
        dead.put(json.loads(await request.body()))
        return Response(status_code=200)

    return app


@pytest.mark.parametrize("target", PUBSUBS)
def test_delivery_as_cloudevent_and_dead_letter(target, dapr_sidecar, request):
    components, pubsub = target
    if components == "local":
        request.getfixturevalue("local_services")
    topic = f"tickets-{uuid.uuid4().hex[:8]}"
    received, dead, attempts = queue.Queue(), queue.Queue(), []
    with serve(subscriber_app(pubsub, topic, received, dead, attempts)) as port:
        sidecar = dapr_sidecar("tickets", port, components=components, wait_for_app=True)
        with DaprClient(sidecar.grpc_address) as client:
            client.publish_event(pubsub, topic, json.dumps({"id": "t-1", "subject": "refund"}),
                                 data_content_type="application/json")
            client.publish_event(pubsub, topic, json.dumps({"id": "t-2", "poison": True}),
                                 data_content_type="application/json")

        event = received.get(timeout=15)
        assert event["specversion"] == "1.0"
        assert event["type"] == "com.dapr.event.sent"
        assert event["source"] == "tickets" and event["topic"] == topic and event["pubsubname"] == pubsub
        assert event["datacontenttype"] == "application/json"
        assert event["data"] == {"id": "t-1", "subject": "refund"}
        assert event["id"] and event["traceparent"]

        dead_event = dead.get(timeout=20)
        assert dead_event["data"] == {"id": "t-2", "poison": True}
        # first delivery + 2 retries (DefaultComponentInboundRetryPolicy), then the dead-letter topic
        assert attempts.count("t-2") == 3
        assert received.empty()
