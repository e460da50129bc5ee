"""Local stub servers speaking Hyperliquid's and Binance USD-M's HTTP APIs (helpers).

Each stub listens on 127.0.0.1 on a free port and records every request it gets, so a test can
check what ccxt sent and that nothing went anywhere else.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CCXT_FIXTURES = Path(__file__).parents[2] / "fixtures" / "funding" / "ccxt"


@dataclass
class Stub:
    base: str
    requests: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)
    fail_with: tuple[int, str] | None = None  # (status, body) for the next request


def serve(handler_for: Any) -> Iterator[Stub]:
    stub = Stub("")

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method: str) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            body = json.loads(raw) if raw else None
            stub.requests.append((method, self.path, body, dict(self.headers)))
            if stub.fail_with is not None:
                status, text = stub.fail_with
                stub.fail_with = None
                out = text.encode()
            else:
                status, payload = handler_for(method, self.path, body)
                out = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_GET(self) -> None:
            self._reply("GET")

        def do_POST(self) -> None:
            self._reply("POST")

        def do_DELETE(self) -> None:
            self._reply("DELETE")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
