"""Submissions: archives are checked before anything is written; only the lab's files are taken."""

import json
import os
import stat
import zipfile

import pytest

from graders.grade.batch import Batch
from graders.grade.submission import load
from graders.student import submit
from graders.tests.variants import LAB, SOLUTION, STARTER, write


def zip_with(path, entries, symlink=None):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    "entries, symlink, reason",
    [
        ({"../../evil.py": "x"}, None, "escapes the submission folder"),
        ({"/etc/cron.d/evil": "x"}, None, "absolute path"),
        ({"helpdesk.py": "x"}, "helpdesk.py.link", "symbolic link"),
        (
            {"manifest.json": json.dumps({"lab": "ai201-02"}), "helpdesk.py": "x"},
            None,
            "is for lab 'ai201-02'",
        ),
        (
            {
                "manifest.json": json.dumps({"lab": "ai201-01", "files": {"helpdesk.py": "0" * 64}}),
                "helpdesk.py": "x",
            },
            None,
            "changed after `daca submit`",
        ),
    ],
)
def test_unsafe_or_tampered_archives_are_rejected_before_writing(tmp_path, entries, symlink, reason):
    archive = zip_with(tmp_path / "sub.zip", entries, symlink)
    work = tmp_path / "work"
    sub = load(archive, LAB, work)
    assert reason in sub.rejected
    assert not work.exists()
    assert not (tmp_path.parent / "evil.py").exists()


def test_a_broken_archive_is_rejected_with_its_reason(tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not a zip")
    assert "not a readable submission archive" in load(broken, LAB, tmp_path / "w").rejected


def test_a_zip_bomb_is_rejected(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("helpdesk.py", b"\0" * (15 * 1024 * 1024))
    assert "zip bomb" in load(bomb, LAB, tmp_path / "w").rejected


def test_folders_give_only_the_lab_files(tmp_path):
    folder = write(tmp_path / "alice", STARTER, {"conftest.py": "x", "pytest.py": "x", "evil.pth": "x"})
    os.symlink("/etc/passwd", folder / "notes.txt")
    sub = load(folder, LAB, tmp_path / "w")
    assert set(sub.files) == {"helpdesk.py"} and sub.student == "alice" and not sub.rejected


def test_daca_submit_archive_grades_and_a_batch_records_rejections(tmp_path, monkeypatch):
    lab_copy = type(LAB)(tmp_path / "lab", LAB.spec)
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "helpdesk.py").write_text(SOLUTION)
    archive = submit(lab_copy, tmp_path / "subs", student="Bob Smith <bob@uni.edu>")
    evil = zip_with(tmp_path / "subs" / "mallory.zip", {"../../../tmp/owned.py": "x"})
    out = tmp_path / "out"
    summary = Batch(LAB, out, LAB.root.parent.parent).run([archive, evil], show_progress=False)
    assert summary.graded == 1 and summary.rejected == 1
    assert list(summary.scores.values()) == [10.0]
    assert "escapes" in summary.reasons["mallory"]
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))
    assert (
        "Not graded"
        in json.loads((out / "results" / LAB.id / "mallory" / "results.json").read_text())["output"]
    )
