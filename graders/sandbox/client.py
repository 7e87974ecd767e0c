"""The runner side: start a zygote, open sandboxes from it, and talk to student code by proxy."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from graders.sandbox import limits, wire

ALWAYS_HIDDEN = [str(Path.home()), tempfile.gettempdir(), "/var/tmp"]


class StudentCodeError(Exception):
    """The student's code raised, crashed or ran out of time; the message says which, plainly."""

    def __init__(self, message: str, *, kind: str = "error", type: str = "", traceback: str = ""):
        super().__init__(message)
        self.kind, self.type, self.traceback = kind, type, traceback


class Zygote:
    """A warm process that forks sandboxes. Use `start` for a private one, `shared` for a daemon."""

    def __init__(self, socket_path: Path, process: subprocess.Popen | None):
        self.socket_path = socket_path
        self.process = process

    @classmethod
    def start(
        cls, preload: list[str], *, socket_path: Path | None = None, idle: float = 0, detach: bool = False
    ) -> Zygote:
        if socket_path is None:
            socket_path = Path(tempfile.mkdtemp(prefix="daca-zygote-")) / "zygote.sock"
        cmd = [
            sys.executable,
            "-I",
            "-m",
            "graders.sandbox.zygote",
            "--socket",
            str(socket_path),
            "--preload",
            ",".join(preload),
            "--idle",
            str(idle),
        ]
        # a detached daemon must not hold the caller's stderr open (CI waits for it to close)
        log = open(socket_path.with_suffix(".log"), "ab") if detach else None  # noqa: SIM115
        process = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            stderr=log,
            start_new_session=detach,
            env=_zygote_env(),
        )
        if log:
            log.close()
        line = process.stdout.readline().strip()
        if line != b"ready":
            process.kill()
            raise RuntimeError(f"the sandbox zygote did not start (said {line!r}); run: {' '.join(cmd)}")
        return cls(socket_path, None if detach else process)

    @classmethod
    def shared(cls, preload: list[str]) -> Zygote:
        """A per-user daemon reused by later `daca check` runs, so they skip the heavy imports."""
        key = hashlib.sha256(repr((sys.executable, preload, _code_stamp())).encode()).hexdigest()[:12]
        folder = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / f"daca-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / f"zygote-{key}.sock"
        zygote = cls(path, None)
        if zygote.alive():
            return zygote
        path.unlink(missing_ok=True)
        idle = float(os.environ.get("DACA_ZYGOTE_IDLE", "900"))
        return cls.start(preload, socket_path=path, idle=idle, detach=True)

    def alive(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(1)
                probe.connect(str(self.socket_path))
            return True
        except OSError:
            return False

    def open(
        self,
        files: dict[str, Path],
        lab_limits: Any,
        *,
        hide: list[str] = (),
        env: dict[str, str] | None = None,
    ) -> Sandbox:
        """A new sandbox whose working folder holds copies of `files` (name -> source path);
        `hide` are folders the student's code must not see (course, output, home)."""
        workdir = Path(tempfile.mkdtemp(prefix="daca-sbx-"))
        for name, source in files.items():
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(30)
        conn.connect(str(self.socket_path))
        cpu = int(lab_limits.timeout) + 1
        wire.send(
            conn,
            {
                "workdir": str(workdir),
                "env": env or {},
                "hide": [*hide, *ALWAYS_HIDDEN],
                "limits": {
                    "cpu_seconds": cpu,
                    "memory_mb": lab_limits.memory_mb,
                    "processes": lab_limits.processes,
                    "network": lab_limits.network,
                },
            },
        )
        hello = wire.receive(conn)
        if not hello.get("ok"):
            conn.close()
            raise RuntimeError(f"could not set up a sandbox: {hello.get('error')}")
        return Sandbox(conn, hello["pid"], workdir, hello["enforced"])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            shutil.rmtree(self.socket_path.parent, ignore_errors=True)


def _code_stamp() -> str:
    here = Path(__file__).parent
    return ",".join(str(p.stat().st_mtime_ns) for p in sorted(here.glob("*.py")))


def _zygote_env() -> dict[str, str]:
    # -I ignores PYTHONPATH; the project itself is importable through its installation.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR")
    return {k: v for k, v in os.environ.items() if k in keep}


class Sandbox:
    """One forked sandbox: send requests with a deadline; kill it when done or when it misbehaves."""

    def __init__(self, conn: socket.socket, pid: int, workdir: Path, enforced: dict):
        self.conn, self.pid, self.workdir, self.enforced = conn, pid, workdir, enforced
        self.dead: str | None = None

    def request(self, message: dict[str, Any], timeout: float, doing: str) -> dict[str, Any]:
        if self.dead:
            raise StudentCodeError(self.dead, kind="crash")
        self.conn.settimeout(max(timeout, 0.001))
        started = time.monotonic()
        try:
            wire.send(self.conn, message)
            reply = wire.receive(self.conn)
        except TimeoutError:
            self.dead = f"timed out after {time.monotonic() - started:.0f} s while running {doing}"
            self.close()
            raise StudentCodeError(self.dead, kind="timeout") from None
        except (OSError, wire.WireError):
            self.dead = (
                f"your program stopped while running {doing} (it exited, crashed or "
                f"ran out of memory){self._tail()}"
            )
            self.close()
            raise StudentCodeError(self.dead, kind="crash") from None
        if not isinstance(reply, dict):
            raise StudentCodeError(f"the sandbox sent {type(reply).__name__}, not a reply", kind="crash")
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise StudentCodeError(
                f"{doing} raised {error.get('message', 'an error')}",
                kind="error",
                type=str(error.get("type", "")),
                traceback=str(error.get("traceback", "")),
            )
        return reply

    def output(self, limit: int = 4000) -> str:
        """The last `limit` characters the student's code printed."""
        try:
            return (self.workdir / ".output").read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def _tail(self) -> str:
        out = self.output(600).strip()
        return f"; its last output was:\n{out}" if out else ""

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            limits.kill_sandbox(self.pid)

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
