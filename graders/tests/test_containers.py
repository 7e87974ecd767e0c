"""The sandbox's static parsers of Dockerfiles and compose files (graders/sandbox/containers.py)."""

import time

import pytest

from graders.sandbox.containers import StaticFileError, parse_compose, parse_dockerfile

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG PYTHON=3.12.8
FROM --platform=linux/amd64 python:${PYTHON}-slim AS Builder
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/
ENV A=1 B="two words"
ENV LEGACY some value
ARG TOKEN
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked
FROM python:${PYTHON}-slim
COPY --from=builder /app /app
EXPOSE 8000/tcp
USER app:app
HEALTHCHECK --interval=5s CMD ["python", "-c", "print('/healthz')"]
CMD ["uvicorn", "api:app"]
"""


@pytest.fixture
def write(tmp_path):
    def _write(name, text):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return _write


def test_dockerfile_stages_flags_and_forms(write):
    parsed = parse_dockerfile(write("Dockerfile", DOCKERFILE))
    assert parsed["args"] == {"PYTHON": "3.12.8"}
    builder, runtime = parsed["stages"]
    assert (builder["name"], builder["image"], builder["flags"]) == (
        "builder",
        "python:3.12.8-slim",
        {"platform": "linux/amd64"},
    )
    assert (runtime["name"], runtime["image"], runtime["line"]) == (None, "python:3.12.8-slim", 10)
    copy, env, legacy, arg, run = builder["instructions"]
    assert copy["flags"] == {"from": "ghcr.io/astral-sh/uv:0.13.9"} and copy["args"] == ["/uv", "/bin/"]
    assert env["pairs"] == {"A": "1", "B": "two words"} and legacy["pairs"] == {"LEGACY": "some value"}
    assert arg["pairs"] == {"TOKEN": None}
    assert run["command"].split() == ["uv", "sync", "--locked"] and run["line"] == 8
    by_name = {i["instruction"]: i for i in runtime["instructions"]}
    assert by_name["EXPOSE"]["args"] == ["8000/tcp"] and by_name["USER"]["args"] == ["app:app"]
    assert by_name["HEALTHCHECK"]["args"] == ["CMD"] and by_name["HEALTHCHECK"]["flags"] == {"interval": "5s"}
    assert by_name["HEALTHCHECK"]["exec"] == ["python", "-c", "print('/healthz')"]
    assert by_name["CMD"]["exec"] == ["uvicorn", "api:app"]


def test_from_lines_resolve_global_args_like_docker(write):
    text = (
        "ARG V=3.12\nARG EMPTY\n"
        "FROM python:${V}-slim\nFROM python:${EMPTY:-3.11}\nFROM python:${V:+3.13}\nFROM $V\n"
    )
    images = [s["image"] for s in parse_dockerfile(write("Dockerfile", text))["stages"]]
    assert images == ["python:3.12-slim", "python:3.11", "python:3.13", "3.12"]


def test_dockerfile_shell_forms_and_problems(write):
    parsed = parse_dockerfile(
        write("Dockerfile", "FROM alpine:3.20\nCMD uvicorn api:app\nHEALTHCHECK NONE\n")
    )
    cmd, check = parsed["stages"][0]["instructions"]
    assert cmd["exec"] is None and cmd["command"] == "uvicorn api:app"
    assert check["args"] == ["NONE"] and check["command"] == ""
    assert parse_dockerfile(write("Dockerfile", "# only comments\n")) == {"args": {}, "stages": []}
    with pytest.raises(StaticFileError, match=r"Dockerfile:1: RUN before the first FROM"):
        parse_dockerfile(write("Dockerfile", "RUN true\nFROM alpine:3.20\n"))
    with pytest.raises(StaticFileError, match="no such file"):
        parse_dockerfile(str(write("x", "") + ".missing"))
    with pytest.raises(StaticFileError, match="bytes; a file this big"):
        parse_dockerfile(write("Dockerfile", "# x\n" * 100_000))


def test_compose_is_loaded_safely_and_checked_against_the_spec(write):
    text = """\
x-common: &common
  restart: unless-stopped
services:
  app:
    <<: *common
    restart: "no"
    build: .
    ports: ["8000:8000"]
  db:
    image: postgres:16.4
    ports: 5432
"""
    parsed = parse_compose(write("compose.yaml", text))
    assert parsed["data"]["services"]["app"] == {"restart": "no", "build": ".", "ports": ["8000:8000"]}
    assert "services.db.ports: 5432 is not of type 'array'" in parsed["schema_errors"]
    assert not [e for e in parsed["schema_errors"] if e.startswith("services.app")]
    with pytest.raises(StaticFileError, match=r"compose.yaml:4: duplicate key 'app'"):
        parse_compose(write("compose.yaml", "services:\n  app: {}\n  db: {}\n  app: {}\n"))
    with pytest.raises(StaticFileError, match=r"compose.yaml:3: not valid YAML"):
        parse_compose(write("compose.yaml", "services:\n  app: [\n"))
    with pytest.raises(StaticFileError, match="empty"):
        parse_compose(write("compose.yaml", "# nothing yet\n"))
    with pytest.raises(StaticFileError, match="a list, not a mapping"):
        parse_compose(write("compose.yaml", "- a\n"))
    with pytest.raises(StaticFileError, match="python/object"):
        parse_compose(write("compose.yaml", "services: !!python/object:os.system {}\n"))


def test_yaml_bombs_are_refused_quickly(write):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    started = time.monotonic()
    with pytest.raises(StaticFileError, match="more than 20000 values"):
        parse_compose(write("compose.yaml", "\n".join(lines) + "\nservices: {}\n"))
    with pytest.raises(StaticFileError, match="more than 20000 values"):
        parse_compose(write("compose.yaml", "services: &loop\n  app: *loop\n"))
    assert time.monotonic() - started < 5  # 10^9 nodes if expanded
