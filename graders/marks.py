"""Decorators for lab tests; the scorer reads them statically (graders.testinfo)."""

import pytest


def points(n: float):
    """What the test is worth (default 1)."""
    return pytest.mark.points(n)


def passes_on_starter(reason: str):
    """A graded test that is meant to pass on the untouched starter, and why."""
    return pytest.mark.passes_on_starter(reason)
