"""Reading one submission (a folder or a `daca submit` archive) safely.

Only the lab's declared files are taken; everything else a submission carries (conftest.py,
pytest.ini, sitecustomize.py, .pth files, a fake results.json, a module named pytest) is ignored.
Archives are checked before anything is extracted: no absolute or escaping paths, no links, caps on
size and entry count; a bad archive is rejected with its reason and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from graders.labspec import Lab

MANIFEST = "manifest.json"
MAX_ENTRIES = 500
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_RATIO = 200  # compressed-to-real size beyond this is a zip bomb


@dataclass
class Submission:
    student: str
    source: Path
    files: dict[str, Path] = field(default_factory=dict)
    digest: str = ""
    rejected: str = ""  # why the submission cannot be graded at all
    notes: list[str] = field(default_factory=list)


def safe_name(text: str) -> str:
    """A student name usable as a file name."""
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", text).strip("._") or "student"


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def _candidates(lab: Lab, name: str) -> list[str]:
    return [name, f"{lab.root.parent.name}/{lab.root.name}/{name}", f"{lab.root.name}/{name}"]


def _from_folder(folder: Path, lab: Lab) -> Submission:
    sub = Submission(student=safe_name(folder.name), source=folder)
    contents: dict[str, bytes] = {}
    for name in lab.spec.files:
        found = [folder / c for c in _candidates(lab, name) if (folder / c).is_file()]
        real = [p for p in found if not p.is_symlink() and p.resolve().is_relative_to(folder.resolve())]
        if real:
            sub.files[name] = real[0]
            contents[name] = real[0].read_bytes()
        else:
            sub.notes.append(f"{name} is missing")
    sub.digest = _digest(contents)
    return sub


def _check_entry(info: zipfile.ZipInfo) -> str:
    path = PurePosixPath(info.filename)
    if info.filename.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", info.filename):
        return f"entry {info.filename!r} has an absolute path"
    if ".." in path.parts or "\\" in info.filename:
        return f"entry {info.filename!r} escapes the submission folder"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"entry {info.filename!r} is a symbolic link"
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
        return f"entry {info.filename!r} expands {info.file_size // info.compress_size}x (zip bomb?)"
    return ""


def _from_archive(path: Path, lab: Lab, workdir: Path) -> Submission:
    sub = Submission(student=safe_name(path.stem), source=path)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                sub.rejected = f"{len(entries)} entries, more than the {MAX_ENTRIES} allowed"
                return sub
            if sum(e.file_size for e in entries) > MAX_TOTAL_BYTES:
                sub.rejected = f"more than {MAX_TOTAL_BYTES >> 20} MiB uncompressed"
                return sub
            for entry in entries:
                if problem := _check_entry(entry):
                    sub.rejected = problem
                    return sub
            names = {e.filename for e in entries}
            manifest = json.loads(archive.read(MANIFEST)) if MANIFEST in names else {}
            contents = {n: archive.read(n) for n in lab.spec.files if n in names}
    except (zipfile.BadZipFile, OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        sub.rejected = f"not a readable submission archive: {exc}"
        return sub
    if manifest:
        if manifest.get("lab") not in (None, lab.id):
            sub.rejected = f"archive is for lab {manifest.get('lab')!r}, not {lab.id}"
            return sub
        sub.student = safe_name(str(manifest.get("student") or sub.student))
        for name, expected in (manifest.get("files") or {}).items():
            actual = hashlib.sha256(contents.get(name, b"")).hexdigest()
            if name in lab.spec.files and actual != expected:
                sub.rejected = f"{name} was changed after `daca submit` (checksum differs)"
                return sub
    folder = workdir / sub.student
    folder.mkdir(parents=True, exist_ok=True)
    for name in lab.spec.files:
        if name not in contents:
            sub.notes.append(f"{name} is missing")
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents[name])
        sub.files[name] = target
    sub.digest = _digest(contents)
    return sub


def load(path: Path, lab: Lab, workdir: Path) -> Submission:
    """A submission from a folder or an archive; archives are extracted under `workdir`."""
    if path.is_dir():
        return _from_folder(path, lab)
    if path.is_file():
        return _from_archive(path, lab, workdir)
    return Submission(student=safe_name(path.stem), source=path, rejected=f"{path} does not exist")
