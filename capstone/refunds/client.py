"""Starting, approving and reading refund workflows (one instance per refund: `refund-<id>`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from dapr.ext.workflow import DaprWorkflowClient

from capstone.refunds.workflow import APPROVAL_EVENT, refund_workflow
from capstone.settings import HelpdeskSettings


@cache
def _client() -> DaprWorkflowClient:
    """One gRPC channel to the sidecar per process, as for pub/sub (a channel per call costs ~10 ms)."""
    return DaprWorkflowClient()


def instance_id(refund_id: int) -> str:
    return f"refund-{refund_id}"


def start_refund(event: dict[str, Any]) -> str:
    """Schedule the workflow for a `refund_requested` event's data."""
    settings = HelpdeskSettings()
    refund = {
        "refund_id": event["refund_id"],
        "amount_cents": event["amount_cents"],
        "order_id": event.get("order_id"),
        "conversation_id": event.get("conversation_id"),
        "auto_approve_cents": settings.refund_auto_approve_cents,
        "timeout_s": settings.refund_approval_timeout_s,
    }
    return _client().schedule_new_workflow(
        refund_workflow, input=refund, instance_id=instance_id(event["refund_id"])
    )


def decide(refund_id: int, approved: bool, by: str) -> None:
    _client().raise_workflow_event(
        instance_id(refund_id), APPROVAL_EVENT, data={"approved": approved, "by": by}
    )


def state(refund_id: int) -> dict[str, Any] | None:
    found = _client().get_workflow_state(instance_id(refund_id))
    if found is None:
        return None
    return {
        "status": found.runtime_status.name,
        "custom_status": found.serialized_custom_status,
        "output": found.serialized_output,
    }
