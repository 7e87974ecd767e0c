"""An nbgrader course directory built from a notebook lab, and the nbgrader commands run in it.

nbgrader's own layout: `source/<assignment>/<notebook>.ipynb` (the instructor's notebook, with
solutions and hidden tests), `release/` (what `nbgrader generate_assignment` hands to students),
`submitted/<student>/<assignment>/` (what `nbgrader autograde` grades) and `gradebook.db`.
The assignment is the lab id; nbgrader runs as a separate process (`python -m nbgrader`), and the
student's cells run in the Jupyter kernel it starts, never in the process that writes our grades.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

COURSE_ID = "daca"
# A folder put first on nbgrader's PYTHONPATH holding a module that refuses to import: jsonschema
# (imported by nbformat) then skips `rfc3987_syntax`, whose grammar takes ~1.5-3 s to build in every
# nbgrader process; nbformat's notebook schema uses no IRI formats.
QUICK_IMPORTS = Path(__file__).with_name("_quick_imports")
CHECKOUT = Path(__file__).resolve().parents[2]  # where `graders` is imported from, for the kernel
STARTUP_TIMEOUT = 60  # seconds for a kernel to start (the Agents SDK import alone takes ~3 s)


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message carries its output."""


def ensure_python3_kernelspec() -> None:
    """Install ipykernel's `python3` kernelspec into `sys.prefix` unless one is visible."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix"], check=True)


def config_text(cell_timeout: float) -> str:
    """`nbgrader_config.py`: the course id and how long one cell may run. No root: nbgrader runs in
    the course folder, its default root, so a copied course works where it lands."""
    return (
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Execute.timeout = {max(1, round(cell_timeout))}\n"
        f"c.Execute.startup_timeout = {STARTUP_TIMEOUT}\n"
        # a graded kernel has nothing to save: a graceful shutdown only waits ~2 s per notebook
        'c.Execute.shutdown_kernel = "immediate"\n'
    )


def write_kernelspec(root: Path) -> None:
    """The course's own `python3` kernelspec (found first: JUPYTER_DATA_DIR is the course's): the
    confining launcher of kernel.py instead of plain ipykernel."""
    folder = root / ".data" / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "graders.notebooks.kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))


def nbgrader_env(root: Path, kernel_limits: dict | None = None) -> dict[str, str]:
    """The environment of nbgrader and its kernels: Jupyter's runtime files stay in the course,
    warnings are silenced (nbgrader scores a test cell that writes to stderr as failed), and the
    kernel launcher finds this checkout's `graders` and its limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "PYTEST_", "DACA_KERNEL"))}
    path = [str(QUICK_IMPORTS), str(CHECKOUT), os.environ.get("PYTHONPATH")]
    env.update(
        JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
        JUPYTER_DATA_DIR=str(root / ".data"),
        PYTHONPATH=os.pathsep.join(filter(None, path)),
        DACA_KERNEL_LIMITS=json.dumps(kernel_limits or {}),
        PYTHONWARNINGS="ignore",
        PYTHONDONTWRITEBYTECODE="1",
        OPENAI_AGENTS_DISABLE_TRACING="1",
    )
    return env


def run_nbgrader(
    root: Path,
    *args: str,
    timeout: float | None = None,
    tolerated_error: str | None = None,
    kernel_limits: dict | None = None,
) -> float:
    """Run `python -m nbgrader ARGS` in the course `root`; return its wall time in seconds.

    Raises NbgraderError when it fails (unless its stderr contains `tolerated_error`) or runs longer
    than `timeout`; a timed-out nbgrader is killed with the kernels it started."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=nbgrader_env(root, kernel_limits),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # one process group: nbgrader and its kernels die together
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise NbgraderError(f"nbgrader {args[0]} took longer than {timeout:g} s and was stopped") from None
    if proc.returncode != 0 and not (tolerated_error and tolerated_error in err):
        raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n{out}{err}")
    return time.perf_counter() - started


@dataclass(frozen=True)
class Course:
    """One nbgrader course directory holding one assignment with one notebook."""

    root: Path
    assignment: str
    notebook: str  # file name, e.g. prompt_chaining.ipynb

    @property
    def notebook_id(self) -> str:
        return Path(self.notebook).stem

    @property
    def gradebook_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def source_path(self) -> Path:
        return self.root / "source" / self.assignment / self.notebook

    def release_path(self) -> Path:
        return self.root / "release" / self.assignment / self.notebook

    def autograded_path(self, student: str) -> Path:
        return self.root / "autograded" / student / self.assignment / self.notebook

    def submit(self, student: str, notebook_text: str) -> None:
        """Put a student's notebook where `nbgrader autograde` looks for it."""
        folder = self.root / "submitted" / student / self.assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / self.notebook).write_text(notebook_text, encoding="utf-8")

    def autograde(self, timeout: float | None = None, kernel_limits: dict | None = None) -> float:
        """`nbgrader autograde` every submitted notebook, each in a confined kernel (kernel.py)
        with `kernel_limits` (memory_mb, processes, cpu_seconds, hide); returns the wall time."""
        write_kernelspec(self.root)
        return run_nbgrader(
            self.root, "autograde", self.assignment, "--force", timeout=timeout, kernel_limits=kernel_limits
        )

    def copy(self, root: Path) -> Course:
        """The released course (config, source, release, gradebook) copied to `root`, with no
        submissions: shards of a batch start from one `generate_assignment`."""
        shutil.copytree(self.root, root, ignore=shutil.ignore_patterns("submitted", "autograded", ".*"))
        return Course(root.resolve(), self.assignment, self.notebook)


def cache_dir() -> Path:
    """$DACA_CACHE/nbgrader, else ~/.cache/daca/nbgrader (or under $XDG_CACHE_HOME)."""
    if base := os.environ.get("DACA_CACHE"):
        return Path(base) / "nbgrader"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "daca" / "nbgrader"


def released_course(
    root: Path, assignment: str, notebook: str, source_text: str, cell_timeout: float
) -> Course:
    """A released course at `root`, copied from a cache keyed by everything that shapes it:
    `generate_assignment` costs seconds, and `daca check`/`watch` release the same notebook often."""
    key = hashlib.sha256(
        "\0".join(
            [
                version("nbgrader"),
                config_text(cell_timeout),
                assignment,
                notebook,
                str(cell_timeout),
                source_text,
            ]
        ).encode()
    ).hexdigest()[:24]
    cached = cache_dir() / key
    if not (cached / "gradebook.db").is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = cached.parent / f".{key}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        build_course(staging, assignment, notebook, source_text, cell_timeout)
        try:
            staging.rename(cached)  # atomic: a concurrent build of the same key just loses
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return Course(cached, assignment, notebook).copy(root)


def build_course(root: Path, assignment: str, notebook: str, source_text: str, cell_timeout: float) -> Course:
    """Write the course directory under `root` (absent or empty) and release the assignment with
    `nbgrader generate_assignment`, which records the test cells (hidden tests included) in the
    gradebook; `autograde` later restores them from there into every submission."""
    ensure_python3_kernelspec()
    root.mkdir(parents=True, exist_ok=True)
    course = Course(root.resolve(), assignment, notebook)
    course.source_path().parent.mkdir(parents=True)
    course.source_path().write_text(source_text, encoding="utf-8")
    (course.root / "nbgrader_config.py").write_text(config_text(cell_timeout))
    run_nbgrader(course.root, "generate_assignment", assignment, "--force", timeout=120)
    return course
