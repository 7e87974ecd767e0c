"""The course converges on the capstone: AI-201 lab 7's reference store is the capstone's store.

The lab's files carry nbgrader markers around what students write; without the marker lines
they must be the capstone's files byte for byte. Alembic's env.py differs only in where it
imports the store from and in its fallback URL (the capstone reads its settings).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from graders.markers import without_markers

ROOT = Path(__file__).resolve().parents[2]
CAPSTONE_STORE = ROOT / "capstone" / "store"
LAB_STORE = ROOT / "ai201" / "lab07_postgres" / "store"
IDENTICAL = [
    "__init__.py",
    "models.py",
    "db.py",
    "repository.py",
    "migrate.py",
    "seed.py",
    "migrations/versions/0001_initial_schema.py",
]


def _solution(path: Path) -> str:
    """The reference edition without marker lines (a `### STARTER` line is starter-only code)."""
    return without_markers(path.read_text(encoding="utf-8"), str(path))


@pytest.mark.parametrize("name", IDENTICAL)
def test_the_lab_store_is_the_capstone_store(name: str) -> None:
    lab, capstone = _solution(LAB_STORE / name), (CAPSTONE_STORE / name).read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(capstone.splitlines(True), lab.splitlines(True), "capstone", "lab"))
    assert lab == capstone, f"{name} differs between capstone/store and lab 7:\n{diff}"


def test_every_capstone_migration_is_in_the_lab() -> None:
    versions = {p.name for p in (CAPSTONE_STORE / "migrations" / "versions").glob("*.py")}
    assert versions == {p.name for p in (LAB_STORE / "migrations" / "versions").glob("*.py")}


def test_the_alembic_environments_differ_only_in_imports_and_fallback_url() -> None:
    capstone = (CAPSTONE_STORE / "migrations" / "env.py").read_text(encoding="utf-8")
    lab = _solution(LAB_STORE / "migrations" / "env.py")
    changed = [
        line[1:].strip()
        for line in difflib.unified_diff(capstone.splitlines(), lab.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    allowed = (
        "from ",
        "DATABASE_URL",
        "return config.get_main_option",
        "The URL comes",
        "``HelpdeskSettings``",
        "embedded default",
    )
    unexpected = [line for line in changed if line and not line.startswith(allowed)]
    assert unexpected == [], f"env.py differs beyond imports and the fallback URL: {unexpected}"
