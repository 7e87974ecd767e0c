"""What a notebook lab's tests are worth, read statically from the instructor's notebook.

Each autograded test cell (nbgrader metadata `grade: true` on a code cell that is not a solution)
is one test: its `grade_id` names it, `points` weighs it, its first `# comment` line describes it.
A cell whose code lies wholly between `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS` is a hidden
test; a cell that also has visible code keeps its description visible but never shows its failure
details (the traceback could quote a hidden assertion).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from graders.labspec import LabFormatError
from graders.markers import BEGIN_HIDDEN, END_HIDDEN, MarkerError, source_of, to_starter
from graders.testinfo import TestInfo

TOP_LEVEL_AWAIT = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


class NotebookError(LabFormatError):
    """A notebook that is not valid JSON, not a notebook, or has malformed nbgrader cells."""


@dataclass(frozen=True)
class TestCell:
    __test__ = False

    info: TestInfo
    has_hidden: bool  # some of its code is hidden: never show failure details


def load_notebook(text: str, where: str) -> dict:
    """A notebook's JSON with the structure grading relies on; errors name the file and cell.
    (nbgrader validates the rest; nbformat's own validator costs seconds to import.)"""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{where}: not a valid notebook: not JSON ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{where}: not a valid notebook: no list of 'cells'")
    if nb.get("nbformat") != 4:
        raise NotebookError(f"{where}: field 'nbformat' is {nb.get('nbformat')!r}; need version 4")
    for n, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookError(f"{where} cell {n}: field 'cell_type' must be code, markdown or raw")
        source = cell.get("source")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(line, str) for line in source)
        ):
            raise NotebookError(f"{where} cell {n}: field 'source' must be text or a list of lines")
        if not isinstance(cell.get("metadata", {}), dict):
            raise NotebookError(f"{where} cell {n}: field 'metadata' must be an object")
    return nb


def _description(code: str, grade_id: str) -> str:
    for line in code.splitlines():
        text = line.strip()
        if text.startswith("#") and not text.startswith("###"):
            return text.lstrip("#").strip()
        if text and not text.startswith("#"):
            break
    return grade_id.removeprefix("test_").replace("_", " ")


def _check_last_statement(code: str, where: str) -> None:
    """nbgrader gives partial credit when a test cell's last expression is a number: a test cell
    must end with a statement, so that it scores all or nothing, as pytest tests do."""
    try:
        tree = compile(code, where, "exec", flags=TOP_LEVEL_AWAIT)
    except SyntaxError as exc:
        raise NotebookError(
            f"{where}: the test cell is not valid Python: {exc.msg} (line {exc.lineno})"
        ) from None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not isinstance(tree.body[-1].value, ast.Await):
        raise NotebookError(
            f"{where}: the test cell ends with an expression; nbgrader would read its value as "
            "partial credit. End it with a statement (an assert or an assignment)."
        )


def graded_cells(path: Path, text: str | None = None) -> list[TestCell]:
    """Every autograded test cell of the notebook at `path`, in order."""
    where = str(path)
    nb = load_notebook(path.read_text(encoding="utf-8") if text is None else text, where)
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":  # nbgrader runs every submission on the source's kernel: ours is python3
        raise NotebookError(f"{where}: field 'metadata.kernelspec.name' must be 'python3', not {kernel!r}")
    cells, seen = [], set()
    for n, cell in enumerate(nb["cells"], 1):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta or not meta.get("grade") or meta.get("solution"):
            continue
        here = f"{where} cell {n}"
        grade_id = meta.get("grade_id")
        if cell["cell_type"] != "code":
            raise NotebookError(f"{here}: a graded markdown cell needs manual grading; use code test cells")
        if not grade_id or grade_id in seen:
            raise NotebookError(f"{here}: nbgrader field 'grade_id' is missing or repeated: {grade_id!r}")
        points = meta.get("points")
        if not isinstance(points, int | float) or points <= 0:
            raise NotebookError(f"{here}: nbgrader field 'points' must be a positive number, not {points!r}")
        code = source_of(cell)
        try:
            visible = to_starter(code, here)
        except MarkerError as exc:
            raise NotebookError(str(exc)) from None
        _check_last_statement(code, here)
        seen.add(grade_id)
        info = TestInfo(
            id=f"{path.name}::{grade_id}",
            points=float(points),
            hidden=not visible.strip(),
            description=_description(code, grade_id),
        )
        cells.append(TestCell(info, has_hidden=BEGIN_HIDDEN in code and END_HIDDEN in code))
    if not cells:
        raise NotebookError(f"{where}: no autograded test cells (nbgrader metadata grade: true)")
    return cells
