"""Grading notebook labs with real nbgrader: batches, a student's check, self-verification.

Every path builds a throw-away nbgrader course from the lab's notebook, releases it with
`generate_assignment`, puts the notebooks to grade under `submitted/`, runs `autograde`, and reads
nbgrader's gradebook back as `RunResult`s (results.py). A batch is split into shards, each a copy
of the released course with its own `autograde` process, so that cores are used in parallel.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graders.labspec import Lab
from graders.markers import notebook_to_starter
from graders.notebooks.cells import NotebookError, TestCell, graded_cells, load_notebook
from graders.notebooks.course import Course, NbgraderError, released_course
from graders.notebooks.results import cell_sources, read_results
from graders.release import RELEASE_FILE
from graders.runner import RunResult
from graders.scoring import Score, score

AUTOGRADE_STARTUP = 60  # seconds an autograde process may spend on its own start, beyond the cells


def lab_notebook(lab: Lab) -> Path:
    return lab.root / lab.spec.files[0]


def lab_cells(lab: Lab) -> list[TestCell]:
    return graded_cells(lab_notebook(lab))


def _course(lab: Lab, source_text: str, folder: Path) -> Course:
    return released_course(
        folder, lab.id, lab_notebook(lab).name, source_text, cell_timeout=lab.spec.limits.test_timeout
    )


def _last_error(log: str) -> str:
    """The last `SomethingError: message` line of nbgrader's log, e.g. why a kernel died."""
    found = re.findall(r"^\s*([\w.]+(?:Error|Exception)): (.*)$", log, flags=re.M)
    if found:
        name, message = found[-1]
        return f"{name.rsplit('.', 1)[-1]}: {message.strip()}"[:300]
    return log.strip().splitlines()[-1][:300] if log.strip() else ""


def _kernel_limits(lab: Lab, hide: list[str]) -> dict:
    limits = lab.spec.limits
    return {
        "memory_mb": limits.memory_mb,
        "processes": limits.processes,
        "cpu_seconds": max(1, round(limits.timeout)),
        "hide": [str(h) for h in hide],
    }


def _autograde_shard(
    course: Course, lab: Lab, cells, texts: dict[str, str], hide: list[str]
) -> dict[str, tuple[RunResult, float]]:
    for student, text in texts.items():
        course.submit(student, text)
    timeout = AUTOGRADE_STARTUP + lab.spec.limits.timeout * len(texts)
    started, failure = time.perf_counter(), ""
    try:
        course.autograde(timeout=timeout, kernel_limits=_kernel_limits(lab, hide))
    except NbgraderError as exc:  # some notebooks may still be graded: read what there is
        failure = str(exc)
    seconds = (time.perf_counter() - started) / len(texts)
    results = read_results(course, cells, list(texts))
    reason = _last_error(failure)
    for result in results.values():
        if reason and result.problem:
            result.problem += f": {reason}"
    return {s: (r, seconds) for s, r in results.items()}


def grade_texts(
    lab: Lab,
    texts: dict[str, str],
    workdir: Path,
    *,
    source_text: str | None = None,
    jobs: int = 1,
    hide: list[str] = (),
    done: Callable[[str, RunResult, float], None] | None = None,
) -> dict[str, tuple[RunResult, float]]:
    """Autograde each student's notebook text (student -> text) against the lab's notebook (or
    `source_text`); returns student -> (result, seconds). A notebook that is not valid is not
    given to nbgrader: its result names the file and the problem. `hide`: folders the kernels
    must not see (the course checkout, the grading output)."""
    source_text = source_text if source_text is not None else lab_notebook(lab).read_text(encoding="utf-8")
    cells = graded_cells(lab_notebook(lab), source_text)
    name = lab_notebook(lab).name
    out: dict[str, tuple[RunResult, float]] = {}
    valid: dict[str, str] = {}
    for student, text in texts.items():
        try:
            load_notebook(text, name)
            valid[student] = text
        except NotebookError as exc:
            out[student] = (RunResult(problem=str(exc)), 0.0)
            if done:
                done(student, *out[student])
    if not valid:
        return out
    released = _course(lab, source_text, workdir / "course")
    students = list(valid)
    count = max(1, min(jobs, len(students)))
    shards = [students[i::count] for i in range(count)]
    courses = [released] + [released.copy(workdir / f"shard{i}") for i in range(1, len(shards))]
    with ThreadPoolExecutor(len(shards)) as pool:
        futures = [
            pool.submit(_autograde_shard, c, lab, cells, {s: valid[s] for s in shard}, list(hide))
            for c, shard in zip(courses, shards, strict=True)
        ]
        for future in futures:
            for student, (result, seconds) in future.result().items():
                out[student] = (result, seconds)
                if done:
                    done(student, result, seconds)
    return out


def _release_starter(lab: Lab, course_root: Path) -> str | None:
    """The notebook as `daca release` handed it out, when this is a student edition."""
    try:
        record = json.loads((course_root / RELEASE_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return record.get("starters", {}).get(str(lab_notebook(lab).relative_to(course_root)))


def check_notebook(lab: Lab, course_root: Path, *, hidden: bool = False) -> Score:
    """`daca check` of a notebook lab: the student's notebook autograded by nbgrader against the
    instructor's test cells (`hidden`) or the visible ones of the released notebook."""
    path = lab_notebook(lab)
    if hidden:
        source = path.read_text(encoding="utf-8")
    else:  # test cells as released, so an edited test cell changes nothing
        source = notebook_to_starter(
            _release_starter(lab, course_root) or path.read_text(encoding="utf-8"), str(path)
        )
    infos = [c.info for c in graded_cells(path, source) if hidden or not c.info.hidden]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Score([], f"{path}: cannot be read: {exc}")
    with tempfile.TemporaryDirectory(prefix="daca-nbcheck-") as tmp:
        graded = grade_texts(lab, {"student": text}, Path(tmp), source_text=source, hide=[str(course_root)])
        ((result, _),) = graded.values()
    return score(infos, result)


def verify_notebook(lab: Lab, course_root: Path) -> tuple[Score, Score, list[str]]:
    """The reference notebook and its starter, autograded in one nbgrader run; also proves that
    the starter `daca release` writes is what nbgrader's `generate_assignment` releases."""
    path = lab_notebook(lab)
    source = path.read_text(encoding="utf-8")
    starter = notebook_to_starter(source, str(path))
    infos = [c.info for c in lab_cells(lab)]
    problems = []
    with tempfile.TemporaryDirectory(prefix="daca-nbverify-") as tmp:
        texts = {"solution": source, "starter": starter}
        results = grade_texts(lab, texts, Path(tmp), source_text=source, jobs=2, hide=[str(course_root)])
        released = Course(Path(tmp) / "course", lab.id, path.name).release_path()
        if released.is_file() and cell_sources(released.read_text()) != cell_sources(starter):
            problems.append("the starter differs from nbgrader's generate_assignment release")
    return score(infos, results["solution"][0]), score(infos, results["starter"][0]), problems
