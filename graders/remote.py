"""What tests hold of the student's code: handles to objects that live in the sandbox.

A `Remote` never lets a comparison happen in the sandbox: `value(x)` brings a JSON copy home and
the test compares it here, where the student's code cannot reach. Using a handle as a truth value
or comparing it directly is an error, so `assert handle` can never pass by accident.
"""

from __future__ import annotations

from typing import Any

from graders.sandbox.client import StudentCodeError


class Remote:
    """A handle to an object in the sandbox: attribute access, calls and indexing return handles."""

    __slots__ = ("_student", "_ref", "_label", "_type", "_callable")

    def __init__(self, student: Student, reply: dict[str, Any], label: str):
        self._student, self._label = student, label
        self._ref, self._type, self._callable = reply["ref"], reply["type"], reply["callable"]

    def _op(self, op: str, label: str, **fields: Any) -> dict[str, Any]:
        return self._student._request({"op": op, "ref": self._ref, **fields}, label)

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("__"):
            raise AttributeError(name)
        label = f"{self._label}.{name}"
        return Remote(self._student, self._op("getattr", label, name=name), label)

    def __getitem__(self, key: Any) -> Remote:
        label = f"{self._label}[{key!r}]"
        return Remote(self._student, self._op("getitem", label, key=_encode(key)), label)

    def __call__(self, *args: Any, **kwargs: Any) -> Remote:
        label = f"{self._label}()"
        reply = self._op(
            "call", label, args=[_encode(a) for a in args], kwargs={k: _encode(v) for k, v in kwargs.items()}
        )
        return Remote(self._student, reply, label)

    def __bool__(self) -> bool:
        raise TypeError(f"compare value({self._label}) instead of the handle itself")

    def __eq__(self, other: object) -> bool:
        raise TypeError(f"compare value({self._label}) instead of the handle itself")

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self):
        raise TypeError(f"use items({self._label}) to iterate over a student's object")

    def __repr__(self) -> str:
        return f"<student {self._label}: {self._type}>"


def _encode(obj: Any) -> Any:
    if isinstance(obj, Remote):
        return {"$ref": obj._ref}
    if isinstance(obj, list | tuple):
        return [_encode(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _encode(v) for k, v in obj.items()}
    return obj


def value(handle: Remote) -> Any:
    """A JSON copy of the object: plain data, pydantic models, dataclasses and enums."""
    return handle._op("value", f"value({handle._label})")["value"]


def text(handle: Remote) -> str:
    """`str()` of the object, computed in the sandbox."""
    return handle._op("str", f"str({handle._label})")["value"]


def type_name(handle: Remote) -> str:
    """The object's type as `module.QualName` (reported by the sandbox)."""
    return handle._type


def is_callable(handle: Remote) -> bool:
    return handle._callable


def items(handle: Remote) -> list[Remote]:
    """Handles to the elements of an iterable object."""
    refs = handle._op("items", f"list({handle._label})")["refs"]
    return [
        Remote(handle._student, {"ref": r, "type": "?", "callable": False}, f"{handle._label}[{i}]")
        for i, r in enumerate(refs)
    ]


class Student:
    """The `student` fixture: `student.<module>` imports one of the student's files in the sandbox,
    `student.helpers` reaches graders.sandbox.helpers there, `student.output()` is what it printed."""

    def __init__(self, sandbox, budget, failed_imports: dict[str, StudentCodeError] | None = None):
        self._sandbox, self._budget = sandbox, budget
        self._modules: dict[tuple[int, str], Remote] = {}
        # an import that hung or crashed once will again: fail the later tests at once
        self._failed_imports = {} if failed_imports is None else failed_imports

    def _request(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        return self._sandbox().request(message, self._budget.remaining(), label)

    def module(self, name: str) -> Remote:
        if name in self._failed_imports:
            raise self._failed_imports[name]
        key = (id(self._sandbox()), name)
        if key not in self._modules:
            try:
                reply = self._request({"op": "import", "module": name}, f"import {name}")
            except StudentCodeError as exc:
                if exc.kind in ("crash", "timeout"):
                    self._failed_imports[name] = exc
                raise
            self._modules[key] = Remote(self, reply, name)
        return self._modules[key]

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.module(name)

    @property
    def helpers(self) -> Remote:
        return self.module("graders.sandbox.helpers")

    def output(self) -> str:
        """What the student's code printed so far (the tail)."""
        return self._sandbox().output()
