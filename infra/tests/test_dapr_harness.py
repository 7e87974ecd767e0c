"""The harness and `python -m infra.dapr`: start-up time, failures that show the log, the run command."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from infra.dapr import binaries
from infra.dapr.cli import app
from infra.dapr.harness import ControlPlane, DaprError, Sidecar

pytest_plugins = ["infra.dapr.pytest_plugin"]
REPO = Path(__file__).resolve().parents[2]


def test_warm_start_of_control_plane_and_one_sidecar_is_quick(dapr_binaries):
    started = time.monotonic()
    with ControlPlane(dapr_binaries) as cp, Sidecar(cp, "warm-start") as sidecar:
        elapsed = time.monotonic() - started
        meta = httpx.get(f"{sidecar.http_endpoint}/v1.0/metadata").json()
    assert meta["runtimeVersion"] == binaries.DAPR_VERSION
    assert {c["name"] for c in meta["components"]} >= {"statestore", "pubsub"}
    assert elapsed <= 5, f"placement + scheduler + daprd took {elapsed:.1f} s"


def test_a_broken_component_fails_with_the_sidecar_log(dapr_control_plane, tmp_path):
    (tmp_path / "broken.yaml").write_text(textwrap.dedent("""\
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: statestore
        spec:
          type: state.nosuchstore
          version: v1
        """))
    sidecar = Sidecar(dapr_control_plane, "broken", components=tmp_path)
    with pytest.raises(DaprError) as failure:
        sidecar.start(timeout=20)
    assert "daprd[broken]" in str(failure.value)
    assert "nosuchstore" in str(failure.value)  # the log tail is in the message


def test_stop_ends_the_process_group(dapr_control_plane):
    sidecar = Sidecar(dapr_control_plane, "stopper").start()
    pid = sidecar._proc.popen.pid
    sidecar.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


def test_install_reports_version_and_source(dapr_binaries):
    result = CliRunner().invoke(app, ["install", "--no-build"])
    assert result.exit_code == 0, result.output
    assert f"Dapr {binaries.DAPR_VERSION} from" in result.output


def test_missing_binaries_without_go_tell_students_to_run_dapr_init(tmp_path, monkeypatch):
    monkeypatch.setenv("DACA_DAPR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = CliRunner().invoke(app, ["install"])
    assert result.exit_code == 1
    assert "dapr init --slim" in result.output


def test_run_gives_the_command_the_sidecar_ports(dapr_binaries):
    script = ("import os, sys, urllib.request;"
              "port = os.environ['DAPR_HTTP_PORT'];"
              "r = urllib.request.urlopen(f'http://127.0.0.1:{port}/v1.0/healthz/outbound');"
              "print('sidecar', r.status, os.environ['DAPR_GRPC_PORT'].isdigit()); sys.exit(3)")
    done = subprocess.run([sys.executable, "-m", "infra.dapr", "run", "--app-id", "cli-app", "--components",
                           "embedded", "--", sys.executable, "-c", script],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr  # the command's exit code is passed on
    assert "sidecar 204 True" in done.stdout
