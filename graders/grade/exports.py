"""Grade exports from the gradebook: nbgrader-style CSVs, a Canvas import CSV, distribution plots.

`export(rows, out)` writes, for the rows of a gradebook (`Gradebook.rows()`):

- `grades-<lab>.csv` per lab and `grades-course.csv` for every (lab, student), with the columns
  of `nbgrader export`. What the gradebook knows fills them; the rest stays empty:

  | nbgrader column          | from the gradebook                                 |
  |--------------------------|----------------------------------------------------|
  | assignment               | `lab_id`                                           |
  | duedate                  | empty (labs have no due date)                      |
  | timestamp                | `graded_at`, ISO 8601 in UTC                       |
  | student_id               | `student`                                          |
  | last_name, first_name    | empty (no roster)                                  |
  | email                    | empty (no roster)                                  |
  | raw_score                | `score`                                            |
  | late_submission_penalty  | 0 (no late policy)                                 |
  | score                    | `score` (raw score less the penalty)               |
  | max_score                | `max_score`                                        |

  A rejected submission is exported with the score it was recorded with (0).

- `canvas.csv`, Canvas's gradebook import format: `Student`, `ID`, `SIS User ID`, `SIS Login ID`,
  `Section`, then one column per lab named `<lab id> <title> (<lab id>)` holding points; the
  second row is Canvas's `Points Possible` row (the lab's maximum under each lab column).
  `Student` and `SIS User ID` hold the gradebook's student name; Canvas's numeric `ID`, the
  login and the section are unknown here and left empty. A student with no grade for a lab gets
  an empty cell, which Canvas leaves unchanged on import.

- `distribution-<lab>.png`: a histogram of percentage scores, titled with the lab id, n and mean
  (matplotlib, installed with the `dev` extra, imported only here).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from graders.grade.gradebook import GradedSubmission

NBGRADER_COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"


def _write_csv(path: Path, rows: Iterable[list]) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    os.replace(tmp, path)


def _nbgrader_row(r: GradedSubmission) -> list:
    return [
        r.lab_id,
        "",
        r.graded_at.isoformat(timespec="seconds"),
        r.student,
        "",
        "",
        "",
        f"{r.score:g}",
        "0",
        f"{r.score:g}",
        f"{r.max_score:g}",
    ]


def _by_lab(rows: list[GradedSubmission]) -> dict[str, list[GradedSubmission]]:
    labs: dict[str, list[GradedSubmission]] = {}
    for r in sorted(rows, key=lambda r: (r.lab_id, r.student)):
        labs.setdefault(r.lab_id, []).append(r)
    return labs


def course_titles() -> dict[str, str]:
    """Lab titles from the course in the current folder, or none outside a course."""
    try:
        from graders.course import all_labs, find_root

        return {lab.id: lab.spec.title for lab in all_labs(find_root())}
    except Exception:  # exports work without the course: titles are a nicety
        return {}


def canvas_column(lab_id: str, titles: dict[str, str]) -> str:
    title = titles.get(lab_id)
    return f"{lab_id} {title} ({lab_id})" if title else f"{lab_id} ({lab_id})"


def canvas_csv(rows: list[GradedSubmission], path: Path, titles: dict[str, str]) -> None:
    labs = _by_lab(rows)
    possible = {lab: max(r.max_score for r in graded) for lab, graded in labs.items()}
    scores = {(r.lab_id, r.student): r.score for r in rows}
    students = sorted({r.student for r in rows})
    table: list[list] = [CANVAS_COLUMNS + [canvas_column(lab, titles) for lab in labs]]
    table.append([POINTS_POSSIBLE, "", "", "", ""] + [f"{possible[lab]:g}" for lab in labs])
    for student in students:
        cells = [f"{scores[lab, student]:g}" if (lab, student) in scores else "" for lab in labs]
        table.append([student, "", student, "", ""] + cells)
    _write_csv(path, table)


def distribution_png(lab_id: str, rows: list[GradedSubmission], path: Path) -> None:
    """A histogram of the lab's percentage scores, titled with its id, n and mean."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    percents = [100 * r.score / r.max_score if r.max_score else 0.0 for r in rows]
    mean = sum(percents) / len(percents) if percents else 0.0
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.hist(percents, bins=10, range=(0, 100), edgecolor="black")
    ax.set_title(f"{lab_id}: n={len(percents)}, mean={mean:.1f}%")
    ax.set_xlabel("score (%)")
    ax.set_ylabel("students")
    fig.tight_layout()
    tmp = path.with_suffix(".png.tmp")
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)


def export(
    rows: list[GradedSubmission], out: Path, titles: Callable[[], dict[str, str]] = course_titles
) -> list[Path]:
    """Write every export of the gradebook's rows into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    labs = _by_lab(rows)
    for lab, graded in labs.items():
        path = out / f"grades-{lab}.csv"
        _write_csv(path, [NBGRADER_COLUMNS] + [_nbgrader_row(r) for r in graded])
        written.append(path)
    course = out / "grades-course.csv"
    _write_csv(course, [NBGRADER_COLUMNS] + [_nbgrader_row(r) for g in labs.values() for r in g])
    written.append(course)
    canvas = out / "canvas.csv"
    canvas_csv(rows, canvas, titles())
    written.append(canvas)
    for lab, graded in labs.items():
        path = out / f"distribution-{lab}.png"
        distribution_png(lab, graded, path)
        written.append(path)
    return written
