"""Tests for AI-201 lab 10, the Dockerfile. Run them with `daca check 10`.

Graded statically: your Dockerfile is parsed (dockerfile-parse, in the grading sandbox) and its
structure checked; nothing is built. Build and run it yourself with Docker (see the README).
"""

import re

from graders import points, value

SECRET_NAME = re.compile(r"PASSW(?:OR)?D|SECRET|TOKEN|KEY", re.IGNORECASE)
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
INSTALL = re.compile(r"\buv\s+(?:sync|pip\s+install)\b")
ANY_INSTALL = re.compile(r"\b(?:uv\s+sync|uv\s+pip\s+install|pip3?\s+install|poetry\s+install)\b")


def _stages(student):
    stages = value(student.helpers.parse_dockerfile("Dockerfile"))["stages"]
    assert stages, "the Dockerfile has no FROM yet: start with the builder stage"
    return stages


def _all(stage, name):
    return [i for i in stage["instructions"] if i["instruction"] == name]


def _last(stage, name):
    found = _all(stage, name)
    return found[-1] if found else None


def _refers_to_stage(ref, stages, before):
    """Whether `ref` (a FROM image or COPY --from) names one of the stages before index `before`."""
    earlier = stages[:before]
    return ref.lower() in {s["name"] for s in earlier if s["name"]} or ref in {
        str(s["index"]) for s in earlier
    }


def _pinned(image):
    """A version tag (with a digit, not `latest`) or a digest."""
    if DIGEST.search(image):
        return True
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return bool(re.search(r"\d", tag)) and tag != "latest"


def _builders(stages):
    """Stages before the final one that install dependencies with uv."""
    return [s for s in stages[:-1] if any(INSTALL.search(r["command"]) for r in _all(s, "RUN"))]


@points(2)
def test_builds_in_two_stages(student):
    """At least two stages (FROM ... AS builder, then the runtime); the final stage copies from the builder."""
    stages = _stages(student)
    assert len(stages) >= 2, f"{len(stages)} stage(s): build in one stage, run in a second, smaller one"
    final = stages[-1]
    copies = [c["flags"].get("from") for c in _all(final, "COPY") if c["flags"].get("from")]
    assert any(_refers_to_stage(str(ref), stages, final["index"]) for ref in copies), (
        f"the final stage (line {final['line']}) never copies from an earlier stage: "
        "COPY --from=builder /app /app"
    )


@points(1)
def test_base_images_are_pinned(student):
    """Every base image (and image you COPY --from) has a version tag or a digest, never `latest`."""
    stages = _stages(student)
    refs = [(s["image"], s["line"]) for s in stages if not _refers_to_stage(s["image"], stages, s["index"])]
    for stage in stages:
        for copy in _all(stage, "COPY"):
            source = str(copy["flags"].get("from", ""))
            if source and not _refers_to_stage(source, stages, len(stages)):
                refs.append((source, copy["line"]))
    loose = [
        f"{image or '(empty)'} (line {line})"
        for image, line in refs
        if image != "scratch" and not _pinned(image)
    ]
    assert not loose, f"pin these images to a version, e.g. python:3.12.8-slim-bookworm: {', '.join(loose)}"


@points(2)
def test_builder_installs_with_uv(student):
    """A stage before the final one installs the project's dependencies with uv (uv sync)."""
    stages = _stages(student)
    assert _builders(stages), (
        "no stage before the final one runs `uv sync` (or `uv pip install`): install the locked "
        "dependencies with uv in the builder"
    )


@points(2)
def test_final_stage_runs_as_non_root(student):
    """The final stage switches to an unprivileged USER (not root, not uid 0) and stays there."""
    final = _stages(student)[-1]
    user = _last(final, "USER")
    assert user is not None, "the final stage has no USER: the container would run as root"
    name = user["value"].split(":")[0].strip()
    assert name not in ("", "root", "0"), f"line {user['line']}: USER {user['value']} is root"


@points(1)
def test_exposes_8000_and_serves_on_all_interfaces(student):
    """EXPOSE 8000, and a CMD (or ENTRYPOINT) in exec (JSON) form that serves on 0.0.0.0, port 8000."""
    final = _stages(student)[-1]
    exposed = [p.split("/")[0] for e in _all(final, "EXPOSE") for p in e["args"]]
    assert "8000" in exposed, f"the final stage exposes {exposed or 'no port'}; EXPOSE 8000"
    parts = [i for i in (_last(final, "ENTRYPOINT"), _last(final, "CMD")) if i is not None]
    assert parts, "the final stage has no CMD"
    for part in parts:
        assert part["exec"] is not None, (
            f"line {part['line']}: write {part['instruction']} in exec form, "
            f'{part["instruction"]} ["uvicorn", ...], so the server is PID 1 and receives docker stop\'s SIGTERM'
        )
    words = " ".join(w for part in parts for w in part["exec"]).replace("=", " ").split()
    line = parts[-1]["line"]
    all_interfaces = "0.0.0.0" in words or words[:2] == ["fastapi", "run"]  # fastapi run binds 0.0.0.0
    assert all_interfaces, f"line {line}: bind 0.0.0.0 (127.0.0.1 is unreachable from outside the container)"
    assert "8000" in words, f"line {line}: serve on port 8000"


@points(1)
def test_healthcheck_asks_healthz(student):
    """The image's HEALTHCHECK (or the app's healthcheck in compose.yaml) asks /healthz."""
    final = _stages(student)[-1]
    check = _last(final, "HEALTHCHECK")
    if check is not None and check["args"] == ["CMD"]:
        assert "/healthz" in check["command"], f"line {check['line']}: the health check should ask /healthz"
        return
    compose = value(student.helpers.parse_compose("compose.yaml"))["data"]
    tests = [
        str((s.get("healthcheck") or {}).get("test", ""))
        for s in (compose.get("services") or {}).values()
        if isinstance(s, dict) and "build" in s
    ]
    assert any("/healthz" in t for t in tests), (
        "no HEALTHCHECK in the final stage (and no app healthcheck in compose.yaml) that asks /healthz"
    )


@points(2)
def test_no_secrets_baked_in(student):
    """No ENV/ARG named like a password, secret, key or token holds a value; no .env file is copied in."""
    parsed = value(student.helpers.parse_dockerfile("Dockerfile"))
    assert parsed["stages"], "the Dockerfile has no FROM yet"
    found = [
        f"ARG {k} (before the first FROM)" for k, v in parsed["args"].items() if SECRET_NAME.search(k) and v
    ]
    for stage in parsed["stages"]:
        for inst in stage["instructions"]:
            if inst["instruction"] in ("ENV", "ARG"):
                found += [
                    f"{inst['instruction']} {k} (line {inst['line']})"
                    for k, v in inst["pairs"].items()
                    if SECRET_NAME.search(k) and not k.upper().endswith("_FILE") and v
                ]
            if inst["instruction"] in ("COPY", "ADD") and not inst["flags"].get("from"):
                sources = inst["args"][:-1]
                found += [
                    f"{inst['instruction']} {src} (line {inst['line']})"
                    for src in sources
                    if src.rstrip("/").rsplit("/", 1)[-1].startswith(".env") and not src.endswith(".example")
                ]
    assert not found, (
        "secrets end up in the image's layers, readable by anyone with the image: "
        + ", ".join(found)
        + ". Pass them at run time (compose environment / env_file / secrets)"
    )


### BEGIN HIDDEN TESTS
@points(1)
def test_dependencies_are_a_cached_layer_from_the_lock(student):
    """The builder syncs from the lock (--locked or --frozen) before copying the rest of the project."""
    stages = _stages(student)
    builders = _builders(stages)
    assert builders, "no builder stage runs uv"
    builder = builders[0]
    order = builder["instructions"]
    first_sync = next(
        i for i, x in enumerate(order) if x["instruction"] == "RUN" and INSTALL.search(x["command"])
    )
    sync = order[first_sync]
    assert re.search(r"--locked|--frozen", sync["command"]), (
        f"line {sync['line']}: install exactly what uv.lock says (uv sync --locked)"
    )
    copies_before = [x for x in order[:first_sync] if x["instruction"] in ("COPY", "ADD")]
    assert any("uv.lock" in x["args"] for x in copies_before), "copy uv.lock before the first uv sync"
    assert not any("." in x["args"][:-1] for x in copies_before), (
        "the whole project is copied before the dependencies are installed: every code change "
        "would reinstall them; copy pyproject.toml and uv.lock first"
    )


@points(1)
def test_final_stage_installs_nothing(student):
    """The final stage copies the builder's environment: no uv, pip or poetry installs there."""
    stages = _stages(student)
    final = stages[-1]
    assert len(stages) >= 2, "one stage only"
    installs = [r for r in _all(final, "RUN") if ANY_INSTALL.search(r["command"])]
    assert not installs, (
        f"line {installs[0]['line'] if installs else ''}: install in the builder, not in the runtime"
    )
    tools = [c for c in _all(final, "COPY") if "astral-sh/uv" in str(c["flags"].get("from", ""))]
    assert not tools, f"line {tools[0]['line'] if tools else ''}: the runtime does not need uv"


@points(1)
def test_runtime_uses_the_builders_python(student):
    """The final stage starts from the same base image as the builder (the venv points at its Python)."""
    stages = _stages(student)
    builders = _builders(stages)
    assert builders, "no builder stage runs uv"
    final = stages[-1]
    assert final["image"] == builders[0]["image"], (
        f"builder {builders[0]['image']} vs runtime {final['image']}: the virtual environment's "
        "python is a link to the builder's interpreter, which must exist at the same path"
    )


### END HIDDEN TESTS
