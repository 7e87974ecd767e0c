"""Find or build `daprd`, `placement` and `scheduler` of the pinned Dapr release.

Order: binaries on PATH, then `~/.dapr/bin` (what `dapr init --slim` installs), then the build
cache; each directory is used only if all three binaries report the pinned version. Otherwise, if Go
is installed, the binaries are built from the Go module proxy with the wrapper module in
`infra/dapr/gobuild/` into the cache, `~/.cache/daca/dapr/<version>/bin` (`DACA_DAPR_CACHE`
replaces `~/.cache/daca/dapr`), and reused on later runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

DAPR_VERSION = "1.18.2"
"""The Dapr runtime release the course pins (the newest whose dependencies the Go proxy serves in
full; Python SDK dapr==1.19.0 talks to it)."""

BINARIES = ("daprd", "placement", "scheduler")
GOBUILD_DIR = Path(__file__).parent / "gobuild"
_DAPR_MODULE = "github.com/dapr/dapr"
# Upstream top-level folders that no binary imports: left out of the build copy.
_SKIP_SOURCE = {"tests", "docs", "img", "grafana", "swagger", "docker"}

Log = Callable[[str], None]


class DaprBinariesMissing(RuntimeError):
    """Neither matching binaries nor a Go toolchain to build them."""


@dataclass(frozen=True)
class DaprBinaries:
    """Where the three binaries of one Dapr release are."""

    version: str
    """Dapr runtime version, e.g. "1.18.2"."""
    bin_dir: Path
    """Directory holding daprd, placement and scheduler."""
    source: str
    """Where they came from: "PATH", "~/.dapr/bin", "cache" or "built"."""

    def path(self, name: str) -> Path:
        return self.bin_dir / name

    def describe(self) -> str:
        return f"Dapr {self.version} from {self.source} ({self.bin_dir})"


def cache_root() -> Path:
    return Path(os.environ.get("DACA_DAPR_CACHE") or Path.home() / ".cache" / "daca" / "dapr")


def cache_dir(version: str = DAPR_VERSION) -> Path:
    return cache_root() / version


def binary_version(path: Path) -> str | None:
    """The version `daprd --version` reports, or None if it cannot run."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[-1].strip().removeprefix("v") if out.returncode == 0 and text else None


def _candidates() -> Iterator[tuple[str, Path]]:
    on_path = shutil.which("daprd")
    if on_path:
        yield "PATH", Path(on_path).resolve().parent
    yield "~/.dapr/bin", Path.home() / ".dapr" / "bin"


def _matches(bin_dir: Path, version: str) -> bool:
    # Only daprd has --version; placement and scheduler count as the same release when they sit
    # next to it (as `dapr init --slim` and the build here install them).
    return all((bin_dir / n).is_file() for n in BINARIES) and binary_version(bin_dir / "daprd") == version


def find(version: str = DAPR_VERSION) -> DaprBinaries | None:
    """Matching binaries already on this machine, or None."""
    for source, bin_dir in _candidates():
        if _matches(bin_dir, version):
            return DaprBinaries(version, bin_dir, source)
    cached = cache_dir(version) / "bin"
    if _matches(cached, version):
        return DaprBinaries(version, cached, "cache")
    return None


def ensure(version: str = DAPR_VERSION, *, build: bool = True, log: Log | None = None) -> DaprBinaries:
    """Matching binaries, building them into the cache if needed (and allowed)."""
    found = find(version)
    if found:
        return found
    if not build or shutil.which("go") is None:
        raise DaprBinariesMissing(
            f"Dapr {version} binaries (daprd, placement, scheduler) were not found on PATH, in "
            f"~/.dapr/bin or in {cache_dir(version) / 'bin'}, and Go is not installed to build them. "
            f"Install the Dapr CLI and run `dapr init --slim --runtime-version {version}`."
        )
    return build_binaries(version, log=log or (lambda _m: None))


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _go(args: list[str], cwd: Path, log: Log, env: dict[str, str] | None = None) -> str:
    log("$ go " + " ".join(args))
    run_env = {**os.environ, "CGO_ENABLED": "0", **(env or {})}
    out = subprocess.run(["go", *args], cwd=cwd, env=run_env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"`go {' '.join(args)}` failed in {cwd}:\n{out.stdout}{out.stderr}")
    return out.stdout


def _prepare_workspace(version: str, work: Path, log: Log) -> None:
    """Copy the wrapper module and the verified upstream source into `work`.

    Upstream's cmd/daprd/components panics unless built with the tag "stablecomponents" or
    "allcomponents" (every component, a far longer build). The copy blanks that one file so that
    only the components registered by gobuild/daprd/components.go are compiled in. The upstream
    module is downloaded (and checked against go.sum) by `go mod download`; its own go.sum then
    pins every dependency's checksum.
    """
    info = json.loads(_go(["mod", "download", "-json", f"{_DAPR_MODULE}@v{version}"], GOBUILD_DIR, log))
    upstream = Path(info["Dir"])
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for item in ("go.mod", "go.sum", "daprd", "placement", "scheduler"):
        src = GOBUILD_DIR / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, work / item)
    top = str(upstream)
    shutil.copytree(upstream, work / "dapr", ignore=lambda d, _names: _SKIP_SOURCE if d == top else ())
    for p in (work / "dapr").rglob("*"):
        p.chmod(p.stat().st_mode | 0o200)
    (work / "dapr" / "cmd" / "daprd" / "components" / "zz_notag.go").write_text("package components\n")
    with (work / "go.sum").open("a") as fh:
        fh.write((work / "dapr" / "go.sum").read_text())
    _go(["mod", "edit", f"-replace={_DAPR_MODULE}=./dapr"], work, log)


def build_binaries(version: str = DAPR_VERSION, *, log: Log) -> DaprBinaries:
    """Build the three binaries into the cache (serialised across processes by a lock file)."""
    root = cache_dir(version)
    with _lock(root / ".lock"):
        if _matches(root / "bin", version):  # another process finished it meanwhile
            return DaprBinaries(version, root / "bin", "cache")
        started = time.monotonic()
        work = root / "src"
        _prepare_workspace(version, work, log)
        staging = Path(tempfile.mkdtemp(prefix="bin.", dir=root))
        ldflags = f"-s -w -X {_DAPR_MODULE}/pkg/buildinfo.version={version}"
        log(f"building daprd, placement and scheduler {version} (a cold build takes many minutes)")
        _go(["build", "-mod=mod", "-trimpath", f"-ldflags={ldflags}", "-o", f"{staging}/",
             "./daprd", "./placement", "./scheduler"], work, log)
        final = root / "bin"
        if final.exists():
            shutil.rmtree(final)
        staging.chmod(0o755)
        staging.rename(final)
        shutil.rmtree(work, ignore_errors=True)
        seconds = time.monotonic() - started
        (root / "build.json").write_text(json.dumps({"version": version, "seconds": round(seconds, 1)}))
        log(f"built in {seconds:.0f} s into {final}")
    if not _matches(final, version):
        raise RuntimeError(f"built binaries in {final} do not report version {version}")
    return DaprBinaries(version, final, "built")
