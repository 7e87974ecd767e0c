"""Serving a student's ASGI app over real HTTP from inside the sandbox, for labs tested over HTTP.

`serve_app("api:app")` imports the app in the sandbox, serves it with uvicorn on a free loopback
port in a background thread and returns its base URL; trusted tests then talk HTTP to it (httpx).
The server lives as long as the sandbox: killing the sandbox ends it. The lab needs
`[limits] network = true`, or the sandbox has a network namespace of its own that the tests
cannot reach.
"""

from __future__ import annotations

import importlib
import socket
import threading
import time
from typing import Any

_servers: list[Any] = []  # running servers, kept referenced until the sandbox ends


def _load(target: str) -> Any:
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{target!r}: name the app as module:attribute, e.g. 'api:app'")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def serve_app(target: str, factory: bool = False, startup_timeout: float = 10.0) -> str:
    """Serve the ASGI app `module:attribute` (with `factory`, the app that calling it returns) on
    127.0.0.1, lifespan events included; returns `http://127.0.0.1:<port>` once uvicorn accepts
    connections."""
    import uvicorn

    app = _load(target)
    if factory:
        app = app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # bound here and handed over: no race for the port
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto"))
    failures: list[BaseException] = []

    def run() -> None:  # uvicorn installs no signal handlers outside the main thread
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            failures.append(exc)

    thread = threading.Thread(target=run, name=f"serve {target}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if failures and not isinstance(failures[0], SystemExit):
            raise failures[0]
        if not thread.is_alive():  # uvicorn exits (SystemExit 3) when the lifespan startup fails
            raise RuntimeError(
                f"{target} stopped while starting (did its lifespan startup fail? see its output)"
            )
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"{target} did not start serving within {startup_timeout:g} s")
        time.sleep(0.01)
    _servers.append(server)
    return f"http://127.0.0.1:{port}"
