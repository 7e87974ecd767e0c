"""Starter and solution from one source, with nbgrader's markers.

`### BEGIN SOLUTION` / `### END SOLUTION` wrap the reference solution; the student edition replaces
the block with its `### STARTER` lines (marker removed) or, when it has none, with nbgrader's stub
`raise NotImplementedError()`. `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS` wrap tests that the
student edition leaves out. Works on `.py` text, on the code cells of `.ipynb` notebooks, and on
other files with `#` comments (Dockerfiles, YAML), whose default stub is the comment alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STARTER = re.compile(r"^(\s*)### STARTER ?(.*)$")
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
COMMENT_STUB = ("# YOUR CODE HERE",)  # files that are not Python: a `raise` would be a syntax error there
MARKED_SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".dockerfile")


def takes_markers(path: Path) -> bool:
    """Whether a file kind may hold markers: Python, notebooks, YAML and Dockerfiles."""
    return path.suffix in MARKED_SUFFIXES or path.name == "Dockerfile" or path.name.startswith("Dockerfile.")


def stub_for(path: Path) -> tuple[str, ...]:
    """The default stub of a solution block in this kind of file."""
    return STUB if path.suffix in (".py", ".ipynb") else COMMENT_STUB


class MarkerError(ValueError):
    """Unbalanced or nested markers; the message names the file and line."""


def _blocks(lines: list[str], begin: str, end: str, where: str):
    """Yield (start, stop) line indexes of each begin..end block, inclusive."""
    start = None
    for i, line in enumerate(lines):
        text = line.strip()
        if text == begin:
            if start is not None:
                raise MarkerError(f"{where}:{i + 1}: {begin} inside another block (line {start + 1})")
            start = i
        elif text == end:
            if start is None:
                raise MarkerError(f"{where}:{i + 1}: {end} without {begin}")
            yield start, i
            start = None
    if start is not None:
        raise MarkerError(f"{where}:{start + 1}: {begin} is never closed by {end}")


def _starter_block(block: list[str], stub: tuple[str, ...]) -> list[str]:
    indent = re.match(r"\s*", block[0]).group(0)
    starter = [m.group(1) + m.group(2) for line in block if (m := STARTER.match(line))]
    return starter or [indent + s for s in stub]


def to_starter(
    text: str, where: str = "<text>", only: set[int] | None = None, stub: tuple[str, ...] = STUB
) -> str:
    """The student edition of a source text: solutions stubbed, hidden tests removed.
    `only` stubs just those solution blocks (0-based), keeping the others solved; `stub` replaces
    a block that has no `### STARTER` lines."""
    lines = text.splitlines()
    out: list[str] = []
    pos = 0
    solution = list(_blocks(lines, BEGIN_SOLUTION, END_SOLUTION, where))
    hidden = list(_blocks(lines, BEGIN_HIDDEN, END_HIDDEN, where))
    blocks = [(a, b, n) for n, (a, b) in enumerate(solution)] + [(a, b, -1) for a, b in hidden]
    for start, stop, number in sorted(blocks):
        if start < pos:
            raise MarkerError(f"{where}:{start + 1}: solution and hidden-test blocks overlap")
        out.extend(lines[pos:start])
        if number >= 0 and only is not None and number not in only:
            out.extend(lines[start + 1 : stop])  # kept solved, markers dropped
        elif number >= 0:
            out.extend(_starter_block(lines[start : stop + 1], stub))
        pos = stop + 1
    out.extend(lines[pos:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def to_solution(text: str, where: str = "<text>") -> str:
    """The reference edition: the source itself, once its markers are checked."""
    lines = text.splitlines()
    list(_blocks(lines, BEGIN_SOLUTION, END_SOLUTION, where))
    list(_blocks(lines, BEGIN_HIDDEN, END_HIDDEN, where))
    return text


def without_markers(text: str, where: str = "<text>") -> str:
    """The reference solution as plain code: marker lines and `### STARTER` lines dropped. The next
    lab of a chain hands out a previous lab's file in this form."""
    to_solution(text, where)
    lines = text.splitlines(keepends=True)
    dropped = (BEGIN_SOLUTION, END_SOLUTION)
    return "".join(line for line in lines if line.strip() not in dropped and not STARTER.match(line))


def hidden_line_ranges(text: str, where: str = "<text>") -> list[tuple[int, int]]:
    """1-based inclusive line ranges of hidden-test blocks."""
    return [(a + 1, b + 1) for a, b in _blocks(text.splitlines(), BEGIN_HIDDEN, END_HIDDEN, where)]


def has_markers(text: str) -> bool:
    return BEGIN_SOLUTION in text or BEGIN_HIDDEN in text


def source_of(cell: dict) -> str:
    """A notebook cell's code: nbformat stores it as one string or as a list of lines."""
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def notebook_to_starter(text: str, where: str = "<notebook>") -> str:
    """The student edition of an `.ipynb`: the same transformation on every code cell."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MarkerError(f"{where}: not a valid notebook: {exc}") from None
    for n, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        cell["source"] = to_starter(source_of(cell), f"{where} cell {n + 1}")
        cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def starter_text(path: Path) -> str:
    """The student edition of one file, whatever its kind."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        return notebook_to_starter(text, str(path))
    return to_starter(text, str(path), stub=stub_for(path))
