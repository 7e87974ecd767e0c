"""The Helpdesk on the local profile: Redis (actor state), Postgres (store), RabbitMQ (pub/sub),
and a Redis restart in the middle of a conversation that loses no accepted message."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from capstone.demo import LOCAL_DATABASE, converse
from capstone.launcher import run_helpdesk
from capstone.store.migrate import drop_store
from infra.dapr.pytest_plugin import services_down

UP = Path(__file__).resolve().parents[2] / "infra" / "services" / "up.sh"


@pytest.fixture(scope="module")
def local_helpdesk(dapr_binaries):
    down = services_down(("redis", "postgres", "rabbitmq"))
    if down:
        message = f"local services not running: {', '.join(down)} (bash infra/services/up.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    asyncio.run(drop_store(LOCAL_DATABASE))  # the demo data afresh: earlier runs refunded orders
    with run_helpdesk(
        "local", database_url=LOCAL_DATABASE, extra_env={"HELPDESK_PUBSUB": "pubsub-rabbitmq"}
    ) as running:
        yield running


def test_demo_on_redis_postgres_and_rabbitmq(local_helpdesk):
    state = converse(
        local_helpdesk.gateway_url, local_helpdesk.notifications_url, conversation=f"local-{time.time_ns()}"
    )
    assert state["agents"] == ["Orders agent", "Billing agent"]
    assert json.loads(state["refund"]["output"])["status"] == "approved"
    assert {"conversation_turn", "refund_requested", "refund_decided"} <= set(state["topics"])


def _turn(api: httpx.Client, conversation: str, message: str) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:  # a client retries a 503 until the sidecar has its state store back
        response = api.post(
            "/v1/chat", json={"customer_id": 1, "conversation_id": conversation, "message": message}
        )
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(1)


def test_redis_restart_mid_conversation_loses_no_accepted_message(local_helpdesk):
    conversation = f"restart-{time.time_ns()}"
    with httpx.Client(base_url=local_helpdesk.gateway_url, timeout=60) as api:
        assert _turn(api, conversation, "Hi! Where is my order?").status_code == 200
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "save"], check=False, capture_output=True)
        subprocess.run(["bash", str(UP), "redis"], check=True, capture_output=True)
        assert _turn(api, conversation, "where is my order, again?").status_code == 200
        turns = api.get(f"/v1/conversations/{conversation}").json()["turns"]
    assert [t["message"] for t in turns] == ["Hi! Where is my order?", "where is my order, again?"]
