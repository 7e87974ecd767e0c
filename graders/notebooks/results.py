"""nbgrader's scores, as the project's own results.

Points come from nbgrader's gradebook, one `grade` row per cell, read with SQL from its SQLite file:
importing `nbgrader.api` costs seconds (through nbformat and jsonschema) on every `daca check`, and
a test pins this query to `nbgrader.api.Gradebook`'s answers. Why a cell failed comes from the
notebook nbgrader executed (`autograded/`), the error it recorded.
Each student's cells become a `RunResult` keyed like the `TestInfo` ids of `cells.graded_cells`, so
scoring, the gradebook, feedback and exports treat notebook labs like pytest labs.
"""

from __future__ import annotations

import json
import re
import sqlite3

from graders.markers import source_of
from graders.notebooks.cells import TestCell
from graders.notebooks.course import Course
from graders.runner import Outcome, RunResult

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
KINDS = {"AssertionError": "failed", "CellTimeoutError": "timeout", "DeadKernelError": "crash"}
WITHHELD = "details withheld: this cell has hidden tests"
GRADES = """
SELECT student.id, base_cell.name, grade.auto_score, grade_cells.max_score
FROM grade
JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id
JOIN notebook ON submitted_notebook.notebook_id = notebook.id
JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id
JOIN assignment ON submitted_assignment.assignment_id = assignment.id
JOIN student ON submitted_assignment.student_id = student.id
JOIN base_cell ON grade.cell_id = base_cell.id
JOIN grade_cells ON grade_cells.id = base_cell.id
WHERE assignment.name = ? AND notebook.name = ?
"""


def _failure(cell: dict, has_hidden: bool) -> tuple[str, str, str]:
    """Kind, message and printed output of a failed test cell of an executed notebook."""
    printed = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name, value = output.get("ename", "Error"), output.get("evalue", "")
            kind = KINDS.get(name, "error")
            if has_hidden:
                return kind, f"{name} ({WITHHELD})", ""
            trace = ANSI.sub("", "\n".join(output.get("traceback", [])))
            lines = [x for x in trace.splitlines() if x.strip("- ") and "Traceback (most recent" not in x]
            lines = lines[-12:]
            return kind, "\n".join([f"{name}: {value}".rstrip(": "), *lines]), printed
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = "" if has_hidden else ANSI.sub("", output.get("text", ""))[-800:]
            return "error", f"the cell wrote to stderr, which nbgrader scores as a failure\n{text}", printed
    return "failed", "nbgrader gave this cell less than full marks", printed


def _executed_cells(course: Course, student: str) -> dict[str, dict] | None:
    """grade_id -> cell of the notebook nbgrader executed; None when nbgrader removed it (the kernel
    died or never started: nbgrader then keeps only the empty grades it made before running)."""
    path = course.autograded_path(student)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return {
        c["metadata"]["nbgrader"]["grade_id"]: c
        for c in nb.get("cells", [])
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    }


def read_grades(course: Course) -> dict[str, dict[str, tuple[float | None, float]]]:
    """student -> grade_id -> (auto_score, max_score) of every graded cell nbgrader recorded."""
    grades: dict[str, dict[str, tuple[float | None, float]]] = {}
    db = sqlite3.connect(f"file:{course.root / 'gradebook.db'}?mode=ro", uri=True)
    try:
        for student, grade_id, auto, most in db.execute(GRADES, (course.assignment, course.notebook_id)):
            grades.setdefault(student, {})[grade_id] = (auto, most)
    finally:
        db.close()
    return grades


def read_results(course: Course, cells: list[TestCell], students: list[str]) -> dict[str, RunResult]:
    """Each student's outcome per test cell, from nbgrader's gradebook after `autograde`."""
    by_grade_id = {c.info.id.split("::", 1)[1]: c for c in cells}
    grades = read_grades(course)
    results: dict[str, RunResult] = {}
    for student in students:
        if student not in grades:
            results[student] = RunResult(problem="nbgrader did not grade this notebook (see its log)")
            continue
        executed = _executed_cells(course, student)
        if executed is None:
            results[student] = RunResult(problem="nbgrader could not run the notebook")
            continue
        result = RunResult(enforced={"grader": "nbgrader autograde"})
        for grade_id, (auto, most) in grades[student].items():
            cell = by_grade_id.get(grade_id)
            if cell is None:  # a solution cell with points, or one the lab does not know
                continue
            score = auto or 0.0
            if score >= most:
                result.outcomes[cell.info.id] = Outcome(passed=True)
                continue
            if grade_id not in executed:
                kind, message, printed = "error", "this test cell is missing from the notebook", ""
            else:
                kind, message, printed = _failure(executed[grade_id], cell.has_hidden)
            if score > 0:  # cells.py refuses cells that could give it; say so if it happens
                message = f"partial credit {score:g}/{most:g} counts as a failure\n{message}"
            result.outcomes[cell.info.id] = Outcome(passed=False, kind=kind, message=message, output=printed)
        results[student] = result
    return results


def cell_sources(text: str) -> list[str]:
    """The code of every code cell of a notebook text, for comparing editions."""
    return [source_of(c).rstrip() for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
