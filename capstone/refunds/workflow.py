"""The refund workflow: small refunds are approved at once; larger ones wait for a human
decision (an external event) or time out and are rejected. The decision is written to the
store and published.

Activities run in the workflow runtime's threads; each opens its own short-lived engine, so the
workflow survives a process restart with nothing but its Dapr history.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from dapr.clients import DaprClient
from dapr.ext.workflow import DaprWorkflowContext, WorkflowActivityContext, WorkflowRuntime, when_any

from capstone.runtime import PUBSUB
from capstone.settings import HelpdeskSettings
from capstone.store import HelpdeskRepository, RefundStatus, create_engine, session_factory

APPROVAL_EVENT = "approval"


def refund_workflow(ctx: DaprWorkflowContext, refund: dict[str, Any]):
    """Decide a refund request: {"refund_id", "amount_cents", "auto_approve_cents", "timeout_s"}."""
    if refund["amount_cents"] <= refund["auto_approve_cents"]:
        approved, by = True, "auto"
    else:
        ctx.set_custom_status("awaiting approval")
        approval = ctx.wait_for_external_event(APPROVAL_EVENT)
        timeout = ctx.create_timer(timedelta(seconds=refund["timeout_s"]))
        winner = yield when_any([approval, timeout])
        if winner == approval:
            decision = approval.get_result() or {}
            approved, by = bool(decision.get("approved")), str(decision.get("by", "agent"))
        else:
            approved, by = False, "timeout"
    status = yield ctx.call_activity(
        record_decision, input={"refund_id": refund["refund_id"], "approved": approved}
    )
    outcome = {**refund, "status": status, "decided_by": by}
    yield ctx.call_activity(publish_decision, input=outcome)
    return outcome


def record_decision(_: WorkflowActivityContext, decision: dict[str, Any]) -> str:
    """Write approved/rejected to the store; a refund already decided keeps its status."""

    async def write() -> str:
        engine = create_engine(HelpdeskSettings().database_url)
        try:
            async with session_factory(engine)() as session:
                repository = HelpdeskRepository(session)
                refund = await repository.get_refund(decision["refund_id"])
                if refund.status is RefundStatus.PENDING:
                    status = RefundStatus.APPROVED if decision["approved"] else RefundStatus.REJECTED
                    await repository.set_refund_status(refund.id, status)
                    await session.commit()
                return refund.status.value
        finally:
            await engine.dispose()

    return asyncio.run(write())


def publish_decision(_: WorkflowActivityContext, outcome: dict[str, Any]) -> None:
    with DaprClient() as client:
        client.publish_event(
            PUBSUB, "refund_decided", json.dumps(outcome), data_content_type="application/json"
        )


def register(runtime: WorkflowRuntime) -> None:
    runtime.register_workflow(refund_workflow)
    runtime.register_activity(record_decision)
    runtime.register_activity(publish_decision)
