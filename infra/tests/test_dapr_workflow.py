"""A Dapr workflow on a real daprd: two activities, an external event, and a timeout."""

import types
import uuid
from datetime import timedelta

import pytest
from dapr.ext.workflow import (
    DaprWorkflowClient,
    DaprWorkflowContext,
    WorkflowActivityContext,
    WorkflowRuntime,
    WorkflowStatus,
    when_any,
)

pytest_plugins = ["infra.dapr.pytest_plugin"]


def check_refund(ctx: WorkflowActivityContext, order: dict) -> dict:
    return {"order": order["id"], "amount": order["amount"], "needs_approval": order["amount"] > 100}


def issue_refund(ctx: WorkflowActivityContext, check: dict) -> str:
    return f"refunded {check['amount']} for {check['order']}"


def refund_workflow(ctx: DaprWorkflowContext, order: dict):
    check = yield ctx.call_activity(check_refund, input=order)
    if check["needs_approval"]:
        approval = ctx.wait_for_external_event("approval")
        timeout = ctx.create_timer(timedelta(seconds=order["approval_seconds"]))
        winner = yield when_any([approval, timeout])
        if winner == timeout:
            return {"status": "timed out", "order": order["id"]}
        if not approval.get_result()["approved"]:
            return {"status": "rejected", "order": order["id"]}
    receipt = yield ctx.call_activity(issue_refund, input=check)
    return {"status": "refunded", "receipt": receipt}


def _fresh(fn):
    """A copy of `fn`: the SDK marks a function as registered, so each runtime gets its own copy."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__annotations__ = fn.__annotations__
    return copy


@pytest.fixture
def workflows(component_set, dapr_sidecar):
    sidecar = dapr_sidecar("refunds", components=component_set)
    host, port = sidecar.grpc_address.split(":")
    runtime = WorkflowRuntime(host=host, port=port)
    runtime.register_workflow(_fresh(refund_workflow))
    runtime.register_activity(_fresh(check_refund))
    runtime.register_activity(_fresh(issue_refund))
    runtime.start()
    client = DaprWorkflowClient(host=host, port=port)
    try:
        yield client
    finally:
        client.close()
        runtime.shutdown()


def _run(client, order: dict, event: dict | None = None, timeout: int = 30):
    instance_id = f"refund-{uuid.uuid4().hex}"
    instance = client.schedule_new_workflow(refund_workflow, input=order, instance_id=instance_id)
    if event is not None:
        client.wait_for_workflow_start(instance, timeout_in_seconds=timeout)
        client.raise_workflow_event(instance, "approval", data=event)
    state = client.wait_for_workflow_completion(instance, timeout_in_seconds=timeout)
    assert state is not None and state.runtime_status == WorkflowStatus.COMPLETED, state
    return state.serialized_output


def test_small_refund_runs_both_activities(workflows):
    out = _run(workflows, {"id": "o-1", "amount": 20, "approval_seconds": 30})
    assert '"status": "refunded"' in out and "refunded 20 for o-1" in out


def test_large_refund_waits_for_the_approval_event(workflows):
    out = _run(workflows, {"id": "o-2", "amount": 500, "approval_seconds": 30}, event={"approved": True})
    assert "refunded 500 for o-2" in out


def test_large_refund_times_out_without_approval(workflows):
    out = _run(workflows, {"id": "o-3", "amount": 500, "approval_seconds": 1})
    assert '"status": "timed out"' in out
