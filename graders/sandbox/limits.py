"""OS limits for one sandbox: its own session, no network, and caps on memory, CPU and processes.

As root the sandbox also gets a private read-only filesystem and a uid of its own (see isolate.py),
and a cgroup so that everything it forks can be killed. Elsewhere those are skipped and reported.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import site
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from graders.sandbox import isolate

PIDS_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


@dataclass(frozen=True)
class SandboxLimits:
    """The subset of a lab's limits the sandbox enforces itself (wall time is the runner's)."""

    cpu_seconds: int
    memory_mb: int
    processes: int
    network: bool
    file_mb: int = 64


def _pids_root() -> Path | None:
    if os.geteuid() != 0:
        return None
    for root in PIDS_ROOTS:
        if not ((root / "cgroup.procs").exists() and os.access(root, os.W_OK)):
            continue
        controllers = root / "cgroup.subtree_control"  # v2 delegates pids to children; v1 mounts it alone
        if root.name == "pids" or (controllers.exists() and "pids" in controllers.read_text()):
            return root
    return None


def cgroup_for(pid: int) -> Path | None:
    root = _pids_root()
    return root / "daca" / f"sbx-{pid}" if root else None


def _track_processes() -> str:
    """Put the sandbox in a cgroup of its own so that everything it forks can be killed."""
    group = cgroup_for(os.getpid())
    if group is None:
        return "rlimit"
    group.mkdir(parents=True, exist_ok=True)
    (group / "cgroup.procs").write_text(str(os.getpid()))
    return "rlimit + cgroup"


def _vm_size_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) // 1024
    return 0


def apply(limits: SandboxLimits, workdir: Path, hide: list[str]) -> dict[str, object]:
    """Limit the calling process (a freshly forked sandbox) and say what was enforced."""
    os.setsid()
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    enforced: dict[str, object] = {"network": "allowed", "filesystem": "shared", "user": "same"}
    if not limits.network:
        isolated = os.geteuid() == 0 and isolate.unshare_network()
        enforced["network"] = "isolated" if isolated else "allowed (needs root)"
    enforced["processes"] = _track_processes()
    if os.geteuid() == 0:
        uid = isolate.sandbox_uid(os.getpid())
        expose = [sys.prefix, sys.base_prefix, *site.getsitepackages()]
        isolate.isolate(workdir, hide, expose, uid)
        enforced.update(filesystem="private, read-only", user=f"uid {uid}")
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    address_space = (_vm_size_mb() + limits.memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20, limits.file_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return enforced


def kill_sandbox(pid: int) -> None:
    """SIGKILL a sandbox, everything it started, and remove its cgroup."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    group = cgroup_for(pid)
    if group is None or not group.exists():
        return
    for _ in range(50):  # processes forked during the sweep need another pass
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            break
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        time.sleep(0.002)
    with contextlib.suppress(OSError):
        group.rmdir()
