"""Self-verification: every reference solution scores 100% and every starter fails its tests."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from graders.check import check_files
from graders.labspec import Lab
from graders.markers import has_markers, starter_text, to_solution
from graders.sandbox.client import Zygote
from graders.scoring import Score


@dataclass
class LabVerdict:
    lab: Lab
    solution: Score
    starter: Score
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _edition(lab: Lab, folder: Path, make) -> dict[str, Path]:
    files = {}
    for name in lab.spec.files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(make(lab.root / name), encoding="utf-8")
        files[name] = target
    return files


def _scores(lab: Lab, course_root: Path, zygote: Zygote | None) -> tuple[Score, Score, list[str]]:
    """The reference solution's and the starter's scores, hidden tests included."""
    if lab.is_notebook:  # both in one nbgrader autograde run
        from graders.notebooks import verify_notebook

        return verify_notebook(lab, course_root)
    hide = [str(course_root)]
    with tempfile.TemporaryDirectory(prefix="daca-verify-") as tmp:
        solution_files = _edition(
            lab, Path(tmp) / "solution", lambda p: to_solution(p.read_text(encoding="utf-8"), str(p))
        )
        starter_files = _edition(lab, Path(tmp) / "starter", starter_text)
        solution = check_files(lab, solution_files, zygote, hidden=True, hide=hide)
        starter = check_files(lab, starter_files, zygote, hidden=True, hide=hide)
    return solution, starter, []


def verify_lab(lab: Lab, course_root: Path, zygote: Zygote | None) -> LabVerdict:
    solution, starter, problems = _scores(lab, course_root, zygote)
    verdict = LabVerdict(lab, solution, starter, list(problems))
    if solution.problem:
        verdict.problems.append(f"tests could not run: {solution.problem}")
    if starter.problem and lab.is_notebook:  # a pytest starter's problem fails its tests anyway
        verdict.problems.append(f"tests could not run on the starter: {starter.problem}")
    for t in solution.tests:
        if not t.outcome.passed:
            verdict.problems.append(
                f"solution fails {t.info.id}: {(t.outcome.message or t.outcome.kind).splitlines()[0]}"
            )
    for t in starter.tests:
        if t.outcome.passed and not t.info.passes_on_starter:
            fix = (
                "every test cell must fail"
                if lab.is_notebook
                else "mark it @passes_on_starter(reason) if meant"
            )
            verdict.problems.append(f"starter passes {t.info.id} ({fix})")
        if not t.outcome.passed and t.info.passes_on_starter:
            verdict.problems.append(f"starter fails {t.info.id}, marked as passing on the starter")
    if not any(t.info.hidden for t in solution.tests):
        verdict.problems.append("no hidden tests")
    if not any(has_markers((lab.root / f).read_text(encoding="utf-8")) for f in lab.spec.files):
        verdict.problems.append("no ### BEGIN SOLUTION block in the student files")
    return verdict


def verify(labs: list[Lab], course_root: Path):
    """Yield a verdict per lab; labs sharing preloads share one zygote."""
    zygotes: dict[tuple[str, ...], Zygote] = {}
    try:
        for lab in labs:
            if lab.is_notebook:  # nbgrader starts its own kernel
                yield verify_lab(lab, course_root, None)
                continue
            key = tuple(lab.preload())
            if key not in zygotes:
                zygotes[key] = Zygote.start(list(key))
            yield verify_lab(lab, course_root, zygotes[key])
    finally:
        for z in zygotes.values():
            z.stop()
