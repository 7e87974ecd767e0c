"""Bindings compiled into our daprd: a cron input binding calls the app on schedule."""

import shutil
import textwrap
import threading

from fastapi import FastAPI

from infra.dapr.harness import COMPONENT_SETS

pytest_plugins = ["infra.dapr.pytest_plugin"]


def test_cron_binding_calls_the_app(dapr_sidecar, tmp_path):
    components = shutil.copytree(COMPONENT_SETS["embedded"], tmp_path / "components")
    (components / "nightly-report.yaml").write_text(textwrap.dedent("""\
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: nightly-report
        spec:
          type: bindings.cron
          version: v1
          metadata:
            - name: schedule
              value: "@every 1s"
            - name: direction
              value: input
        """))
    ticks = threading.Semaphore(0)
    app = FastAPI()

    @app.post("/nightly-report")
    def report() -> dict:
        ticks.release()
        return {}

    dapr_sidecar("reports", app=app, components=components)
    assert ticks.acquire(timeout=10) and ticks.acquire(timeout=5), "cron binding did not fire twice"
