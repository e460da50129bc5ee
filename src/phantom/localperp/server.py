"""The local perp exchange on 127.0.0.1: a threaded HTTP server in front of
:class:`~phantom.localperp.binance.BinanceFuturesApi`.

``GET``, ``POST``, ``PUT`` and ``DELETE`` pass the raw query string and form body to the API (the
signature covers them byte for byte), answers are JSON. ``requests`` counts requests by path, so
a test can check that everything a client sent came here. Port 0 picks a free port.

Faults, for tests of what a client does when the venue misbehaves (``faults``):
``unavailable`` answers the next N requests with HTTP 503 without acting on them;
``lost_order_replies`` lets the next N orders trade and then answers 502, as a gateway does when
the matching engine took the order but the reply was lost; ``outage_after_lost_reply`` makes the
N requests after such a loss unavailable too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from phantom.localperp.binance import BinanceFuturesApi
from phantom.localperp.exchange import LocalPerpExchange

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


@dataclass(slots=True)
class ServerFaults:
    unavailable: int = 0
    lost_order_replies: int = 0
    outage_after_lost_reply: int = 0


class _Handler(BaseHTTPRequestHandler):
    api: BinanceFuturesApi
    requests: Counter[str]
    faults: ServerFaults
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("localperp: " + format, *args)  # never the query: it may carry a signature

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._send(413, {"code": -1000, "msg": "Request body too large."})
            return
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        self.requests[parts.path] += 1
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._send(400, {"code": -1100, "msg": "Illegal characters found in the body."})
            return
        if self.faults.unavailable > 0:
            self.faults.unavailable -= 1
            self._send(503, {"code": -1001, "msg": "Service unavailable."})
            return
        try:
            status, payload = self.api.handle(
                method, parts.path, parts.query, body, self.headers.get("X-MBX-APIKEY")
            )
        except Exception:  # a bug: answer as Binance does for an internal error, keep serving
            log.exception("localperp: unhandled error on %s %s", method, parts.path)
            status, payload = 500, {"code": -1000, "msg": "An unknown error occurred."}
        is_order = method == "POST" and parts.path == "/fapi/v1/order" and status == 200
        if is_order and self.faults.lost_order_replies > 0:
            self.faults.lost_order_replies -= 1
            self.faults.unavailable += self.faults.outage_after_lost_reply
            status, payload = 502, {"code": -1000, "msg": "Bad gateway."}
        self._send(status, payload)

    def _send(self, status: int, payload: Any) -> None:
        out = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        try:
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("localperp: connection error from %s", client_address, exc_info=True)


class LocalPerpServer:
    """Serves ``exchange`` with the Binance API on ``127.0.0.1:port`` and runs its clocks."""

    def __init__(
        self,
        exchange: LocalPerpExchange,
        api_key: str,
        api_secret: str,
        *,
        port: int = 0,
    ) -> None:
        if not api_key or not api_secret:
            raise ValueError("local perp: an API key and secret are required")
        self.exchange = exchange
        self.requests: Counter[str] = Counter()
        self.faults = ServerFaults()
        api = BinanceFuturesApi(exchange, api_key, api_secret)
        attrs = {"api": api, "requests": self.requests, "faults": self.faults}
        handler = type("Handler", (_Handler,), attrs)
        self._httpd = _QuietServer(("127.0.0.1", port), handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, history: int = 0) -> LocalPerpServer:
        self.exchange.start(history)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="localperp-http", daemon=True,
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self.exchange.stop()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> LocalPerpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
