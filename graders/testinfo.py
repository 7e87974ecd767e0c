"""What a lab's tests are worth, read statically from the instructor's test files.

The scorer never imports test modules: it reads names, points, visibility and descriptions from
the source with `ast`, so knowing the maximum score runs no code at all.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from graders.markers import hidden_line_ranges


@dataclass(frozen=True)
class TestInfo:
    """One graded test as the instructor wrote it."""

    __test__ = False  # not a pytest test class

    id: str  # "test_file.py::test_name", the prefix of pytest's node id
    points: float
    hidden: bool
    description: str
    passes_on_starter: str | None = None


def _decorator_value(dec: ast.expr, name: str) -> ast.expr | None:
    """The first argument of `@name(x)` or `@pytest.mark.name(x)`, else None."""
    if not isinstance(dec, ast.Call) or not dec.args:
        return None
    func = dec.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return dec.args[0] if called == name else None


def _info(file: Path, node: ast.FunctionDef, prefix: str, hidden: list[tuple[int, int]]) -> TestInfo:
    points, starter_reason = 1.0, None
    for dec in node.decorator_list:
        if (arg := _decorator_value(dec, "points")) is not None:
            points = float(ast.literal_eval(arg))
        if (arg := _decorator_value(dec, "passes_on_starter")) is not None:
            starter_reason = str(ast.literal_eval(arg))
    doc = ast.get_docstring(node) or node.name.removeprefix("test_").replace("_", " ")
    return TestInfo(
        id=f"{file.name}::{prefix}{node.name}",
        points=points,
        hidden=any(a <= node.lineno <= b for a, b in hidden),
        description=doc.strip().splitlines()[0],
        passes_on_starter=starter_reason,
    )


def read_tests(files: list[Path]) -> list[TestInfo]:
    """Every test function in `files`, in source order."""
    infos: list[TestInfo] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(file))
        hidden = hidden_line_ranges(text, str(file))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                infos.append(_info(file, node, "", hidden))
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef) and sub.name.startswith(
                        "test"
                    ):
                        infos.append(_info(file, sub, f"{node.name}::", hidden))
    return infos


def info_id(nodeid: str) -> str:
    """The TestInfo id of a pytest node id (drops folders and parametrize brackets)."""
    path, _, rest = nodeid.partition("::")
    return f"{Path(path).name}::{rest.split('[', 1)[0]}"
