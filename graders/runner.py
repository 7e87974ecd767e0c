"""Running a lab's tests in this (trusted) process against student code in sandboxes.

pytest runs here with the instructor's test files and a fixed configuration; nothing from the
submission is on the path or in the configuration. Each test gets a fresh sandbox through the
`student` fixture. The result is one `Outcome` per test function, keyed like `TestInfo.id`.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graders import services as service_fixtures
from graders.labspec import Lab, Limits
from graders.remote import Student
from graders.sandbox.client import StudentCodeError, Zygote
from graders.testinfo import info_id

PYTEST_INI = Path(__file__).with_name("runner.ini")
# pytest plugins a lab run has no use for; each costs registration time on every submission
UNUSED_PLUGINS = [
    arg
    for name in (
        "cacheprovider",
        "stepwise",
        "unraisableexception",
        "threadexception",
        "doctest",
        "junitxml",
        "pastebin",
        "logging",
        "faulthandler",
        "setuponly",
        "setupplan",
        "legacypath",
        "tmpdir",
        "recwarn",
        "nose",
        "lsof",
        "debugging",
    )
    for arg in ("-p", f"no:{name}")
]


@dataclass
class Outcome:
    """How one test went. `message` is safe to show for visible tests only."""

    passed: bool
    message: str = ""
    kind: str = "passed"  # passed | failed | error | crash | timeout | skipped
    output: str = ""
    seconds: float = 0.0


@dataclass
class Budget:
    """Wall time left for the whole submission and for the test now running."""

    limits: Limits
    deadline: float = 0.0
    test_deadline: float = 0.0

    def start_test(self) -> None:
        self.test_deadline = time.monotonic() + self.limits.test_timeout

    def remaining(self) -> float:
        left = min(self.deadline, self.test_deadline) - time.monotonic()
        if left <= 0:
            raise StudentCodeError("the time limit for this test or submission was reached", kind="timeout")
        return left


@dataclass
class RunResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    problem: str = ""  # set when the tests themselves could not run
    enforced: dict = field(default_factory=dict)


def _describe(exc: BaseException) -> tuple[str, str]:
    """Kind and plain message of a test's exception, without pytest's costly traceback repr
    (formatting source context for a failure costs ~30 ms; a class has thousands of them)."""
    if isinstance(exc, StudentCodeError):
        detail = f"\n{exc.traceback.rstrip()}" if exc.traceback else ""
        return exc.kind, f"{exc}{detail}"
    return "failed", f"{type(exc).__name__}: {exc}".strip()


class SandboxPlugin:
    """Provides the `student` fixture and records outcomes."""

    def __init__(self, open_sandbox, limits: Limits, skip: set[str], services: list[str] = ()):
        self.open_sandbox, self.skip, self.services = open_sandbox, skip, list(services)
        self.budget = Budget(limits, deadline=time.monotonic() + limits.timeout)
        self.result = RunResult()
        self.current = None
        self.failed_imports: dict[str, StudentCodeError] = {}
        self.kinds: dict[str, str] = {}

    @pytest.fixture
    def student(self):
        self.budget.start_test()
        return Student(self._sandbox, self.budget, self.failed_imports)

    def _sandbox(self):
        """The submission's sandbox, shared by its tests; a new one after a crash or time-out."""
        if self.current is not None and self.current.dead:
            self.current.remove()
            self.current = None
        if self.current is None:
            self.current = self.open_sandbox()
            self.result.enforced = dict(self.current.enforced)
            if self.services and self.result.enforced.get("network") == "allowed":
                # loopback services live in the host's network namespace, not the sandbox's
                self.result.enforced["network"] = f"allowed (the lab uses {', '.join(self.services)})"
        return self.current

    def pytest_collection_modifyitems(self, config, items):
        kept = [i for i in items if info_id(i.nodeid) not in self.skip]
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        if call.excinfo is None or call.excinfo.errisinstance(pytest.skip.Exception):
            return None  # pytest's own report: passes and skips are cheap
        kind, message = _describe(call.excinfo.value)
        self.kinds[item.nodeid] = kind
        return pytest.TestReport(
            item.nodeid,
            item.location,
            {},
            "failed",
            message,
            call.when,
            duration=call.duration,
            start=call.start,
            stop=call.stop,
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        key = info_id(report.nodeid)
        outcome = self.result.outcomes.setdefault(key, Outcome(passed=True))
        outcome.seconds += report.duration
        if report.passed or not outcome.passed:
            return
        if report.skipped:
            kind, message = (
                "skipped",
                f"skipped: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr}",
            )
        else:
            kind, message = self.kinds.get(report.nodeid, "failed"), str(report.longrepr)
        outcome.passed, outcome.kind, outcome.message = False, kind, message
        outcome.output = self.current.output() if self.current else ""  # still there, even if dead

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.result.problem = f"the tests could not be collected:\n{report.longreprtext}"


def run_tests(
    lab: Lab,
    files: dict[str, Path],
    zygote: Zygote,
    *,
    hide: list[str] = (),
    skip: set[str] = frozenset(),
) -> RunResult:
    """Run the lab's tests with each test's sandbox holding `files`; tests in `skip` do not run.
    Tests may use the fixtures of graders.services (`redis_url`, `postgres_url`); the lab's
    services are reported in `enforced` when they are why the sandbox has network."""
    test_files, limits = lab.test_files(), lab.spec.limits

    def open_sandbox():
        return zygote.open(files, limits, hide=list(hide))

    plugin = SandboxPlugin(open_sandbox, limits, set(skip), lab.spec.services)
    args = [str(f) for f in test_files] + [
        "-c",
        str(PYTEST_INI),
        "--rootdir",
        str(test_files[0].parent),
        "--noconftest",
        "--import-mode=importlib",
        "-q",
        "--tb=no",
        *UNUSED_PLUGINS,
    ]
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only our plugin: none installed nearby
    # keep pytest's assertion-rewrite cache even under PYTHONDONTWRITEBYTECODE: rewriting a test
    # module costs ~90 ms, and a grading worker imports the same module for every submission
    no_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = pytest.main(args, plugins=[plugin, service_fixtures])
    finally:
        sys.dont_write_bytecode = no_bytecode
        if plugin.current is not None:
            plugin.current.remove()
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not plugin.result.problem:
        plugin.result.problem = f"pytest stopped with {code!r}"
    return plugin.result
