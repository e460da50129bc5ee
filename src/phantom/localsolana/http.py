"""A small threaded HTTP server on 127.0.0.1 for the local world's JSON APIs.

Each service (JSON-RPC, Jupiter, Jito) subclasses :class:`JsonService` and implements
:meth:`JsonService.handle`; :class:`LocalServer` binds a free port (or a given one), serves in a
daemon thread and stops cleanly. Requests carry JSON bodies; answers are JSON with a status code
and optional headers.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class JsonService:
    """Implement :meth:`handle`; it runs in the server's request threads."""

    name = "service"

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    service: JsonService
    protocol_version = "HTTP/1.1"
    # small JSON answers: without this, Nagle + delayed ACK stall each keep-alive reply ~40 ms
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s: " + format, self.service.name, *args)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            resp = self.service.handle(Request(method, parts.path, query, headers, body))
        except Exception:  # a bug in the service: answer 500, keep serving
            log.exception("%s: unhandled error", self.service.name)
            resp = Response(500, {"error": "internal error"})
        payload = b"" if resp.body is None else orjson.dumps(resp.body)
        self.send_response(resp.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        for key, value in resp.headers.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("local server: connection error from %s", client_address, exc_info=True)


class LocalServer:
    """Serves one :class:`JsonService` on ``127.0.0.1``; port 0 picks a free port."""

    def __init__(self, service: JsonService, *, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"service": service})
        self._httpd = _QuietServer((host, port), handler)
        self._thread: threading.Thread | None = None
        self.service = service

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"local-{self.service.name}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
