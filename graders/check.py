"""Checking a lab's files against its tests: what `daca check`, `daca verify` and the tour share."""

from __future__ import annotations

from pathlib import Path

from graders.labspec import Lab
from graders.runner import run_tests
from graders.sandbox.client import Zygote
from graders.scoring import Score, score
from graders.testinfo import TestInfo, read_tests


def lab_tests(lab: Lab) -> list[TestInfo]:
    """A lab's graded tests, read statically: its test files, or a notebook lab's test cells."""
    if lab.is_notebook:
        from graders.notebooks import lab_cells

        return [cell.info for cell in lab_cells(lab)]
    return read_tests(lab.test_files())


def check_files(lab: Lab, files: dict[str, Path], zygote: Zygote, *, hidden: bool, hide: list[str]) -> Score:
    """Run the lab's tests (hidden ones too if `hidden`) against `files` and score them."""
    every = read_tests(lab.test_files())
    skip = set() if hidden else {i.id for i in every if i.hidden}
    result = run_tests(lab, files, zygote, hide=hide, skip=skip)
    return score([i for i in every if i.id not in skip], result)


def check_lab(lab: Lab, course_root: Path, *, hidden: bool = False) -> Score:
    """`daca check`: the student's own files, visible tests, on the shared warm zygote
    (a notebook lab: the student's notebook, autograded by nbgrader)."""
    if lab.is_notebook:
        from graders.notebooks import check_notebook

        return check_notebook(lab, course_root, hidden=hidden)
    files = {name: lab.root / name for name in lab.spec.files}
    return check_files(lab, files, Zygote.shared(lab.preload()), hidden=hidden, hide=[str(course_root)])
