"""The lab format: `lab.toml` metadata, parsed with clear errors that name the file and field."""

from __future__ import annotations

import ast
import importlib.util
import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

LAB_FILE = "lab.toml"
Service = Literal["redis", "postgres", "rabbitmq", "dapr", "llm-server"]
Grader = Literal["pytest", "nbgrader"]


class LabFormatError(ValueError):
    """A lab folder that does not follow the lab format; the message names file and field."""


class Limits(BaseModel):
    """Per-submission resource limits applied to the student's code."""

    model_config = ConfigDict(extra="forbid")

    timeout: float = Field(60.0, gt=0, description="Wall seconds for the whole submission.")
    test_timeout: float = Field(15.0, gt=0, description="Wall seconds for one test.")
    memory_mb: int = Field(1024, ge=64, description="Address space the student's code may add.")
    processes: int = Field(64, ge=1, description="Processes and threads the student's code may run.")
    network: bool = Field(
        False,
        description="Whether student code may use the network; true by default for a lab with "
        "`services`, whose loopback servers the sandbox's own network namespace could not reach.",
    )


class LabSpec(BaseModel):
    """What `lab.toml` holds. `files` are the student's files; everything else is the lab's."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        pattern=r"^[a-z0-9]+-(nb)?\d{2}$",
        description="Course and number, e.g. ai201-01 (ai201-nb01: notebook).",
    )
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    files: list[str] = Field(min_length=1, description="Files the student edits and submits.")
    requires: list[str] = Field(default_factory=list, description="Lab ids to finish first.")
    services: list[Service] = Field(default_factory=list)
    preload: list[str] = Field(
        default_factory=lambda: ["agents"], description="Modules imported once, before forking."
    )
    hints: list[str] = Field(default_factory=list)
    grader: Grader = Field(
        "pytest", description="pytest: tests/ against the files; nbgrader: the notebook's own test cells."
    )
    limits: Limits = Field(default_factory=Limits)

    @field_validator("files")
    @classmethod
    def _plain_relative_paths(cls, files: list[str]) -> list[str]:
        for name in files:
            path = Path(name)
            if path.is_absolute() or ".." in path.parts or name.startswith("tests/"):
                raise ValueError(f"{name!r} must be a relative path inside the lab, outside tests/")
        return files

    @model_validator(mode="after")
    def _services_need_network(self) -> LabSpec:
        if self.services and "network" not in self.limits.model_fields_set:
            self.limits.network = True
        return self

    @model_validator(mode="after")
    def _notebook_lab(self) -> LabSpec:
        """An nbgrader lab is one notebook, graded by nbgrader in a Jupyter kernel: no services."""
        if self.grader == "nbgrader":
            if len(self.files) != 1 or not self.files[0].endswith(".ipynb"):
                raise ValueError(f"grader 'nbgrader' needs exactly one .ipynb in 'files', not {self.files}")
            if self.services:
                raise ValueError("grader 'nbgrader' labs cannot use services (their kernel gets none)")
        return self


class Lab:
    """A lab folder: its metadata, instructions, student files and tests."""

    def __init__(self, root: Path, spec: LabSpec):
        self.root = root
        self.spec = spec

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests"

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    @property
    def is_notebook(self) -> bool:
        return self.spec.grader == "nbgrader"

    def preload(self) -> list[str]:
        """Modules for the zygote to import once: `preload` plus what the lab's files import.
        Read from the instructor's files with `ast`; the student's code is never looked at.
        Notebook labs have no zygote: nbgrader runs them in a Jupyter kernel."""
        if self.is_notebook:
            return []
        own = {Path(f).stem for f in self.spec.files}
        found = list(self.spec.preload)
        for name in (f for f in self.spec.files if f.endswith(".py")):  # a Dockerfile imports nothing
            tree = ast.parse((self.root / name).read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Import):
                    found += [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.append(node.module)
        return [m for m in dict.fromkeys(found) if m.split(".")[0] not in own and _importable(m)]

    def test_files(self) -> list[Path]:
        return sorted(self.tests_dir.glob("test_*.py"))

    def __repr__(self) -> str:
        return f"Lab({self.id!r}, {str(self.root)!r})"


def _importable(module: str) -> bool:
    try:  # the top-level name only: find_spec of a dotted name imports its parents
        return importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def load_lab(root: Path) -> Lab:
    """Read and validate `root/lab.toml`; every problem names the file and the field."""
    path = root / LAB_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabFormatError(f"{path}: missing; every lab folder needs a {LAB_FILE}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LabFormatError(f"{path}: not valid TOML: {exc}") from None
    try:
        spec = LabSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(map(str, e['loc'])) or '(top)'}': {e['msg']}" for e in exc.errors()
        )
        raise LabFormatError(f"{path}: {problems}") from None
    missing = [f for f in spec.files if not (root / f).is_file()]
    if missing:
        raise LabFormatError(f"{path}: field 'files' lists missing file(s): {', '.join(missing)}")
    if spec.grader == "nbgrader":
        _check_notebook(root / spec.files[0])
        if any((root / "tests").glob("test_*.py")):
            raise LabFormatError(f"{path}: grader 'nbgrader' reads tests from the notebook; remove tests/")
    elif not (root / "tests").is_dir():
        raise LabFormatError(f"{path}: the lab has no tests/ folder")
    return Lab(root, spec)


def _check_notebook(path: Path) -> None:
    """A cheap check that runs on every `daca list`: JSON with a list of cells. The test cells
    themselves are checked where they are read (graders/notebooks/cells.py)."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise LabFormatError(f"{path}: not a valid notebook: {exc}") from None
    if not isinstance(cells, list):
        raise LabFormatError(f"{path}: not a valid notebook: no list of 'cells'")
