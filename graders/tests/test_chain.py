"""The chain of labs: a file a lab hands out unchanged is the previous lab's reference solution."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.markers import has_markers, without_markers

ROOT = Path(__file__).resolve().parents[2]
GIVEN = [  # (the lab's given file, the earlier lab's file it must equal as plain code)
    ("ai201/lab06_sessions/helpdesk.py", "ai201/lab05_guardrails/helpdesk.py"),
    ("ai201/lab07_postgres/memory.py", "ai201/lab06_sessions/memory.py"),
    *(  # labs 8-10 hand out everything of the lab before them but their own new file
        (f"ai201/{lab}/{name}", f"ai201/{before}/{name}")
        for lab, before, names in [
            ("lab08_redis", "lab07_postgres", ["helpdesk.py", "memory.py"]),
            ("lab09_fastapi", "lab08_redis", ["cache.py", "helpdesk.py", "memory.py"]),
            ("lab10_containers", "lab09_fastapi", ["api.py", "cache.py", "helpdesk.py", "memory.py"]),
        ]
        for name in [
            *names,
            *(
                str(f.relative_to(ROOT / "ai201" / before))
                for f in (ROOT / "ai201" / before / "store").rglob("*.py")
            ),
        ]
    ),
]


@pytest.mark.parametrize("given, source", GIVEN)
def test_given_files_are_the_previous_solution(given: str, source: str) -> None:
    text = (ROOT / given).read_text(encoding="utf-8")
    assert not has_markers(text), f"{given} is handed out as it is: no markers"
    expected = without_markers((ROOT / source).read_text(encoding="utf-8"), source)
    assert text == expected, f"{given} differs from {source}'s solution; copy it again"
