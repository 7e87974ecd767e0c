"""`daca export`: nbgrader-style CSVs, Canvas's import CSV and a distribution plot per lab."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

import graders
from graders.course import find_root
from graders.grade.exports import CANVAS_COLUMNS, NBGRADER_COLUMNS, export
from graders.grade.gradebook import Gradebook, GradedSubmission
from graders.tests.test_release import daca

ROOT = find_root()
SOURCE = str(Path(graders.__file__).resolve().parents[1])
WHEN = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
# (lab, student, status, score, max_score)
GRADES = [
    ("ai201-01", "alice", "graded", 10.0, 10.0),
    ("ai201-01", "bob", "graded", 6.5, 10.0),
    ("ai201-01", "mallory", "rejected", 0.0, 10.0),
    ("ai201-02", "alice", "graded", 7.0, 12.0),
    ("ai201-02", "carol", "error", 3.0, 12.0),
]
TITLES = {"ai201-01": "Hello agent", "ai201-02": "Function tools"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A `daca grade --out` folder holding a gradebook written directly, without grading."""
    out = tmp_path_factory.mktemp("grades")
    book = Gradebook(f"sqlite:///{out / 'gradebook.sqlite'}")
    for lab, student, status, points, possible in GRADES:
        book.record(
            GradedSubmission(
                lab_id=lab,
                student=student,
                digest="-",
                status=status,
                score=points,
                max_score=possible,
                reason="tampered file" if status == "rejected" else "",
                graded_at=WHEN,
            )
        )
    return out, book


@pytest.fixture(scope="module")
def exported(graded, tmp_path_factory):
    _, book = graded
    out = tmp_path_factory.mktemp("exports")
    return out, export(book.rows(), out, titles=lambda: TITLES)


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_writes_every_file(exported):
    out, written = exported
    assert sorted(p.name for p in written) == [
        "canvas.csv",
        "distribution-ai201-01.png",
        "distribution-ai201-02.png",
        "grades-ai201-01.csv",
        "grades-ai201-02.csv",
        "grades-course.csv",
    ]
    assert all(p.parent == out and p.is_file() for p in written)
    assert not list(out.glob("*.tmp"))


def test_per_lab_csv_has_nbgrader_columns_and_one_row_per_student(exported):
    out, _ = exported
    header, *rows = read(out / "grades-ai201-01.csv")
    assert header == [
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
    assert header == NBGRADER_COLUMNS
    assert [r[3] for r in rows] == ["alice", "bob", "mallory"]
    alice = dict(zip(header, rows[0], strict=True))
    assert alice == {
        "assignment": "ai201-01",
        "duedate": "",
        "timestamp": "2026-11-20T12:30:00" + alice["timestamp"][19:],
        "student_id": "alice",
        "last_name": "",
        "first_name": "",
        "email": "",
        "raw_score": "10",
        "late_submission_penalty": "0",
        "score": "10",
        "max_score": "10",
    }
    assert [(r[7], r[9], r[10]) for r in rows] == [("10", "10", "10"), ("6.5", "6.5", "10"), ("0", "0", "10")]
    _, *second = read(out / "grades-ai201-02.csv")
    assert [(r[0], r[3], r[9], r[10]) for r in second] == [
        ("ai201-02", "alice", "7", "12"),
        ("ai201-02", "carol", "3", "12"),
    ]


def test_course_csv_has_a_row_for_every_lab_and_student(exported):
    out, _ = exported
    header, *rows = read(out / "grades-course.csv")
    assert header == NBGRADER_COLUMNS
    assert len(rows) == len(GRADES)
    assert {(r[0], r[3], float(r[9]), float(r[10])) for r in rows} == {
        (lab, student, points, possible) for lab, student, _, points, possible in GRADES
    }


def test_canvas_csv_follows_canvas_import_format(exported):
    out, _ = exported
    header, points_possible, *rows = read(out / "canvas.csv")
    assert header == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "ai201-01 Hello agent (ai201-01)",
        "ai201-02 Function tools (ai201-02)",
    ]
    assert header[:5] == CANVAS_COLUMNS
    assert points_possible == ["Points Possible", "", "", "", "", "10", "12"]
    assert rows == [
        ["alice", "", "alice", "", "", "10", "7"],
        ["bob", "", "bob", "", "", "6.5", ""],
        ["carol", "", "carol", "", "", "", "3"],
        ["mallory", "", "mallory", "", "", "0", ""],
    ]


def test_distribution_is_a_real_png(exported):
    out, _ = exported
    for lab in TITLES:
        path = out / f"distribution-{lab}.png"
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000
        image = pytest.importorskip("matplotlib.image").imread(path)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_export_command_reads_a_grade_folder(graded, tmp_path):
    folder, _ = graded
    out = tmp_path / "exports"
    env = {"PYTHONPATH": SOURCE}
    result = daca("export", "--out", str(out), "--gradebook-dir", str(folder), cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Exported 5 grades of 2 labs" in result.stdout
    header, points_possible, *rows = read(out / "canvas.csv")
    assert header[5:] == ["ai201-01 Hello agent (ai201-01)", "ai201-02 Function tools (ai201-02)"]
    assert points_possible[0] == "Points Possible" and len(rows) == 4
    assert len(read(out / "grades-course.csv")) == 1 + len(GRADES)
    assert (out / "distribution-ai201-02.png").read_bytes().startswith(PNG_MAGIC)

    by_url = tmp_path / "by-url"
    url = f"sqlite:///{folder / 'gradebook.sqlite'}"
    result = daca("export", "--out", str(by_url), "--db", url, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (by_url / "grades-ai201-01.csv").read_bytes() == (out / "grades-ai201-01.csv").read_bytes()


def test_export_command_without_a_gradebook_is_a_clear_error(tmp_path):
    result = daca("export", "--out", str(tmp_path), cwd=ROOT, env={"PYTHONPATH": SOURCE})
    assert result.returncode == 2 and "No gradebook at" in result.stdout
