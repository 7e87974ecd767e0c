"""pytest fixtures for tests against real Dapr (register with `-p infra.dapr.pytest_plugin`).

- `dapr_binaries`: the pinned binaries; skips when absent, but fails when the CI variable is set.
- `dapr_control_plane`: placement + scheduler, once per session.
- `dapr_sidecar`: a factory, `dapr_sidecar("orders", app_port, components="local")`, whose daprds
  stop after the test; a failed test's report carries each sidecar's log.
- `local_services`: skips unless Redis, PostgreSQL and RabbitMQ answer on loopback.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra.dapr.appserver import serve
from infra.dapr.binaries import DAPR_VERSION, DaprBinaries, find
from infra.dapr.harness import ControlPlane, Sidecar, free_port

SERVICES = {"redis": 6379, "postgres": 5432, "rabbitmq": 5672}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "dapr: runs real Dapr processes (daprd, placement, scheduler)")


_SIDECARS = pytest.StashKey[list[Sidecar]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test's report ends with the log of every sidecar it started."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        for sidecar in item.stash.get(_SIDECARS, []):
            title = f"daprd[{sidecar.app_id}] log ({sidecar.log_path})"
            report.sections.append((title, sidecar.log_tail(80)))
    return report


@pytest.fixture(scope="session")
def dapr_binaries() -> DaprBinaries:
    found = find()
    if found is None:
        message = (f"Dapr {DAPR_VERSION} binaries not found: run `python -m infra.dapr install` "
                   f"(builds them with Go) or `dapr init --slim --runtime-version {DAPR_VERSION}`")
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is a failure, not a skip)", pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def dapr_control_plane(dapr_binaries: DaprBinaries) -> Iterator[ControlPlane]:
    with ControlPlane(dapr_binaries) as cp:
        yield cp


@pytest.fixture
def dapr_sidecar(dapr_control_plane: ControlPlane, request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Sidecar]]:
    """Start a daprd: `dapr_sidecar(app_id, app_port=None, app=None, components="embedded", ...)`.

    With `app` (an ASGI app such as FastAPI), the app is served on `app_port` (default: a free port)
    after the sidecar is up, as `dapr run` does, and the call returns once daprd has reached it.
    Unless `set_env=False`, the environment then points at this sidecar (DAPR_HTTP_PORT,
    DAPR_GRPC_PORT, ...), which the Python SDK reads; the last sidecar started wins. Everything
    stops after the test.
    """
    started: list[Sidecar] = []
    request.node.stash[_SIDECARS] = started
    apps = contextlib.ExitStack()

    def start(app_id: str, app_port: int | None = None, *, app: Any = None, wait_for_app: bool | None = None,
              set_env: bool = True, **kwargs: Any) -> Sidecar:
        if app is not None and app_port is None:
            app_port = free_port()
        sidecar = Sidecar(dapr_control_plane, app_id, app_port, **kwargs)
        started.append(sidecar)
        sidecar.start()
        if set_env:
            for name, value in sidecar.env().items():
                monkeypatch.setenv(name, value)
        if app is not None:
            apps.enter_context(serve(app, app_port))
        if wait_for_app or (wait_for_app is None and app is not None):
            sidecar.wait_healthy()
        return sidecar

    with apps:
        yield start
        for sidecar in reversed(started):
            sidecar.stop()


def services_down(names: tuple[str, ...] = tuple(SERVICES)) -> list[str]:
    down = []
    for name in names:
        try:
            socket.create_connection(("127.0.0.1", SERVICES[name]), timeout=0.5).close()
        except OSError:
            down.append(name)
    return down


@pytest.fixture(scope="session")
def local_services() -> None:
    down = services_down()
    if down:
        pytest.skip(f"{', '.join(down)} not up on 127.0.0.1: run `bash infra/services/up.sh`")


@pytest.fixture(params=["embedded", "local"])
def component_set(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over both component sets (local skips when services are down)."""
    if request.param == "local":
        request.getfixturevalue("local_services")
    return request.param
