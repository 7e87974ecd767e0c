"""The sandbox: what student code can and cannot do."""

import os
import socket

import pytest

from graders.course import find_root
from graders.labspec import Limits
from graders.sandbox.client import StudentCodeError, Zygote

PROBE = """
import os, socket, time

def listdir(path):
    return sorted(os.listdir(path))

def write(path):
    with open(path, "w") as f:
        f.write("owned")
    return True

def connect(port):
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    return True

def kill(pid):
    os.kill(pid, 9)

def uid():
    return os.getuid()

def spin():
    while True:
        pass

def hog():
    return len(bytearray(8 * 1024**3))

def env():
    return dict(os.environ)
"""
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="full isolation needs root (CI runs as root)")


@pytest.fixture(scope="module")
def zygote():
    z = Zygote.start([])
    yield z
    z.stop()


@pytest.fixture
def probe(zygote, tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(PROBE)
    sandbox = zygote.open({"probe.py": source}, Limits(timeout=10, memory_mb=256), hide=[str(find_root())])
    module = sandbox.request({"op": "import", "module": "probe"}, 5, "import probe")["ref"]

    def call(name, *args, timeout=5):
        fn = sandbox.request({"op": "getattr", "ref": module, "name": name}, timeout, name)["ref"]
        result = sandbox.request({"op": "call", "ref": fn, "args": list(args)}, timeout, name)["ref"]
        return sandbox.request({"op": "value", "ref": result}, timeout, name)["value"]

    yield call
    sandbox.remove()


def invisible(probe, folder) -> bool:
    """Empty, or gone altogether (a course under /tmp vanishes with the sandbox's own /tmp)."""
    try:
        return probe("listdir", str(folder)) == []
    except StudentCodeError as error:
        return "FileNotFoundError" in str(error)


@root_only
def test_the_course_and_home_are_hidden(probe):
    assert invisible(probe, find_root())
    assert invisible(probe, find_root() / "ai201")
    assert invisible(probe, os.path.expanduser("~/.ssh"))


@root_only
def test_nothing_outside_the_workdir_is_writable(probe, tmp_path):
    with pytest.raises(StudentCodeError, match="Read-only file system|Permission denied|FileNotFoundError"):
        probe("write", str(find_root() / "owned.txt"))
    assert not (find_root() / "owned.txt").exists()
    assert probe("write", "scratch.txt") is True


@root_only
def test_no_network_and_an_own_unprivileged_user(probe):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with pytest.raises(StudentCodeError, match="Network is unreachable|Connection refused"):
            probe("connect", server.getsockname()[1])
    assert probe("uid") >= 200_000


@root_only
def test_it_cannot_signal_the_grader(probe):
    with pytest.raises(StudentCodeError, match="PermissionError|Operation not permitted"):
        probe("kill", os.getpid())


def test_hangs_time_out(probe):
    with pytest.raises(StudentCodeError) as error:
        probe("spin", timeout=1)
    assert error.value.kind == "timeout"


def test_memory_is_capped(probe):
    with pytest.raises(StudentCodeError, match="MemoryError"):
        probe("hog")


def test_no_secrets_in_the_environment(probe, monkeypatch):
    assert "OPENAI_API_KEY" not in probe("env")
    assert set(probe("env")) <= {"PATH", "HOME", "TMPDIR", "LANG"}
