"""`daca grade` on a mixed batch: every submission gets what its honest work earns."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from graders.course import find_root
from graders.grade.batch import Batch
from graders.tests.variants import LAB, mixed_batch


def quick_lab():
    """Lab 1 with short time limits, so the hanging submission costs seconds, not a minute."""
    lab = type(LAB)(LAB.root, LAB.spec.model_copy(deep=True))
    lab.spec.limits.test_timeout = 3
    lab.spec.limits.timeout = 20
    return lab


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    batch = mixed_batch(root / "submissions")
    out = root / "out"
    summary = Batch(quick_lab(), out, find_root()).run(
        [p for p, _ in batch.values()], jobs=2, show_progress=False
    )
    return batch, out, summary


def test_every_submission_gets_its_honest_score(graded):
    batch, _, summary = graded
    assert {s: summary.scores[s] for s in batch} == {s: expected for s, (_, expected) in batch.items()}


def test_outputs_exist_for_each_student_and_none_comes_from_the_submission(graded):
    batch, out, _ = graded
    for student in batch:
        results = json.loads((out / "results" / LAB.id / student / "results.json").read_text())
        assert results["max_score"] == 10
        assert results["score"] == batch[student][1]
        assert (out / "feedback" / LAB.id / f"{student}.md").is_file()
    with (out / "grades.csv").open() as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(batch)
    assert float(rows["fakeresults"]["score"]) == 0


def test_failure_reasons_are_plain(graded):
    _, out, _ = graded
    db = sqlite3.connect(out / "gradebook.sqlite")
    reasons = dict(db.execute("select student, reason from submission"))
    assert reasons["hanging"] == "7 tests timed out"
    assert reasons["osexit"] == "7 tests crashed"
    assert reasons["partial"] == "5 tests raised an error"
    hanging = json.loads((out / "results" / LAB.id / "hanging" / "results.json").read_text())
    first = hanging["tests"][0]
    assert "timed out" in first["output"]


def test_feedback_never_contains_hidden_test_source(graded):
    _, out, _ = graded
    hidden_source = (LAB.tests_dir / "test_hello_agent.py").read_text().split("### BEGIN HIDDEN TESTS")[1]
    secrets = [line.strip() for line in hidden_source.splitlines() if "assert" in line]
    for path in (out / "feedback").rglob("*.md"):
        text = path.read_text()
        assert not any(s in text for s in secrets), path
    hardcoded = (out / "feedback" / LAB.id / "hardcoded.md").read_text()
    assert "FAIL (0/1) hidden test: Different model output gives a different answer" in hardcoded


def test_rerun_skips_graded_and_never_duplicates_rows(graded):
    batch, out, _ = graded
    again = Batch(quick_lab(), out, find_root()).run([p for p, _ in batch.values()], show_progress=False)
    assert again.graded == 0 and again.skipped == len(batch)
    db = sqlite3.connect(out / "gradebook.sqlite")
    assert db.execute("select count(*) from submission").fetchone()[0] == len(batch)
    assert db.execute("select count(*), count(distinct student) from submission").fetchone() == (
        len(batch),
        len(batch),
    )
