"""`daca release`: the student edition has starters, no hidden tests, checksums, and it runs."""

import hashlib
import json
import os
import subprocess
import sys
import venv

import pytest

from graders.course import all_labs, find_root
from graders.release import RELEASE_FILE, ReleaseError, release

ROOT = find_root()


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student-edition")
    release(ROOT, out, force=True)
    return out


def daca(*args, cwd, env=None, executable=None):
    command = [executable] if executable else [sys.executable, "-m", "graders.cli"]
    # wide enough that rich never wraps a message the tests look for (paths vary in length)
    environment = {**os.environ, "DACA_ZYGOTE_IDLE": "60", "COLUMNS": "200", **(env or {})}
    environment.pop("DACA_ROOT", None)
    return subprocess.run(
        [*command, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=300
    )


def test_solutions_and_hidden_tests_are_gone(edition):
    for lab in all_labs(edition):
        texts = {name: (lab.root / name).read_text() for name in lab.spec.files}
        assert not any("### BEGIN SOLUTION" in t or "### STARTER" in t for t in texts.values()), lab.id
        # a lab may also hand out given files (earlier labs' solutions): at least one is a stub
        # (a raise in Python, TODO comments in Dockerfiles and YAML)
        original = {name: (ROOT / lab.root.relative_to(edition) / name).read_text() for name in texts}
        assert any(texts[name] != original[name] for name in texts), lab.id
        for test_file in lab.test_files():
            assert "HIDDEN TESTS" not in test_file.read_text()


def test_checksums_and_starters_are_recorded(edition):
    record = json.loads((edition / RELEASE_FILE).read_text())
    assert record["labs"] == [lab.id for lab in all_labs(ROOT)]
    for rel, digest in record["files"].items():
        assert hashlib.sha256((edition / rel).read_bytes()).hexdigest() == digest
    assert (
        record["starters"]["ai201/lab01_hello_agent/helpdesk.py"]
        == (edition / "ai201/lab01_hello_agent/helpdesk.py").read_text()
    )


def test_release_refuses_to_overwrite_or_nest(edition):
    with pytest.raises(ReleaseError, match="not empty"):
        release(ROOT, edition)
    with pytest.raises(ReleaseError, match="inside the course checkout"):
        release(ROOT, ROOT / "graders" / "out")


def test_check_in_the_edition_explains_the_first_failure(edition):
    result = daca("check", "1", cwd=edition)
    assert result.returncode == 1
    assert "Score: 0 / 8" in result.stdout  # visible tests only
    assert "First failure" in result.stdout and "NotImplementedError" in result.stdout
    assert "(hidden)" not in result.stdout


def test_reset_restores_the_starter_and_keeps_a_backup(edition):
    path = edition / "ai201/lab01_hello_agent/helpdesk.py"
    starter = path.read_text()
    path.write_text(starter + "\n# my work\n")
    result = daca("reset", "1", "--yes", cwd=edition)
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_text() == starter
    backups = list((edition / ".daca" / "backups" / "ai201-01").rglob("helpdesk.py"))
    assert backups and backups[0].read_text().endswith("# my work\n")


def test_reset_refuses_in_the_instructor_checkout():
    result = daca("reset", "1", "--yes", cwd=ROOT)
    assert result.returncode == 2 and "student edition" in result.stdout


@pytest.mark.slow
def test_the_edition_installs_and_runs(edition, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    pip = subprocess.run(
        [
            env_dir / "bin" / "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            str(edition),
        ],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr
    listed = daca("list", cwd=edition, executable=str(env_dir / "bin" / "daca"))
    assert listed.returncode == 0, listed.stderr
    assert "ai201-01" in listed.stdout and "Hello agent" in listed.stdout
