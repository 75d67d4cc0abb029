"""A real HTTP server on 127.0.0.1 for testing the Overpass and Nominatim clients.

Tests queue the responses it gives, in order, and read back every request it received.
Besides ordinary responses it can hang past the client's timeout, reset the connection, or
send a body that is cut short. When the queue is empty it answers with ``default`` (if set)
or 599, which no client should ever see in a passing test.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One queued response.

    ``action`` is ``None`` (send it), ``"hang"`` (sleep ``delay`` seconds, then close without
    answering), ``"reset"`` (close the TCP connection with RST) or ``"truncate"`` (announce
    the full Content-Length, send half the body, close).
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    action: str | None = None


@dataclass
class Request:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    time: float

    @property
    def params(self) -> dict[str, list[str]]:
        """Query-string and form parameters together."""
        merged = dict(self.query)
        if self.body and "x-www-form-urlencoded" in self.headers.get("content-type", ""):
            merged.update(parse_qs(self.body.decode("utf-8")))
        return merged


class LocalServer:
    """Serve queued :class:`Reply` objects on ``http://127.0.0.1:<port>``."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Request] = []
        self.default: Reply | None = None
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with outer._lock:
                    outer.requests.append(
                        Request(self.command, parts.path, parse_qs(parts.query),
                                {k.lower(): v for k, v in self.headers.items()}, body,
                                time.monotonic())
                    )
                    reply = outer.replies.popleft() if outer.replies else outer.default
                if reply is None:
                    reply = Reply(599, b"no reply queued")
                if reply.action == "hang":
                    time.sleep(reply.delay)
                    self.close_connection = True
                    return
                if reply.action == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.action == "truncate":
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body[: len(reply.body) // 2])
                    self.close_connection = True
                    return
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = _handle  # noqa: N815
            do_POST = _handle  # noqa: N815

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                # a client that gave up (timeout, deadline) closed the connection before
                # the answer: expected in these tests, not worth a traceback on stderr
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)  # type: ignore[arg-type]

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, *replies: Reply) -> None:
        """Queue replies, served in order."""
        with self._lock:
            self.replies.extend(replies)

    def reply(self, status: int = 200, body: bytes | str = b"", **kw: object) -> None:
        """Queue one reply; ``body`` may be text (sent as UTF-8)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.add(Reply(status, data, **kw))  # type: ignore[arg-type]
