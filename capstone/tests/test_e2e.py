"""The whole Helpdesk on real Dapr (embedded profile): the demo conversation, the API's contract,
and faults of the model endpoint. One system is started for the module (~12 s)."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from capstone.demo import converse
from capstone.settings import HelpdeskSettings


def chat(api, conversation: str, message: str, customer: int = 1) -> httpx.Response:
    return api.post(
        "/v1/chat", json={"customer_id": customer, "conversation_id": conversation, "message": message}
    )


def store(helpdesk) -> sqlite3.Connection:
    return sqlite3.connect(helpdesk.env["HELPDESK_DATABASE_URL"].split(":///", 1)[1])


def test_demo_conversation_runs_end_to_end(helpdesk):
    state = converse(helpdesk.gateway_url, helpdesk.notifications_url, conversation="e2e-demo")
    assert state["agents"] == ["Orders agent", "Billing agent"]
    assert state["refund"]["status"] == "COMPLETED"
    assert json.loads(state["refund"]["output"])["decided_by"] == "demo supervisor"
    status = store(helpdesk).execute("select status from refunds where id = ?", (state["refund_id"],))
    assert status.fetchone() == ("approved",)
    assert {"conversation_turn", "refund_requested", "refund_decided"} <= set(state["topics"])
    assert [t["message"] for t in state["history"]["turns"]] == [
        "Hi! Where is my order?",
        "It arrived broken, I want a refund please.",
    ]


def test_events_arrive_as_cloudevents(helpdesk, api):
    assert chat(api, "e2e-cloudevents", "where is my order").status_code == 200
    events = httpx.get(f"{helpdesk.notifications_url}/events", params={"topic": "conversation_turn"}).json()
    mine = [e for e in events if e["data"]["conversation_id"] == "e2e-cloudevents"]
    assert mine and mine[0]["type"] == "com.dapr.event.sent" and mine[0]["source"] == "gateway"


@pytest.mark.parametrize(
    "body, status",
    [
        ({"customer_id": 1, "conversation_id": "c1"}, 422),
        ({"customer_id": 0, "conversation_id": "c1", "message": "hi"}, 422),
        ({"customer_id": 1, "conversation_id": "../etc", "message": "hi"}, 422),
        (
            {
                "customer_id": 1,
                "conversation_id": "c1",
                "message": "x" * (HelpdeskSettings().max_message_chars + 1),
            },
            422,
        ),
    ],
)
def test_invalid_requests_are_4xx_with_reasons(api, body, status):
    response = api.post("/v1/chat", json=body)
    assert response.status_code == status
    assert response.json()["detail"][0]["loc"]


def test_oversized_bodies_are_refused(api):
    response = api.post(
        "/v1/chat", content=b"{" + b" " * 70_000 + b"}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_a_conversation_belongs_to_one_customer(api):
    assert chat(api, "e2e-owner", "where is my order").status_code == 200
    response = chat(api, "e2e-owner", "where is my order", customer=2)
    assert response.status_code == 403 and "another customer" in response.json()["detail"]


def test_unknown_things_are_404(api):
    assert api.get("/v1/conversations/never-started").status_code == 404
    assert api.get("/v1/refunds/999999").status_code == 404
    assert api.post("/v1/refunds/999999/decision", json={"approved": True}).status_code == 404


def test_streaming_sends_agent_deltas_and_done(api):
    with api.stream(
        "POST",
        "/v1/chat/stream",
        json={"customer_id": 1, "conversation_id": "e2e-sse", "message": "where is my order"},
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    events = [line.split(": ", 1)[1] for line in lines if line.startswith("event:")]
    assert events[0] == "agent" and events[-1] == "done" and "delta" in events
    text = "".join(
        line[6:]
        for i, line in enumerate(lines)
        if line.startswith("data: ") and lines[i - 1] == "event: delta"
    )
    done = json.loads(lines[-1][6:])
    assert text.strip() == done["answer"] and done["agent"] == "Orders agent"


def test_health_and_readiness(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"store": "ok", "dapr": "ok"}


@pytest.mark.parametrize("message", ["the model is down", "the model is slow"])
def test_model_failures_are_503_and_lose_no_accepted_message(api, message):
    assert chat(api, "e2e-faults", "where is my order").status_code == 200
    before = api.get("/v1/conversations/e2e-faults").json()["turns"]
    failed = chat(api, "e2e-faults", message)
    assert failed.status_code == 503 and "retry" in failed.json()["detail"]
    assert api.get("/v1/conversations/e2e-faults").json()["turns"] == before


def test_a_retried_message_is_kept_once(api):
    assert chat(api, "e2e-retry", "where is my order, flaky").status_code == 503
    assert chat(api, "e2e-retry", "where is my order, flaky").status_code == 200
    turns = api.get("/v1/conversations/e2e-retry").json()["turns"]
    assert [t["message"] for t in turns] == ["where is my order, flaky"]


def test_the_chat_page_is_served(api):
    page = api.get("/")
    assert page.status_code == 200 and '<form id="chat">' in page.text
