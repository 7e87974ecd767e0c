"""`daca release OUT`: the student edition of the course.

Solutions become starters, hidden tests disappear, and `.daca-release.json` records a checksum
of every file plus each starter, so `daca reset` can restore one and instructors can tell what a
student changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from graders.course import all_labs
from graders.markers import notebook_to_starter, stub_for, takes_markers, to_starter

RELEASE_FILE = ".daca-release.json"
NEVER = {".git", ".daca", "__pycache__", ".pytest_cache", ".ruff_cache", ".venv"}


class ReleaseError(ValueError):
    pass


def _tracked(root: Path) -> list[Path]:
    """The files of the checkout: git's list when it is a repository, else a walk."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
        names = [n for n in out.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    return [Path(n) for n in sorted(names) if not NEVER.intersection(Path(n).parts) and (root / n).is_file()]


def _student_text(path: Path, rel: Path) -> str | None:
    """The student edition of a file with markers, or None to copy it unchanged."""
    if not takes_markers(path):
        return None
    text = path.read_text(encoding="utf-8")
    if "### BEGIN" not in text:
        return None
    if path.suffix == ".ipynb":
        return notebook_to_starter(text, str(rel))
    return to_starter(text, str(rel), stub=stub_for(path))


def release(root: Path, out: Path, *, force: bool = False) -> dict:
    """Write the student edition of `root` into `out`; returns the release record."""
    out = out.resolve()
    if out.is_relative_to(root.resolve()):
        raise ReleaseError(f"{out} is inside the course checkout; release somewhere else")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ReleaseError(f"{out} is not empty; pass --force to replace it")
        shutil.rmtree(out)
    labs = all_labs(root)  # fails early on a malformed lab.toml
    student_files = {str((lab.root / f).relative_to(root)) for lab in labs for f in lab.spec.files}
    record = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "labs": [lab.id for lab in labs],
        "files": {},
        "starters": {},
    }
    for rel in _tracked(root):
        source, target = root / rel, out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _student_text(source, rel)
        if text is None:
            shutil.copy2(source, target)
        else:
            target.write_text(text, encoding="utf-8")
        if str(rel) in student_files:
            record["starters"][str(rel)] = target.read_text(encoding="utf-8")
        record["files"][str(rel)] = hashlib.sha256(target.read_bytes()).hexdigest()
    (out / RELEASE_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record
