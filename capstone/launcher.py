"""Starting the whole Helpdesk on real Dapr: control plane, the two apps and their sidecars.

Used by the demo (the README's main job) and by the end-to-end tests. Apps run as their own
processes (as in production), each next to its own daprd; logs go to files in the run's folder
and are shown when something fails to start.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from infra.dapr.binaries import ensure
from infra.dapr.harness import ControlPlane, DaprError, Sidecar, free_port
from infra.llm import serve as serve_llm

DEMO_SCRIPT = Path(__file__).parent / "agents" / "demo_script.json"


@dataclass
class Helpdesk:
    """A running system: where to reach it and where its logs are."""

    gateway_url: str
    notifications_url: str
    folder: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    sidecars: dict[str, str] = field(default_factory=dict)  # app id -> its daprd's HTTP endpoint


class _App:
    """An app process next to its sidecar; stopped (app, then sidecar) on exit."""

    def __init__(
        self,
        control_plane: ControlPlane,
        app_id: str,
        module: str,
        env: dict[str, str],
        folder: Path,
        components: str,
        args: list[str],
    ):
        self.port = free_port()
        self.sidecar = Sidecar(control_plane, app_id, self.port, components=components, workdir=folder)
        self.module, self.env, self.args, self.folder = module, env, args, folder
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> _App:
        self.sidecar.start()
        log = (self.folder / f"{self.sidecar.app_id}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, "--port", str(self.port), *self.args],
            env={**os.environ, **self.env, **self.sidecar.env()},
            stdout=log,
            stderr=log,
        )
        try:
            self.sidecar.wait_healthy(timeout=90)  # healthy once the app answers too
        except DaprError as exc:
            self.__exit__()
            app_log = (self.folder / f"{self.sidecar.app_id}.log").read_text(errors="replace")[-3000:]
            raise DaprError(f"{exc}\n--- {self.sidecar.app_id} app log ---\n{app_log}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.sidecar.stop()


@contextlib.contextmanager
def run_helpdesk(
    profile: str = "embedded",
    *,
    database_url: str | None = None,
    llm_script: Path | dict = DEMO_SCRIPT,
    extra_env: dict[str, str] | None = None,
    log=lambda _m: None,
) -> Iterator[Helpdesk]:
    """Start everything; yields a `Helpdesk`. `profile` picks the Dapr component set and store."""
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="helpdesk-")))
        log("Dapr binaries: " + (binaries := ensure(log=log)).describe())
        llm_url = stack.enter_context(serve_llm(llm_script))
        log(f"scripted LLM (OpenAI-compatible) at {llm_url}")
        env = {
            "HELPDESK_PROFILE": profile,
            "HELPDESK_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{folder / 'helpdesk.db'}",
            "DACA_LLM_BASE_URL": llm_url,
            "DACA_LLM_MODEL": "daca-scripted",
            "DACA_LLM_API_KEY": "demo",
            **(extra_env or {}),
        }
        control_plane = stack.enter_context(ControlPlane(binaries, workdir=folder))
        log(f"placement {control_plane.placement_address}, scheduler {control_plane.scheduler_address}")
        in_memory = profile == "embedded"  # in-memory pub/sub: one sidecar hosts both sides
        gateway = stack.enter_context(
            _App(
                control_plane,
                "gateway",
                "capstone.gateway",
                env,
                folder,
                profile,
                ["--seed", *(["--notifications"] if in_memory else [])],
            )
        )
        gateway_url = f"http://127.0.0.1:{gateway.port}"
        log(f"gateway on :{gateway.port} with daprd on :{gateway.sidecar.http_port}")
        processes = {"gateway": gateway.process}
        sidecars = {"gateway": gateway.sidecar.http_endpoint}
        if in_memory:
            notifications_url = f"{gateway_url}/notifications"
            log("notifications consumer mounted in the gateway (in-memory pub/sub stays in one sidecar)")
        else:
            notifications = stack.enter_context(
                _App(control_plane, "notifications", "capstone.notifications", env, folder, profile, [])
            )
            notifications_url = f"http://127.0.0.1:{notifications.port}"
            processes["notifications"] = notifications.process
            sidecars["notifications"] = notifications.sidecar.http_endpoint
            log(f"notifications on :{notifications.port} with daprd on :{notifications.sidecar.http_port}")
        yield Helpdesk(gateway_url, notifications_url, folder, env, processes, sidecars)
