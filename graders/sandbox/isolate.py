"""Filesystem and identity isolation for a sandbox, where the OS allows it (root, Linux).

In a private mount namespace the sandbox sees the instructor's course folder, the grading output,
the user's home and /tmp as empty tmpfs, everything else read-only, keeps only its own working
folder writable, and then drops to an unprivileged user of its own: it cannot read hidden tests,
write a gradebook, signal or trace the grader.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 1, 2, 4, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
KEEP_WRITABLE = ("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue")

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _mount_points() -> list[str]:
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        points.append(point)
    return points


def unshare_network() -> bool:
    return _libc.unshare(CLONE_NEWNET) == 0


def sandbox_uid(pid: int) -> int:
    """An unprivileged uid of this sandbox's own, so process limits and signals are per sandbox."""
    return 200_000 + pid % 100_000


def isolate(workdir: Path, hide: list[str], expose: list[str], uid: int) -> None:
    """Hide `hide`, keep `expose` (inside hidden folders) readable, make the rest read-only, and
    become `uid`. Needs root; raises OSError if the kernel refuses."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare mount namespace")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    keep = {p: os.open(p, os.O_PATH) for p in [str(workdir), *expose] if os.path.exists(p)}
    hidden = []
    for folder in sorted({os.path.realpath(h) for h in hide if os.path.isdir(h)}, key=len):
        if any(folder.startswith(h + "/") for h in hidden):
            continue
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=256m")
        hidden.append(folder)
    for path, fd in keep.items():
        if any(path == h or path.startswith(h + "/") for h in hidden):
            Path(path).mkdir(parents=True, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    writable = {str(workdir), *hidden, *KEEP_WRITABLE}
    for point in _mount_points():
        if point not in writable:
            _libc.mount(None, point.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
    os.chown(workdir, uid, uid)
    for child in workdir.rglob("*"):
        os.chown(child, uid, uid)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
