"""Static views of a student's Dockerfile and compose file, built in the sandbox as JSON.

The files are untrusted input: they are read here, never in the trusted process, so a YAML bomb or
a pathological file costs the sandbox its time limit, not the scorer. Both parsers use the real
libraries (dockerfile-parse for Dockerfiles, PyYAML's safe loader and the Compose Specification's
JSON schema for compose files) and return plain data that tests inspect.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

MAX_BYTES = 256 * 1024  # a real Dockerfile or compose file is a few KiB
MAX_NODES = 20_000  # YAML nodes after expanding aliases: stops "billion laughs" documents
MAX_SCHEMA_ERRORS = 20
FLAG = re.compile(r"^--([a-z][a-z0-9-]*)(?:=(.*))?$")
WITH_FLAGS = {"FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"}
WITH_PAIRS = {"ENV", "ARG", "LABEL"}
HEALTHCHECK_CMD = re.compile(r"(?:^|\s)CMD\s+(.*)$", re.IGNORECASE | re.DOTALL)
VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


class StaticFileError(ValueError):
    """A file that cannot be read as what it should be; the message names the file and line."""


def _read(path: str) -> str:
    file = Path(path)
    if not file.is_file():
        raise StaticFileError(f"{path}: no such file")
    if file.stat().st_size > MAX_BYTES:
        raise StaticFileError(f"{path}: {file.stat().st_size} bytes; a file this big is not a {file.name}")
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StaticFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


# ---- Dockerfile ------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:  # an unbalanced quote: Docker would complain too; keep the raw words
        return text.split()


def _flags(words: list[str]) -> tuple[dict[str, str | bool], list[str]]:
    """Leading `--name=value` / `--name` options, and the words after them."""
    flags: dict[str, str | bool] = {}
    for n, word in enumerate(words):
        match = FLAG.match(word)
        if not match:
            return flags, words[n:]
        flags[match.group(1)] = match.group(2) if match.group(2) is not None else True
    return flags, []


def _exec_form(text: str) -> list[str] | None:
    """The JSON array of an exec-form CMD/ENTRYPOINT/RUN, or None for the shell form."""
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed) else None


def _pairs(instruction: str, value: str) -> dict[str, str | None]:
    """ENV/LABEL `k=v k2="v 2"` (or the legacy `ENV k v`) and ARG `NAME` / `NAME=default`."""
    words = _words(value)
    if instruction == "ENV" and words and "=" not in words[0]:
        return {words[0]: value.strip()[len(words[0]) :].strip()}
    pairs: dict[str, str | None] = {}
    for word in words:
        key, sep, val = word.partition("=")
        pairs[key] = val if sep else None
    return pairs


def _substitute(text: str, args: dict[str, str | None]) -> str:
    """`${NAME}`, `$NAME`, `${NAME:-word}` and `${NAME:+word}` resolved with the global ARGs'
    defaults, as Docker does in FROM lines."""

    def value(m: re.Match) -> str:
        current = args.get(m.group(1) or m.group(4)) or ""
        if m.group(2) == "-":
            return current or m.group(3)
        if m.group(2) == "+":
            return m.group(3) if current else ""
        return current

    return VARIABLE.sub(value, text)


def _instruction(item: dict[str, Any]) -> dict[str, Any]:
    name, value = item["instruction"].upper(), item["value"]
    out: dict[str, Any] = {"instruction": name, "line": item["startline"] + 1, "value": value}
    words = _words(value)
    flags, rest = _flags(words) if name in WITH_FLAGS else ({}, words)
    out["flags"] = flags
    if name in WITH_PAIRS:
        out["pairs"] = _pairs(name, value)
    elif name == "HEALTHCHECK":
        out["args"] = [w.upper() for w in rest[:1]]  # CMD or NONE
        match = HEALTHCHECK_CMD.search(value) if out["args"] == ["CMD"] else None
        out["command"] = match.group(1).strip() if match else ""
        out["exec"] = _exec_form(out["command"])
    elif name in ("CMD", "ENTRYPOINT", "RUN", "SHELL"):
        body = value
        if flags:  # RUN --mount=... cmd: the command is what follows the options
            body = value.split(None, len(flags))[-1]
        out["exec"] = _exec_form(body)
        out["command"] = body.strip()
    else:
        exec_form = _exec_form(value) if name in ("COPY", "ADD", "VOLUME") and not flags else None
        out["args"] = exec_form if exec_form is not None else rest
    return out


def parse_dockerfile(path: str = "Dockerfile") -> dict[str, Any]:
    """The Dockerfile as build stages: `{"args": {global ARG defaults}, "stages": [{"index",
    "name", "image", "flags", "line", "instructions": [{"instruction", "line", "value", "flags",
    and "args" | "pairs" | "exec"/"command"}]}]}`. Parsed with dockerfile-parse (line
    continuations, comments, escape directive); `image` has global ARGs substituted."""
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(fileobj=io.BytesIO(_read(path).encode("utf-8")))
    global_args: dict[str, str | None] = {}
    stages: list[dict[str, Any]] = []
    for item in parser.structure:
        if item["instruction"] == "COMMENT":
            continue
        instruction = _instruction(item)
        if instruction["instruction"] == "FROM":
            flags, rest = _flags(_words(instruction["value"]))
            image = _substitute(rest[0], global_args) if rest else ""
            name = rest[2] if len(rest) >= 3 and rest[1].upper() == "AS" else None
            stages.append(
                {
                    "index": len(stages),
                    "name": name.lower() if name else None,
                    "image": image,
                    "flags": flags,
                    "line": instruction["line"],
                    "instructions": [],
                }
            )
        elif not stages:
            if instruction["instruction"] == "ARG":
                global_args.update(instruction["pairs"])
            else:
                raise StaticFileError(
                    f"{path}:{instruction['line']}: {instruction['instruction']} before the first FROM "
                    "(only ARG may come before it)"
                )
        else:
            stages[-1]["instructions"].append(instruction)
    return {"args": global_args, "stages": stages}


# ---- compose ---------------------------------------------------------------------------------


def _loader(path: str):
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """Safe loading that refuses duplicate keys, as Compose does (PyYAML keeps the last)."""

        def construct_mapping(self, node, deep=False):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden
                    continue
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, list | dict):
                    raise StaticFileError(f"{path}:{key_node.start_mark.line + 1}: a key must be plain text")
                if key in seen:
                    raise StaticFileError(f"{path}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def _count_nodes(data: Any, path: str) -> None:
    """Refuse documents whose aliases expand into more than MAX_NODES nodes (or into a cycle)."""
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise StaticFileError(
                f"{path}: more than {MAX_NODES} values once YAML aliases are expanded; "
                "a compose file needs far fewer (is an anchor referring to itself?)"
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _plain(data: Any) -> Any:
    """JSON-compatible copy: YAML dates and other scalars become strings, keys become strings."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if data is None or isinstance(data, bool | int | float | str):
        return data
    return str(data)


@functools.cache
def compose_schema() -> dict[str, Any]:
    """The Compose Specification's JSON schema, as vendored by check-jsonschema (read as a data
    file: importing check_jsonschema would load its CLI for nothing)."""
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("check-jsonschema is not installed; it ships the Compose Specification's schema")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return json.loads(
        (folder / "builtin_schemas" / "vendor" / "compose-spec.json").read_text(encoding="utf-8")
    )


def _schema_errors(data: Any) -> list[str]:
    from jsonschema.validators import validator_for

    schema = compose_schema()
    validator = validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for error in errors[:MAX_SCHEMA_ERRORS]:
        where = ".".join(map(str, error.absolute_path)) or "(top level)"
        out.append(f"{where}: {error.message[:300]}")
    return out


def parse_compose(path: str = "compose.yaml") -> dict[str, Any]:
    """The compose file as `{"data": <the document>, "schema_errors": [...]}`: loaded with PyYAML's
    safe loader (duplicate keys refused, alias expansion bounded) and validated against the
    Compose Specification's JSON schema. `${VAR}` interpolation is left as written."""
    import yaml

    text = _read(path)
    try:
        data = yaml.load(text, Loader=_loader(path))  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise StaticFileError(f"{path}{line}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise StaticFileError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        raise StaticFileError(f"{path}: empty; a compose file starts with `services:`")
    if not isinstance(data, dict):
        raise StaticFileError(f"{path}: the document is a {type(data).__name__}, not a mapping")
    _count_nodes(data, path)
    data = _plain(data)
    return {"data": data, "schema_errors": _schema_errors(data)}
