"""Turning test outcomes into points, using only the instructor's static test information."""

from __future__ import annotations

from dataclasses import dataclass

from graders.runner import Outcome, RunResult
from graders.testinfo import TestInfo

VERB = {"error": "raised an error", "crash": "crashed", "timeout": "timed out"}
NOT_RUN = Outcome(passed=False, kind="error", message="this test did not run")


@dataclass(frozen=True)
class TestScore:
    __test__ = False

    info: TestInfo
    outcome: Outcome

    @property
    def score(self) -> float:
        return self.info.points if self.outcome.passed else 0.0


@dataclass(frozen=True)
class Score:
    tests: list[TestScore]
    problem: str = ""

    @property
    def earned(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def possible(self) -> float:
        return sum(t.info.points for t in self.tests)

    @property
    def first_failure(self) -> TestScore | None:
        return next((t for t in self.tests if not t.outcome.passed), None)

    def summary(self) -> str:
        """Why points were lost, in a few words (kinds of failure and how many)."""
        kinds: dict[str, int] = {}
        for t in self.tests:
            if not t.outcome.passed:
                kinds[t.outcome.kind] = kinds.get(t.outcome.kind, 0) + 1
        parts = [f"{n} test{'s' * (n > 1)} {VERB.get(kind, kind)}" for kind, n in sorted(kinds.items())]
        return "; ".join(([self.problem] if self.problem else []) + parts)


def score(infos: list[TestInfo], result: RunResult) -> Score:
    """One TestScore per graded test; a test with no outcome scores nothing."""
    tests = [TestScore(info, result.outcomes.get(info.id, NOT_RUN)) for info in infos]
    return Score(tests, result.problem)
