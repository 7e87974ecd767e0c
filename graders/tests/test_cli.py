"""The `daca` commands as students and instructors type them."""

import csv
import zipfile

import pytest

from graders.course import all_labs, find_root
from graders.release import release
from graders.tests.test_release import daca

ROOT = find_root()


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition")
    release(ROOT, out, force=True)
    return out


def test_every_lab_verifies():
    """Self-verification: each solution scores 100%, each starter fails its graded tests."""
    result = daca("verify", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for lab in all_labs(ROOT):
        assert f"ok {lab.id} {lab.spec.title}: solution" in result.stdout


def test_list_shows_labs_and_progress(edition):
    before = daca("list", cwd=edition)
    assert "ai201-01" in before.stdout and "—" in before.stdout
    daca("check", "1", cwd=edition)
    assert "0/8" in daca("list", cwd=edition).stdout


def test_hints_come_one_at_a_time(edition):
    first = daca("hint", "hello-agent", cwd=edition).stdout
    second = daca("hint", "ai201-01", cwd=edition).stdout
    assert "Hint 1/" in first and "Hint 2/" in second
    assert daca("hint", "1", "--all", cwd=edition).stdout.count("Hint ") == 4


def test_unknown_lab_is_a_clear_error(edition):
    result = daca("check", "hello-wrld", cwd=edition)
    assert result.returncode == 2 and "no lab named 'hello-wrld'" in result.stderr


def test_instructor_check_with_hidden_tests_scores_full_marks():
    result = daca("check", "1", "--hidden", cwd=ROOT)
    assert result.returncode == 0 and "Score: 10 / 10" in result.stdout and "(hidden)" in result.stdout


def test_submit_then_grade(edition, tmp_path):
    result = daca("submit", "1", "--student", "carol", "--out", str(tmp_path / "inbox"), cwd=edition)
    assert result.returncode == 0, result.stderr
    archive = tmp_path / "inbox" / "ai201-01-carol.zip"
    assert set(zipfile.ZipFile(archive).namelist()) == {"manifest.json", "helpdesk.py"}
    graded = daca("grade", "1", str(archive), "--out", str(tmp_path / "grades"), cwd=ROOT)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    rows = list(csv.DictReader((tmp_path / "grades" / "grades.csv").open()))
    assert [(r["student"], r["score"], r["max_score"]) for r in rows] == [("carol", "0", "10")]
