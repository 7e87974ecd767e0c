"""A warm parent for sandboxes: imports heavy libraries once, then forks a sandbox per connection.

Started as a fresh interpreter (`python -I -m graders.sandbox.zygote`) so it never holds tests,
expected values or grading state that a forked sandbox could read.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import signal
import socket
import sys
import threading


def _warm(modules: list[str]) -> None:
    for name in modules:
        importlib.import_module(name)
    if "agents" in sys.modules:  # no trace export from sandboxes: there is no network to send it to
        sys.modules["agents"].set_tracing_disabled(True)
        from graders.sandbox.helpers import warm_up

        warm_up()
    if threading.active_count() > 1:  # forking a threaded process can deadlock its children
        raise RuntimeError(f"preloading {modules} started threads: {threading.enumerate()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--preload", default="")
    parser.add_argument("--idle", type=float, default=0, help="exit after this many idle seconds")
    args = parser.parse_args(argv)
    _warm([m for m in args.preload.split(",") if m] + ["graders.sandbox.helpers"])
    from graders.sandbox import child

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o077)
    listener.bind(args.socket)
    os.umask(old_umask)
    listener.listen(256)
    if args.idle:
        listener.settimeout(args.idle)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    gc.freeze()  # keep the collector from touching (and so copying) inherited pages in children
    print("ready", flush=True)
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            break
        conn.settimeout(None)
        if os.fork() == 0:
            listener.close()
            try:
                child.serve(conn)
            finally:
                os._exit(0)
        conn.close()
    listener.close()
    os.unlink(args.socket)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole process group
        main()
