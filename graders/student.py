"""The student's side: progress, hints, reset and the submission archive."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from graders.grade.submission import MANIFEST, safe_name
from graders.labspec import Lab
from graders.release import RELEASE_FILE


class Progress:
    """`.daca/progress.json`: best score per lab and how many hints were shown."""

    def __init__(self, root: Path):
        self.path = root / ".daca" / "progress.json"
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            self.data = {}

    def lab(self, lab_id: str) -> dict:
        return self.data.setdefault(lab_id, {"best": 0.0, "possible": 0.0, "hints": 0})

    def record_check(self, lab_id: str, earned: float, possible: float) -> None:
        entry = self.lab(lab_id)
        entry.update(
            best=max(entry["best"], earned),
            possible=possible,
            last=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)


def next_hint(lab: Lab, progress: Progress) -> tuple[int, str] | None:
    """The next hint not yet shown (1-based number and text), or None when all are shown."""
    entry = progress.lab(lab.id)
    if entry["hints"] >= len(lab.spec.hints):
        return None
    entry["hints"] += 1
    progress.save()
    return entry["hints"], lab.spec.hints[entry["hints"] - 1]


def reset(lab: Lab, root: Path) -> list[Path]:
    """Restore the lab's starter files; the current ones are kept in .daca/backups first."""
    release_file = root / RELEASE_FILE
    if not release_file.is_file():
        raise FileNotFoundError(
            f"{release_file} not found: reset works in the student edition (see `daca release`); "
            "this checkout holds the reference solutions"
        )
    starters = json.loads(release_file.read_text(encoding="utf-8"))["starters"]
    backup = root / ".daca" / "backups" / lab.id / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    restored = []
    for name in lab.spec.files:
        current = lab.root / name
        rel = str(current.relative_to(root))
        if current.exists():
            (backup / name).parent.mkdir(parents=True, exist_ok=True)
            (backup / name).write_bytes(current.read_bytes())
        current.write_text(starters[rel], encoding="utf-8")
        restored.append(backup / name)
    return restored


def student_name() -> str:
    if name := os.environ.get("DACA_STUDENT"):
        return name
    try:
        email = subprocess.run(
            ["git", "config", "user.email"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        email = ""
    return email or getpass.getuser()


def submit(lab: Lab, out_dir: Path, student: str | None = None) -> Path:
    """Zip the lab's files with a manifest of their hashes; returns the archive path."""
    student = student or student_name()
    files = {name: (lab.root / name).read_bytes() for name in lab.spec.files if (lab.root / name).is_file()}
    manifest = {
        "lab": lab.id,
        "student": student,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / f"{lab.id}-{safe_name(student)}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1))
        for name, data in files.items():
            zf.writestr(name, data)
    return archive
