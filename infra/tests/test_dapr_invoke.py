"""Service invocation between two apps, each behind its own real daprd (mDNS name resolution)."""

import json

from dapr.clients import DaprClient
from fastapi import FastAPI, Request

from infra.dapr.appserver import serve

pytest_plugins = ["infra.dapr.pytest_plugin"]


def billing_app() -> FastAPI:
    app = FastAPI()

    @app.post("/refunds")
    async def refund(request: Request) -> dict:
        body = await request.json()
        return {"refunded": body["amount"], "caller": request.headers.get("dapr-caller-app-id"),
                "traceparent": request.headers.get("traceparent")}

    return app


def triage_app() -> FastAPI:
    app = FastAPI()

    @app.post("/ask")
    def ask(body: dict) -> dict:
        # The SDK reaches this app's own sidecar from DAPR_HTTP_PORT; daprd finds "billing".
        with DaprClient() as client:
            reply = client.invoke_method("billing", "refunds", data=json.dumps({"amount": body["amount"]}),
                                         content_type="application/json", http_verb="POST")
        return {"billing": reply.json()}

    return app


def test_one_app_calls_another_through_the_sidecars(dapr_sidecar):
    with serve(billing_app()) as billing_port, serve(triage_app()) as triage_port:
        dapr_sidecar("billing", billing_port, wait_for_app=True)
        triage = dapr_sidecar("triage", triage_port, wait_for_app=True)  # env now points at triage
        with DaprClient(triage.grpc_address) as client:
            reply = client.invoke_method("triage", "ask", data=json.dumps({"amount": 42}),
                                         content_type="application/json", http_verb="POST")
    billing = reply.json()["billing"]
    assert billing["refunded"] == 42
    assert billing["caller"] == "triage"  # the request went triage -> its daprd -> billing's daprd
    assert billing["traceparent"]  # tracing config samples every call: W3C context propagates

