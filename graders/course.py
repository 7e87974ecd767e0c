"""Finding the course checkout and its labs."""

from __future__ import annotations

import os
from pathlib import Path

from graders.labspec import LAB_FILE, Lab, LabFormatError, load_lab

COURSES = ("ai201", "ai202", "ai301")


def find_root(start: Path | None = None) -> Path:
    """The course checkout: $DACA_ROOT, else the nearest parent holding ai201/ and graders/."""
    if env := os.environ.get("DACA_ROOT"):
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "ai201").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    package_root = Path(__file__).resolve().parent.parent
    if (package_root / "ai201").is_dir():
        return package_root
    raise LabFormatError(f"no DACA Labs checkout at or above {here}; cd into your clone")


def all_labs(root: Path) -> list[Lab]:
    """Every lab of every course, in syllabus order."""
    labs = []
    for course in COURSES:
        for lab_toml in sorted((root / course).glob(f"*/{LAB_FILE}")):
            labs.append(load_lab(lab_toml.parent))
    return labs


def find_lab(root: Path, name: str) -> Lab:
    """A lab by id (ai201-01), slug (hello-agent), folder name or bare number for AI-201 (1, 01;
    nb1 for notebook lab 1)."""
    labs = all_labs(root)
    wanted = name.strip().lower().rstrip("/")
    if wanted.isdigit():
        wanted = f"ai201-{int(wanted):02d}"
    elif wanted.startswith("nb") and wanted[2:].isdigit():  # the AI-201 notebook labs: nb1, nb01
        wanted = f"ai201-nb{int(wanted[2:]):02d}"
    for lab in labs:
        if wanted in (lab.id, lab.spec.slug, lab.root.name, str(lab.root.relative_to(root))):
            return lab
    known = ", ".join(lab.id for lab in labs)
    raise LabFormatError(f"no lab named {name!r}; known labs: {known}")
