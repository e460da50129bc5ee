"""The live client's RPC shortcuts behave exactly like the general path.

- ``VenueRpc`` on a loopback node posts through ``LoopbackTransport.post`` (no httpx request or
  response objects): the same answers and the same typed errors as ``RpcClient`` through httpx,
  for good answers, JSON-RPC errors, HTTP errors, garbage, compression, timeouts, a dead port.
- ``TxManager.wait``: a nonce counted as mined before the node serves the receipt (anvil does
  this for a moment) is not a dropped transaction; an unknown transaction still is, at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from phantom.devnet.world import DevnetWorld
from phantom.execution.evm_http import VenueRpc, rpc_http_client
from phantom.venues.evm.errors import RpcError, TxDropped
from phantom.venues.evm.fees import FeePolicy, FeeQuote
from phantom.venues.evm.models import Receipt
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey, Signer
from phantom.venues.evm.txmanager import SentTx, TxManager, TxRequest

Reply = tuple[int, list[tuple[str, str]], bytes]


@contextlib.contextmanager
def _server(reply: Callable[[dict[str, Any]], Reply]) -> Iterator[str]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status, headers, out = reply(orjson.loads(body))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(out)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _json(status: int, obj: Any) -> Reply:
    return status, [("content-type", "application/json")], orjson.dumps(obj)


def _answers(req: dict[str, Any]) -> Reply:
    method, rid = req["method"], req["id"]
    if method == "good":
        return _json(200, {"jsonrpc": "2.0", "id": rid, "result": "0x2a"})
    if method == "rpc_error":
        error = {"code": 3, "message": "execution reverted", "data": "0x08c379a0"}
        return _json(200, {"jsonrpc": "2.0", "id": rid, "error": error})
    if method == "http_error_json":
        return _json(429, {"jsonrpc": "2.0", "id": rid, "error": {"code": -1, "message": "slow"}})
    if method == "http_500":
        return 500, [("content-type", "text/plain")], b"internal error"
    if method == "not_json":
        return 200, [("content-type", "text/plain")], b"<html>"
    if method == "gzip":
        body = gzip.compress(orjson.dumps({"jsonrpc": "2.0", "id": rid, "result": "0x1"}))
        return 200, [("content-type", "application/json"), ("content-encoding", "gzip")], body
    if method == "bad_gzip":
        return 200, [("content-type", "application/json"), ("content-encoding", "gzip")], b"nope"
    if method == "wrong_id":
        return _json(200, {"jsonrpc": "2.0", "id": rid + 1000, "result": "0x1"})
    if method == "slow":
        time.sleep(0.6)
        return _json(200, {"jsonrpc": "2.0", "id": rid, "result": "0x1"})
    return _json(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no"}})


def _outcome(rpc: RpcClient, method: str) -> tuple[Any, ...]:
    async def go() -> Any:
        return await rpc.request(method)

    try:
        return ("ok", asyncio.run(go()))
    except RpcError as err:
        return ("rpc_error", err.code, err.message, err.data)
    except Exception as exc:
        return ("raises", type(exc).__name__, str(exc))


METHODS = ["good", "rpc_error", "http_error_json", "http_500", "not_json", "gzip", "bad_gzip",
           "wrong_id", "other", "slow"]  # fmt: skip


def test_direct_posts_answer_and_fail_like_httpx() -> None:
    with _server(_answers) as url:
        for method in METHODS:
            # fresh clients per call: asyncio.run gives each call its own loop
            fast_http = rpc_http_client(url)
            fast = VenueRpc(url, client=fast_http)
            plain = RpcClient(url, timeout_s=10.0)
            assert fast._loopback is not None  # the direct path is the one under test
            fast._timeout = plain._timeout = 0.3
            assert _outcome(fast, method) == _outcome(plain, method), method


def test_direct_posts_to_a_dead_port_fail_like_httpx() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    fast = VenueRpc(url, client=rpc_http_client(url))
    assert fast._loopback is not None
    expected = _outcome(RpcClient(url), "good")
    assert expected[0] == "raises" and expected[1] == "RpcTransportError"
    assert _outcome(fast, "good") == expected


def test_direct_path_on_the_devnet_matches_httpx(world: DevnetWorld) -> None:
    url = world.deployment.rpc_url

    async def main() -> None:
        fast_http = rpc_http_client(url)
        fast = VenueRpc(url, client=fast_http)
        async with RpcClient(url) as plain:
            owner = world.account("trader")
            assert await fast.chain_id() == await plain.chain_id()
            assert await fast.get_balance(owner) == await plain.get_balance(owner)
            assert await fast.get_block(0) == await plain.get_block(0)
            outs = await fast.batch([("eth_chainId", []), ("eth_nope", [])])
            assert outs[0] == hex(await plain.chain_id()) and isinstance(outs[1], RpcError)
        await fast_http.aclose()

    asyncio.run(main())


# -- receipts served after the nonce --------------------------------------------------------


class _LaggingNode:
    """Counts the nonce as mined at once; serves the receipt only after ``lag`` polls."""

    def __init__(self, receipt: Receipt | None, lag: int, known: bool) -> None:
        self.receipt, self.lag, self.known = receipt, lag, known
        self.polls = 0

    async def get_transaction_receipt(self, tx_hash: str) -> Receipt | None:
        self.polls += 1
        return self.receipt if self.polls > self.lag else None

    async def get_transaction_count(self, address: str, block: str = "pending") -> int:
        return 8

    async def get_transaction(self, tx_hash: str) -> object | None:
        return object() if self.known else None


def _sent(signer: Signer) -> SentTx:
    request = TxRequest(to=signer.address, value=0, gas_limit=21_000)
    return SentTx("0x" + "11" * 32, 7, b"", request, 21_000, FeeQuote(2, 1), signer.address)


def _receipt(signer: Signer) -> Receipt:
    return Receipt.model_validate(
        {
            "transactionHash": "0x" + "11" * 32, "transactionIndex": "0x0",
            "blockHash": "0x" + "22" * 32, "blockNumber": "0x5", "from": signer.address,
            "to": signer.address, "cumulativeGasUsed": "0x5208", "gasUsed": "0x5208",
            "effectiveGasPrice": "0x2", "logs": [], "status": "0x1", "type": "0x2",
        }
    )  # fmt: skip


@pytest.mark.parametrize("lag", [1, 2, 5])
def test_a_mined_nonce_without_its_receipt_yet_is_waited_for(lag: int) -> None:
    signer = Signer(SecretKey.generate())
    node = _LaggingNode(_receipt(signer), lag=lag, known=True)
    txm = TxManager(node, signer, 31337, FeePolicy.from_gwei(100, 5),  # type: ignore[arg-type]
                    poll_interval_s=0.001)  # fmt: skip
    outcome = asyncio.run(txm.wait(_sent(signer), timeout_s=5))
    assert outcome.ok and outcome.tx_hash == "0x" + "11" * 32


def test_a_transaction_the_node_does_not_know_is_dropped_at_once() -> None:
    signer = Signer(SecretKey.generate())
    node = _LaggingNode(None, lag=10**9, known=False)
    txm = TxManager(node, signer, 31337, FeePolicy.from_gwei(100, 5),  # type: ignore[arg-type]
                    poll_interval_s=0.001)  # fmt: skip
    t0 = time.monotonic()
    with pytest.raises(TxDropped):
        asyncio.run(txm.wait(_sent(signer), timeout_s=5))
    assert time.monotonic() - t0 < 1.0 and node.polls == 2  # the poll and the one re-check
