"""The Helpdesk end to end: one scripted customer conversation through the whole system.

triage -> handoff -> tool -> pub/sub event -> refund workflow -> human approval, on real Dapr
with the embedded defaults (SQLite, in-memory components, the scripted LLM). Prints a transcript
and the final state, then stops everything.

    python -m capstone            # embedded
    python -m capstone --local    # Redis, Postgres, RabbitMQ (run infra/services/up.sh first)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape

from capstone.launcher import run_helpdesk

LOCAL_DATABASE = "postgresql+asyncpg://daca:daca@127.0.0.1:5432/daca"
CUSTOMER = 1
console = Console()


def _say(http: httpx.Client, conversation: str, message: str) -> dict[str, Any]:
    console.print(f"[bold blue]customer[/] {escape(message)}")
    reply = http.post(
        "/v1/chat", json={"customer_id": CUSTOMER, "conversation_id": conversation, "message": message}
    )
    reply.raise_for_status()
    body = reply.json()
    console.print(f"[bold green]{escape(body['agent'])}[/] {escape(body['answer'])}")
    for call in body["tool_calls"]:
        console.print(
            f"   [dim]tool {call['name']}({call['arguments']}) -> {escape(call['output'][:100])}[/]"
        )
    for event in body["events"]:
        console.print(f"   [dim]event {event['type']} {event['data']}[/]")
    return body


def _wait(check, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := check()) is not None:
            return found
        time.sleep(0.25)
    raise TimeoutError(f"timed out waiting for {what}")


def converse(gateway_url: str, notifications_url: str, conversation: str = "demo-1") -> dict[str, Any]:
    """Drive the scripted conversation; returns the final state for printing and tests."""
    with (
        httpx.Client(base_url=gateway_url, timeout=60) as http,
        httpx.Client(base_url=notifications_url, timeout=10) as notes,
    ):
        order = _say(http, conversation, "Hi! Where is my order?")
        refund_turn = _say(http, conversation, "It arrived broken, I want a refund please.")
        refund_id = next(
            e["data"]["refund_id"] for e in refund_turn["events"] if e["type"] == "refund_requested"
        )
        waiting = _wait(
            lambda: (s := http.get(f"/v1/refunds/{refund_id}").json()).get("custom_status") and s or None,
            "the refund workflow to wait for approval",
        )
        console.print(
            f"[bold magenta]workflow[/] refund {refund_id}: {waiting['status']}, {waiting['custom_status']}"
        )
        http.post(
            f"/v1/refunds/{refund_id}/decision", json={"approved": True, "by": "demo supervisor"}
        ).raise_for_status()
        console.print(f"[bold magenta]supervisor[/] approves refund {refund_id}")
        done = _wait(
            lambda: (s := http.get(f"/v1/refunds/{refund_id}").json())["status"] == "COMPLETED" and s or None,
            "the refund workflow to complete",
        )
        console.print(f"[bold magenta]workflow[/] refund {refund_id}: {done['status']} -> {done['output']}")
        events = _wait(
            lambda: (
                (e := notes.get("/events").json())
                and any(x["topic"] == "refund_decided" for x in e)
                and e
                or None
            ),
            "the refund_decided event",
        )
        history = http.get(f"/v1/conversations/{conversation}").json()
    topics = [e["topic"] for e in events]
    console.print(f"[bold]notifications received[/] {', '.join(topics)}")
    console.print(f"[bold]conversation {conversation}[/]: {len(history['turns'])} turns kept in actor state")
    return {
        "agents": [order["agent"], refund_turn["agent"]],
        "refund_id": refund_id,
        "refund": done,
        "topics": topics,
        "history": history,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--local", action="store_true", help="Redis/Postgres/RabbitMQ instead of embedded")
    parser.add_argument("--rabbitmq", action="store_true", help="with --local: pub/sub on RabbitMQ")
    args = parser.parse_args(argv)
    profile = "local" if args.local else "embedded"
    console.rule(f"Helpdesk — the complete DACA system ({profile})")
    started = time.monotonic()
    with run_helpdesk(
        profile,
        database_url=LOCAL_DATABASE if args.local else None,
        extra_env={"HELPDESK_PUBSUB": "pubsub-rabbitmq"} if args.rabbitmq else None,
        log=lambda m: console.print(f"[dim]{escape(m)}[/]"),
    ) as helpdesk:
        console.print(
            f"[dim]all up in {time.monotonic() - started:.1f} s; chat page at {helpdesk.gateway_url}/[/]"
        )
        console.rule("conversation")
        converse(helpdesk.gateway_url, helpdesk.notifications_url, f"demo-{int(time.time())}")
        console.rule("stopping")
    console.print(f"[green]Done in {time.monotonic() - started:.1f} s; everything stopped.[/]")


if __name__ == "__main__":
    main()
