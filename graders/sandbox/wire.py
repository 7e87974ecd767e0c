"""Length-prefixed JSON messages over a stream socket, with a size cap."""

from __future__ import annotations

import json
import socket
import struct

MAX_MESSAGE = 8 * 1024 * 1024
_HEADER = struct.Struct("!I")


class WireError(ConnectionError):
    """The other side closed, timed out or sent something that is not a message."""


def send(sock: socket.socket, message: object) -> None:
    data = json.dumps(message, ensure_ascii=False, default=repr).encode()
    if len(data) > MAX_MESSAGE:
        data = json.dumps(
            {
                "ok": False,
                "error": {"type": "MessageTooLarge", "message": f"{len(data)} bytes", "traceback": ""},
            }
        ).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def _read_exact(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise WireError("connection closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> object:
    (size,) = _HEADER.unpack(_read_exact(sock, _HEADER.size))
    if size > MAX_MESSAGE:
        raise WireError(f"message of {size} bytes is over the {MAX_MESSAGE}-byte cap")
    try:
        return json.loads(_read_exact(sock, size))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"not a JSON message: {exc}") from None
