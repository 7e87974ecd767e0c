"""Broken variants ("mutants") of a lab's reference files: each must fail exactly the tests about its
flaw, which proves the lab's tests catch what they claim and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.check import check_files
from graders.labspec import Lab
from graders.sandbox.client import Zygote


def swap(text: str, old: str, new: str) -> str:
    """`text` with its first `old` replaced; the reference must still contain `old`."""
    assert old in text, f"the reference no longer contains {old!r}: update this variant"
    return text.replace(old, new, 1)


def zygote_for(lab: Lab):
    """A module-scoped fixture: one warm zygote for all of a lab's variants."""

    @pytest.fixture(scope="module")
    def zygote():
        z = Zygote.start(lab.preload())
        yield z
        z.stop()

    return zygote


def failed_tests(lab: Lab, zygote: Zygote, folder: Path, replaced: dict[str, str]) -> set[str]:
    """The names of the lab's tests (hidden ones too) that fail when the reference files named in
    `replaced` are swapped for the given texts."""
    files = {name: lab.root / name for name in lab.spec.files}
    for name, text in replaced.items():
        (folder / name).write_text(text, encoding="utf-8")
        files[name] = folder / name
    score = check_files(lab, files, zygote, hidden=True, hide=[str(lab.root.parents[1])])
    assert not score.problem, score.problem
    return {t.info.id.rsplit("::", 1)[-1] for t in score.tests if not t.outcome.passed}
