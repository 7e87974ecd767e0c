"""Baseline for the grading-engine benchmark: real ``nbgrader autograde`` on lab 2.

``run_nbgrader_baseline`` builds a throw-away nbgrader course around the source notebook in
``nbgrader_assignment/`` (AI-201 lab 2, function tools), releases it with
``nbgrader generate_assignment``, writes synthetic submissions derived from the released
notebook, and times one ``nbgrader autograde`` process that grades them all. Scores come from
nbgrader's gradebook and are checked against the score each kind of submission must earn, so a
misconfigured nbgrader cannot produce a flattering (fast but wrong) baseline.

Only a Jupyter kernel is needed (the ``python3`` kernelspec), never a Jupyter server::

    python -m graders.bench.nbgrader_baseline --n 20
"""

from __future__ import annotations

import argparse
import copy
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from graders.notebooks.course import COURSE_ID, config_text, ensure_python3_kernelspec, run_nbgrader

ASSIGNMENT = "lab02"
NOTEBOOK = "lab02_function_tools.ipynb"
SOURCE_NOTEBOOK = Path(__file__).with_name("nbgrader_assignment") / NOTEBOOK
MAX_SCORE = 10.0
EXECUTE_TIMEOUT_SECONDS = 60

# A submission kind: (edits, expected score). Edits map a solution cell's grade_id to
# (old, new) replacements applied to the reference solution; None keeps the released stub
# ("# YOUR CODE HERE / raise NotImplementedError()"), i.e. an unattempted lab.
_UNKNOWN_RETURN = 'return f"Error: unknown order id {order_id!r}."'
KINDS: dict[str, tuple[dict[str, list[tuple[str, str]]] | None, float]] = {
    # correct: the reference solution, and one that raises for unknown ids (the SDK then
    # sends its generic tool-error message to the model, which the test accepts)
    "correct": ({}, MAX_SCORE),
    "correct_raises": (
        {"lookup_order": [(_UNKNOWN_RETURN, 'raise KeyError(f"unknown order id {order_id!r}")')]},
        MAX_SCORE,
    ),
    # partially wrong
    "wrong_agent_name": ({"build_agent": [('name="Orders"', 'name="orders"')]}, 8.0),
    "silent_unknown_id": ({"lookup_order": [(_UNKNOWN_RETURN, 'return ""')]}, 8.0),
    # (the unknown-id test still passes: the SDK's generic tool-error message says "error")
    "renamed_parameter": ({"lookup_order": [("order_id", "oid")]}, 5.0),
    # broken
    "syntax_error": ({"lookup_order": [("return status", "return status status")]}, 1.0),
    "unattempted": (None, 0.0),
}
# Ten-slot cycle: 50% correct, 30% partially wrong, 20% broken.
MIX = [
    *["correct", "correct_raises"] * 2 + ["correct"],
    *["wrong_agent_name", "silent_unknown_id", "renamed_parameter"],
    *["syntax_error", "unattempted"],
]


def _nbgrader(course: Path, *args: str, tolerated_error: str | None = None) -> float:
    """Run one ``nbgrader`` command in ``course`` as ``daca grade`` runs it; return its wall time."""
    return run_nbgrader(course, *args, tolerated_error=tolerated_error)


def build_course(course: Path) -> None:
    """Write nbgrader_config.py and source/, then release the lab with generate_assignment."""
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(SOURCE_NOTEBOOK, course / "source" / ASSIGNMENT / NOTEBOOK)
    (course / "nbgrader_config.py").write_text(config_text(EXECUTE_TIMEOUT_SECONDS))
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")


def reference_solutions() -> dict[str, str]:
    """Reference code of each solution cell, keyed by grade_id, without the solution markers."""
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return {
        cell.metadata.nbgrader["grade_id"]: "\n".join(
            line for line in cell.source.splitlines() if line.strip() not in markers
        )
        for cell in nbformat.read(SOURCE_NOTEBOOK, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def make_submission(
    released: nbformat.NotebookNode, solutions: dict[str, str], kind: str
) -> nbformat.NotebookNode:
    """Return the released notebook as a student of ``kind`` would submit it."""
    edits, _ = KINDS[kind]
    notebook = copy.deepcopy(released)
    if edits is None:
        return notebook
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            source = solutions[grade_id]
            for old, new in edits.get(grade_id, []):
                if old not in source:
                    raise ValueError(f"edit {old!r} does not apply to cell {grade_id!r}")
                source = source.replace(old, new)
            cell.source = source
    return notebook


def write_submissions(course: Path, n: int) -> dict[str, str]:
    """Write ``n`` submissions under submitted/<student>/lab02/; return {student: kind}."""
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solutions = reference_solutions()
    kinds = {f"s{i:03d}": MIX[i % len(MIX)] for i in range(n)}
    for student, kind in kinds.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(make_submission(released, solutions, kind), folder / NOTEBOOK)
    return kinds


def read_scores(course: Path, students: list[str]) -> dict[str, float]:
    """Total autograded score of each student's lab02 submission, from nbgrader's gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=COURSE_ID) as gradebook:
        return {s: gradebook.find_submission(ASSIGNMENT, s).score for s in students}


def check_scores(scores: dict[str, float], kinds: dict[str, str]) -> None:
    """Raise unless every submission earned exactly the score its kind must earn."""
    wrong = {
        student: (kind, scores[student], KINDS[kind][1])
        for student, kind in kinds.items()
        if abs(scores[student] - KINDS[kind][1]) > 1e-9
    }
    if wrong:
        raise AssertionError(f"nbgrader scores differ from expected (kind, got, expected): {wrong}")


def run_nbgrader_baseline(n: int, workdir: Path) -> dict:
    """Grade ``n`` synthetic lab-2 submissions with real ``nbgrader autograde``; time it.

    ``workdir`` must be empty or absent; the nbgrader course is built inside it and kept, so
    the autograded notebooks and gradebook.db can be inspected afterwards.

    Returns ``{"submissions", "seconds", "startup_seconds", "scores", "kinds"}``: ``seconds`` is
    the wall time of the single ``nbgrader autograde lab02 --force`` process grading all
    submissions; ``startup_seconds`` is the wall time of the same command when it selects no
    student (process start, config, database), the fixed cost inside ``seconds``. Per-notebook
    kernel start-up is not in it: nbgrader starts one kernel per submission. ``scores`` is
    {student: total points out of 10} and ``kinds`` {student: submission kind}.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    workdir = Path(workdir).resolve()
    if workdir.exists() and any(workdir.iterdir()):
        raise FileExistsError(f"{workdir} is not empty")
    workdir.mkdir(parents=True, exist_ok=True)
    ensure_python3_kernelspec()
    build_course(workdir)
    kinds = write_submissions(workdir, n)
    # nbgrader exits 1 when --student matches nothing, after paying its whole start-up cost
    startup = _nbgrader(
        workdir,
        "autograde",
        ASSIGNMENT,
        "--student=nobody",
        "--force",
        tolerated_error="No notebooks were matched",
    )
    seconds = _nbgrader(workdir, "autograde", ASSIGNMENT, "--force")
    scores = read_scores(workdir, list(kinds))
    check_scores(scores, kinds)
    return {
        "submissions": n,
        "seconds": seconds,
        "startup_seconds": startup,
        "scores": scores,
        "kinds": kinds,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: run the baseline once and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="number of submissions (default 20)")
    parser.add_argument("--workdir", type=Path, help="keep the course here (default: temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nbgrader-baseline-") as tmp:
        result = run_nbgrader_baseline(args.n, args.workdir or Path(tmp) / "course")
    per = (result["seconds"] - result["startup_seconds"]) / result["submissions"]
    print(f"submissions:          {result['submissions']}")
    print(f"autograde wall time:  {result['seconds']:.2f} s")
    print(f"fixed start-up:       {result['startup_seconds']:.2f} s")
    print(f"per submission:       {per:.2f} s")
    mean = sum(result["scores"].values()) / result["submissions"]
    print(f"mean score:           {mean:.2f} / {MAX_SCORE:g}")


if __name__ == "__main__":
    main()
