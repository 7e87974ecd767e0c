"""Notebook labs graded by real nbgrader (`grader = "nbgrader"` in lab.toml).

The lab's one notebook is the source: solution cells between `### BEGIN SOLUTION` / `### END
SOLUTION`, autograded test cells with nbgrader metadata, hidden tests between markers. Grading
builds an nbgrader course from it, runs `generate_assignment` and `autograde`, and reads nbgrader's
gradebook back into the project's results, so the gradebook, feedback and exports are shared.
"""

from graders.notebooks.cells import NotebookError, TestCell, graded_cells
from graders.notebooks.course import Course, NbgraderError, build_course
from graders.notebooks.grading import check_notebook, grade_texts, lab_cells, verify_notebook

__all__ = [
    "Course",
    "NbgraderError",
    "NotebookError",
    "TestCell",
    "build_course",
    "check_notebook",
    "grade_texts",
    "lab_cells",
    "graded_cells",
    "verify_notebook",
]
