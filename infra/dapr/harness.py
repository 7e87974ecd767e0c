"""Run real Dapr processes for tests and for students: placement + scheduler, and one daprd per app.

Every process gets free loopback ports, its own process group and a log file; `stop()` (also
registered with atexit, and a parent-death signal on Linux) ends the whole group, so nothing
outlives a failed or killed test run.

    with ControlPlane(ensure()) as cp, Sidecar(cp, app_id="orders", app_port=8000) as sc:
        DaprClient(f"127.0.0.1:{sc.grpc_port}")...
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from infra.dapr.binaries import DaprBinaries

HERE = Path(__file__).parent
COMPONENT_SETS = {"embedded": HERE / "components" / "embedded", "local": HERE / "components" / "local"}
CONFIG_FILE = HERE / "config" / "config.yaml"
RESILIENCY_DIR = HERE / "config" / "resiliency"

_LIVE: set[_Process] = set()  # started and not stopped yet: stopped at exit


class DaprError(RuntimeError):
    """A Dapr process did not start or become healthy; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def components_dir(components: str | os.PathLike[str]) -> Path:
    """A component set name ("embedded", "local") or a folder of component YAML files."""
    path = COMPONENT_SETS.get(str(components)) or Path(components)
    if not path.is_dir():
        raise DaprError(f"no component folder {path} (sets: {', '.join(COMPONENT_SETS)}, or a path)")
    return path.resolve()


try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # Linux: lets a child die with its parent
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent() -> None:  # runs in the child between fork and exec: no imports, no locks
    _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _preexec() -> Callable[[], None] | None:
    # The signal fires when the *thread* that started the child ends, so only the main thread
    # (which lives as long as the process) asks for it.
    return _die_with_parent if _prctl and threading.current_thread() is threading.main_thread() else None


class _Process:
    """One child process in its own process group, logging to a file."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.name, self.argv, self.log_path = name, list(argv), log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv, cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_preexec(),  # noqa: PLW1509 - only calls prctl, nothing that takes a lock
            )
        _LIVE.add(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def failure(self, what: str) -> DaprError:
        code = self.popen.poll()
        state = f"exited with code {code}" if code is not None else "still running"
        return DaprError(f"{self.name} {what} ({state}); last lines of {self.log_path}:\n{self.log_tail()}")

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the process group, SIGKILL it after `grace` seconds."""
        if self.popen.poll() is None:
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.popen.pid, sig)
                try:
                    self.popen.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)  # any child left in the group, right away
        _LIVE.discard(self)


@atexit.register
def stop_all() -> None:
    """Stop every Dapr process this Python process started and has not stopped yet."""
    for proc in list(_LIVE):
        proc.stop(grace=2.0)


def _wait_http(proc: _Process, url: str, timeout: float, ok: Sequence[int] = (200, 204)) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while True:
            if not proc.alive():
                raise proc.failure("exited before becoming healthy")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url).status_code in ok:
                    return
            if time.monotonic() > deadline:
                raise proc.failure(f"was not healthy at {url} within {timeout:.0f} s")
            time.sleep(0.05)


_PORT_TRIES = 3
_FATAL_MARKERS = ("daprd will exit gracefully", "level=fatal")


def _port_clash(proc: _Process) -> bool:
    return "address already in use" in proc.log_tail(400)


def _workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"daca-{prefix}-"))


class ControlPlane:
    """Placement (actors) and scheduler (reminders, jobs, workflow timers) on free ports."""

    def __init__(self, binaries: DaprBinaries, workdir: Path | None = None, log_level: str = "info",
                 keep_logs: bool = False) -> None:
        """`workdir` holds logs and the scheduler's etcd data; a temporary one is made if not given.

        `stop()` always deletes the etcd data (~60 MB) and deletes a temporary workdir too unless
        `keep_logs`.
        """
        self.binaries, self.log_level = binaries, log_level
        self._own_workdir, self.keep_logs = workdir is None, keep_logs
        self.workdir = workdir or _workdir("control")
        self.placement_port, self.scheduler_port = free_port(), free_port()
        self._procs: list[_Process] = []
        self._last: list[_Process] = []

    @property
    def placement_address(self) -> str:
        return f"127.0.0.1:{self.placement_port}"

    @property
    def scheduler_address(self) -> str:
        return f"127.0.0.1:{self.scheduler_port}"

    def start(self, timeout: float = 30.0) -> ControlPlane:
        for attempt in range(_PORT_TRIES):
            try:
                return self._start(timeout)
            except DaprError:
                if attempt + 1 < _PORT_TRIES and any(_port_clash(p) for p in self._last):
                    self.placement_port, self.scheduler_port = free_port(), free_port()
                    continue
                self.stop()
                raise
        raise AssertionError("unreachable")

    def _start(self, timeout: float) -> ControlPlane:
        b, w = self.binaries, self.workdir
        p_health, s_health = free_port(), free_port()
        placement = _Process("placement", [
            str(b.path("placement")), "--port", str(self.placement_port), "--listen-address", "127.0.0.1",
            "--healthz-port", str(p_health), "--healthz-listen-address", "127.0.0.1",
            "--initial-cluster", f"dapr-placement-0=127.0.0.1:{free_port()}",
            "--enable-metrics=false", "--log-level", self.log_level,
        ], w / "placement.log", cwd=w)
        self._procs.append(placement)
        scheduler = _Process("scheduler", [
            str(b.path("scheduler")), "--port", str(self.scheduler_port), "--listen-address", "127.0.0.1",
            "--healthz-port", str(s_health), "--healthz-listen-address", "127.0.0.1",
            "--etcd-data-dir", str(w / "etcd"), "--etcd-client-port", str(free_port()),
            "--etcd-client-listen-address", "127.0.0.1",
            "--etcd-initial-cluster", f"dapr-scheduler-server-0=http://127.0.0.1:{free_port()}",
            "--identity-directory-write", str(w / "identity"),
            "--enable-metrics=false", "--log-level", self.log_level,
        ], w / "scheduler.log", cwd=w)
        self._procs.append(scheduler)
        self._last = [placement, scheduler]
        try:
            _wait_http(placement, f"http://127.0.0.1:{p_health}/healthz", timeout)
            _wait_http(scheduler, f"http://127.0.0.1:{s_health}/healthz", timeout)
            if not (placement.alive() and scheduler.alive()):  # a healthz port answered by someone else
                raise (placement if not placement.alive() else scheduler).failure("exited")
        except BaseException:
            self._stop_processes()  # logs stay for the message and the port-clash check
            raise
        return self

    def _stop_processes(self) -> None:
        for proc in reversed(self._procs):
            proc.stop()
        self._procs.clear()

    def stop(self) -> None:
        self._stop_processes()
        shutil.rmtree(self.workdir / "etcd", ignore_errors=True)
        if self._own_workdir and not self.keep_logs:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Sidecar:
    """One daprd for one app, on free ports, talking to a ControlPlane."""

    def __init__(self, control_plane: ControlPlane, app_id: str, app_port: int | None = None, *,
                 components: str | os.PathLike[str] = "embedded", config: Path | None = CONFIG_FILE,
                 resources: Sequence[Path] = (RESILIENCY_DIR,), app_protocol: str = "http",
                 log_level: str = "info", extra_args: Sequence[str] = (),
                 workdir: Path | None = None) -> None:
        self.control_plane, self.app_id, self.app_port = control_plane, app_id, app_port
        self.components = components_dir(components)
        self.config, self.resources, self.app_protocol = config, list(resources), app_protocol
        self.log_level, self.extra_args = log_level, list(extra_args)
        self.workdir = workdir or control_plane.workdir
        self.http_port, self.grpc_port = free_port(), free_port()
        self._proc: _Process | None = None

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"daprd-{self.app_id}.log"

    def env(self) -> dict[str, str]:
        """Environment for the app, as `dapr run` sets it (the Python SDK reads these)."""
        env = {"APP_ID": self.app_id, "DAPR_HTTP_PORT": str(self.http_port),
               "DAPR_GRPC_PORT": str(self.grpc_port), "DAPR_HTTP_ENDPOINT": self.http_endpoint,
               "DAPR_GRPC_ENDPOINT": self.grpc_address}
        if self.app_port:
            env["APP_PORT"] = str(self.app_port)
        return env

    def argv(self) -> list[str]:
        cp = self.control_plane
        argv = [str(cp.binaries.path("daprd")), "--app-id", self.app_id, "--mode", "standalone",
                "--dapr-http-port", str(self.http_port), "--dapr-grpc-port", str(self.grpc_port),
                "--dapr-internal-grpc-port", str(free_port()), "--dapr-listen-addresses", "127.0.0.1",
                "--app-channel-address", "127.0.0.1", "--enable-metrics=false",
                "--placement-host-address", cp.placement_address,
                "--scheduler-host-address", cp.scheduler_address,
                "--resources-path", str(self.components), "--log-level", self.log_level]
        for path in self.resources:
            argv += ["--resources-path", str(path)]
        if self.config:
            argv += ["--config", str(self.config)]
        if self.app_port:
            argv += ["--app-port", str(self.app_port), "--app-protocol", self.app_protocol]
        return argv + self.extra_args

    def start(self, timeout: float = 30.0, wait: bool = True) -> Sidecar:
        """Start daprd; with `wait`, return once its APIs answer (/v1.0/healthz/outbound).

        Free ports are picked before daprd binds them, so another process may take one in between;
        then daprd is restarted on new ports (up to three tries).
        """
        for attempt in range(_PORT_TRIES):
            self._proc = _Process(f"daprd[{self.app_id}]", self.argv(), self.log_path, cwd=self.components)
            if not wait:
                return self
            try:
                self.wait_healthy(timeout, outbound=True)
                self._check_identity()
                return self
            except DaprError:
                if attempt + 1 < _PORT_TRIES and _port_clash(self._proc):
                    self.http_port, self.grpc_port = free_port(), free_port()
                    continue
                raise
        raise AssertionError("unreachable")

    def _check_identity(self) -> None:
        """Healthy is not enough: daprd 1.18 answers health checks for a moment after a component
        failed ("daprd will exit gracefully"), and a port may be answered by another daprd."""
        proc = self._proc
        assert proc is not None
        if any(marker in proc.log_tail(400) for marker in _FATAL_MARKERS):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(10)
            self.stop()
            raise proc.failure("failed to initialise")
        try:
            app_id = httpx.get(f"{self.http_endpoint}/v1.0/metadata", timeout=5).json().get("id")
        except (httpx.HTTPError, ValueError):
            app_id = None
        if app_id != self.app_id or not proc.alive():
            self.stop()
            raise proc.failure(f"was not the daprd answering on port {self.http_port} ({app_id})")

    def wait_healthy(self, timeout: float = 30.0, outbound: bool = False) -> None:
        """Wait for /v1.0/healthz/outbound (APIs ready) or, by default, /v1.0/healthz (app too)."""
        if self._proc is None:
            raise DaprError(f"daprd[{self.app_id}] was not started")
        path = "/v1.0/healthz/outbound" if outbound else "/v1.0/healthz"
        try:
            _wait_http(self._proc, self.http_endpoint + path, timeout, ok=(204,))
        except BaseException:
            self.stop()
            raise

    def log_tail(self, lines: int = 60) -> str:
        return self._proc.log_tail(lines) if self._proc else ""

    def stop(self) -> None:
        if self._proc:
            self._proc.stop()

    def __enter__(self) -> Sidecar:
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
