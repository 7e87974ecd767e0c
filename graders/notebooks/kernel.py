"""The Jupyter kernel nbgrader starts for a student's notebook, confined before any cell runs.

nbgrader finds this launcher as the `python3` kernelspec of the course (course.write_kernelspec);
it confines its own process, then becomes ipykernel with `exec`. As root (the grading server): a
private read-only filesystem where the course checkout, the grading output, $HOME and /tmp are
empty, and a uid of its own, as graders/sandbox gives pytest labs' sandboxes — so a notebook (or a
process it leaves behind) cannot rewrite nbgrader's gradebook or ours. Everywhere: limits on memory,
CPU seconds and file size, and death with nbgrader. The network stays: the kernel talks to
nbgrader over local TCP.

    python -m graders.notebooks.kernel -f CONNECTION_FILE   (limits in $DACA_KERNEL_LIMITS)
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import site
import sys
import tempfile
from pathlib import Path

LIMITS_ENV = "DACA_KERNEL_LIMITS"
BASE_ADDRESS_SPACE_MB = 1536  # Python, ipykernel, the Agents SDK and their threads' reservations
PR_SET_PDEATHSIG = 1


def _confine(connection: Path, limits: dict) -> Path:
    """Confine this process; returns where the connection file now is."""
    hide = [*limits.get("hide", []), str(Path.home()), tempfile.gettempdir(), "/var/tmp"]
    # in the course's runtime folder, so that removing the course removes it too
    runtime = Path(os.environ.get("JUPYTER_RUNTIME_DIR") or tempfile.gettempdir())
    runtime.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="kernel-", dir=runtime))
    copy = home / "kernel.json"
    shutil.copyfile(connection, copy)  # jupyter writes it 0600 for its owner: read it while we can
    os.environ.update(HOME=str(home), IPYTHONDIR=str(home / ".ipython"), JUPYTER_RUNTIME_DIR=str(home))
    os.environ["MPLCONFIGDIR"] = str(home / ".matplotlib")
    if os.geteuid() == 0:
        from graders.sandbox import isolate

        expose = [sys.prefix, sys.base_prefix, *site.getsitepackages()]
        uid = isolate.sandbox_uid(os.getpid())
        isolate.isolate(home, hide, expose, uid)
        os.chdir(home)
        nproc = int(limits.get("processes", 64))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))  # per uid: only with a uid of its own
    memory = (BASE_ADDRESS_SPACE_MB + int(limits.get("memory_mb", 1024))) << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.get("cpu_seconds", 60))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # die with nbgrader (a stopped nbgrader leaves no kernel behind); set after the uid change,
    # which clears it, and kept across exec
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
    if os.getppid() == 1:
        raise SystemExit("nbgrader is gone")
    return copy


def main(argv: list[str]) -> None:
    if "-f" not in argv[:-1]:
        raise SystemExit("usage: python -m graders.notebooks.kernel -f CONNECTION_FILE [ipykernel args]")
    at = argv.index("-f") + 1
    limits = json.loads(os.environ.pop(LIMITS_ENV, "{}"))
    argv[at] = str(_confine(Path(argv[at]), limits))
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
