"""The sandbox side: limits itself, then serves requests about the student's code as JSON.

Objects stay here; the runner only ever receives JSON values, type names and error texts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import importlib
import inspect
import os
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

from graders.sandbox import limits, wire

MAX_ITEMS = 10_000
MAX_DEPTH = 32


class NotJSON(TypeError):
    pass


def to_json(obj: Any, depth: int = 0) -> Any:
    """A JSON value for plain data, pydantic models, dataclasses and enums; TypeError otherwise."""
    if depth > MAX_DEPTH:
        raise NotJSON("value nested too deeply")
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, enum.Enum):
        return to_json(obj.value, depth + 1)
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=repr) if isinstance(obj, set | frozenset) else obj
        return [to_json(x, depth + 1) for x in list(items)[:MAX_ITEMS]]
    if isinstance(obj, dict):
        return {str(k): to_json(v, depth + 1) for k, v in list(obj.items())[:MAX_ITEMS]}
    if hasattr(obj, "model_dump") and callable(obj.model_dump):
        return to_json(obj.model_dump(mode="json"), depth + 1)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return to_json(fields, depth + 1)
    raise NotJSON(f"a {type_name(obj)} is not plain data; compare its attributes instead")


def type_name(obj: Any) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


class Session:
    """Object table and request handlers for one sandbox."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.objects: dict[int, Any] = {}
        self.loop = asyncio.new_event_loop()

    def keep(self, obj: Any) -> dict[str, Any]:
        ref = len(self.objects) + 1
        self.objects[ref] = obj
        return {"ok": True, "ref": ref, "type": type_name(obj), "callable": callable(obj)}

    def arg(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"$ref"}:
            return self.objects[value["$ref"]]
        if isinstance(value, list):
            return [self.arg(v) for v in value]
        if isinstance(value, dict):
            return {k: self.arg(v) for k, v in value.items()}
        return value

    def settle(self, result: Any) -> Any:
        """Run what the student's code returned unfinished: coroutines and async generators."""
        if inspect.iscoroutine(result):
            return self.loop.run_until_complete(result)
        if inspect.isasyncgen(result):

            async def collect():
                return [item async for item in result][:MAX_ITEMS]

            return self.loop.run_until_complete(collect())
        return result

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        if op == "import":
            return self.keep(importlib.import_module(req["module"]))
        target = self.objects[req["ref"]]
        if op == "getattr":
            return self.keep(getattr(target, req["name"]))
        if op == "getitem":
            return self.keep(target[self.arg(req["key"])])
        if op == "call":
            args = [self.arg(a) for a in req.get("args", [])]
            kwargs = {k: self.arg(v) for k, v in req.get("kwargs", {}).items()}
            return self.keep(self.settle(target(*args, **kwargs)))
        if op == "value":
            return {"ok": True, "value": to_json(target)}
        if op == "str":
            return {"ok": True, "value": str(target)[:100_000]}
        if op == "items":
            return {"ok": True, "refs": [self.keep(x)["ref"] for x in list(target)[:MAX_ITEMS]]}
        raise ValueError(f"unknown request {op!r}")

    def error(self, exc: BaseException) -> dict[str, Any]:
        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(str(self.workdir))
        ]
        for frame in frames:
            frame.filename = os.path.relpath(frame.filename, self.workdir)
        text = "".join(traceback.format_list(frames[-8:]))
        if isinstance(exc, SyntaxError):
            where = f"{os.path.basename(exc.filename or '?')}, line {exc.lineno}"
            message = f"{type(exc).__name__}: {exc.msg} ({where})\n    {(exc.text or '').strip()}"
        else:
            message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return {
            "ok": False,
            "error": {"type": type(exc).__name__, "message": message[:4000], "traceback": text[-8000:]},
        }


def _redirect_output(workdir: Path) -> None:
    out = os.open(workdir / ".output", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)


def serve(conn: socket.socket) -> None:
    """Entry point in a freshly forked child of the zygote; never returns normally."""
    setup = wire.receive(conn)
    workdir = Path(setup["workdir"]).resolve()
    try:
        enforced = limits.apply(limits.SandboxLimits(**setup["limits"]), workdir, setup.get("hide", []))
    except Exception as exc:  # noqa: BLE001 - reported to the runner, which refuses to go on
        wire.send(conn, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(
        {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(workdir),
            "TMPDIR": str(workdir),
            "LANG": "C.UTF-8",
            **setup.get("env", {}),
        }
    )
    sys.path.insert(0, str(workdir))
    _redirect_output(workdir)
    session = Session(workdir)
    owner = os.getpid()
    wire.send(conn, {"ok": True, "pid": owner, "enforced": enforced})
    while True:
        try:
            request = wire.receive(conn)
        except wire.WireError:
            return
        try:
            reply = session.handle(request)
        except BaseException as exc:  # noqa: BLE001 - anything the student's code raises is data
            reply = session.error(exc)
        if os.getpid() != owner:  # a process the student's code forked: it must not answer
            os._exit(0)
        sys.stdout.flush()
        sys.stderr.flush()
        wire.send(conn, reply)
