"""DACA Labs grading: the public API that lab tests use.

Tests receive a `student` fixture whose attributes are the student's modules, living in a sandbox;
`value()`/`text()` bring JSON copies of results back so that every comparison happens here.
"""

from graders.marks import passes_on_starter, points
from graders.remote import Remote, Student, is_callable, items, text, type_name, value
from graders.sandbox.client import StudentCodeError

__all__ = [
    "Remote",
    "Student",
    "StudentCodeError",
    "is_callable",
    "items",
    "passes_on_starter",
    "points",
    "text",
    "type_name",
    "value",
]
