"""Helpers for the EVM venue tests: artifacts, deployment, a stub HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

from phantom.devnet.anvil import LOCALHOST, repo_root
from phantom.venues.evm.abi import encode_constructor
from phantom.venues.evm.fees import FeePolicy
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey, Signer
from phantom.venues.evm.txmanager import TxManager, TxRequest

T = TypeVar("T")
DEVNET_CHAIN_ID = 31337
ETH = 10**18
GWEI = 10**9

#: Generous devnet caps: anvil starts at a 1 gwei base fee.
DEVNET_POLICY = FeePolicy.from_gwei(100, 5, min_priority_fee_gwei=1)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def artifact(package: str, name: str) -> dict[str, Any]:
    path = repo_root() / "node_modules" / "@uniswap" / package / "build" / f"{name}.json"
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


def creation_code(package: str, name: str, types: list[str], args: list[Any]) -> bytes:
    code = artifact(package, name)["bytecode"]
    raw = bytes.fromhex(code[2:] if code.startswith("0x") else code)
    return encode_constructor(raw, types, args)


async def deploy(
    txm: TxManager,
    package: str,
    name: str,
    types: list[str] | None = None,
    args: list[Any] | None = None,
) -> str:
    outcome = await txm.send(
        TxRequest(to=None, data=creation_code(package, name, types or [], args or [])),
        receipt_timeout_s=10,
    )
    assert outcome.ok, outcome
    address = outcome.receipt.contract_address
    assert address is not None
    return address


async def fund(rpc: RpcClient, address: str, wei: int = 100 * ETH) -> None:
    await rpc.request("anvil_setBalance", [address, hex(wei)])


def make_txm(
    rpc: RpcClient, key: SecretKey, policy: FeePolicy = DEVNET_POLICY, **kw: Any
) -> TxManager:
    return TxManager(rpc, Signer(key), DEVNET_CHAIN_ID, policy, poll_interval_s=0.05, **kw)


# -- a stub JSON-over-HTTP server for transport/malformed-answer tests --------------------------

Handler = Callable[[bytes, dict[str, str]], tuple[int, bytes]]


@contextmanager
def stub_http_server(handler: Handler) -> Iterator[str]:
    """Serve ``handler(body, headers) -> (status, body)`` on 127.0.0.1:<free port>."""

    class _Req(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            status, out = handler(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(out)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((LOCALHOST, 0), _Req)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCALHOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
