"""A Flashbots-style private relay for the devnet: HTTP JSON-RPC on 127.0.0.1 (a free port).

It accepts ``eth_sendPrivateTransaction`` and ``eth_sendBundle`` signed with a valid
``X-Flashbots-Signature`` (checked with :func:`verify_flashbots_signature`: the EIP-191 signature
of ``"0x" + keccak256(body)``; anything else gets HTTP 403), and ``eth_cancelPrivateTransaction``
(always ``false``: nothing is ever held).

How it keeps a transaction out of the public mempool, given that anvil has no private pool.
The relay never forwards a transaction anywhere until it builds the block for it. Then it sends
the node **one JSON-RPC batch** ``[eth_sendRawTransaction(tx)..., evm_mine]``; anvil executes a
batch's calls in order (checked: the receipt exists when the answer arrives), so the block
holding the transactions is sealed within the same request that put them in the pool, and
nothing another client sends in reaction can be ordered before them or into their block. With
automine on, the batch is wrapped in ``evm_setAutomine(false)`` ... ``evm_setAutomine(true)`` so
the same holds (a bundle shares one block; anvil then mines one empty block more). The honest
limits:

- anvil still announces each transaction on ``newPendingTransactions`` when it enters the pool,
  so a watcher learns the hash. Looking it up at once found it already mined 40 times out of 40
  with the batch (19 of 20 with a plain automine send, hence the wrapping); whatever it sends
  lands in a later block (tested with a watcher that front-runs every hash it hears of). The
  devnet sandwich bot ignores transactions that are already mined;
- public transactions already waiting in the pool are mined into the same block (ordered by fee,
  as anvil orders every block), as a real builder would include them;
- with interval mining, an interval block may fire between two calls of the batch; a bundle can
  then straddle two blocks (a single private transaction is unaffected);
- bundle transactions are checked for nonce and balance before anything is sent, so a bundle
  that cannot enter the pool is refused whole; a bundle transaction that *reverts* still lands
  (no pre-simulation: ``revertingTxHashes`` is accepted and ignored), and the order inside the
  block is anvil's (fee, then nonce), not necessarily the bundle's for different senders.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import httpx
import orjson
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phantom.devnet.anvil import LOCALHOST
from phantom.venues.evm.abi import keccak256
from phantom.venues.evm.errors import RelayError
from phantom.venues.evm.models import WIRE, Hash32, HexData, Quantity, RpcModel
from phantom.venues.evm.relay import SIGNATURE_HEADER, check_bundle, verify_flashbots_signature


class RelayRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    jsonrpc: str
    id: int | str | None = None
    method: str
    params: list[Any] = Field(default_factory=list)


class PrivateTxParams(RpcModel):
    tx: HexData
    max_block_number: Quantity | None = None
    preferences: dict[str, Any] | None = None


class BundleParams(RpcModel):
    txs: list[HexData] = Field(min_length=1)
    block_number: Quantity
    min_timestamp: int | None = None
    max_timestamp: int | None = None
    reverting_tx_hashes: list[Hash32] = Field(default_factory=list)
    replacement_uuid: str | None = None


class _Failure(Exception):
    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class RelayEvent:
    """One request the relay handled: who signed it, what landed where (or why not)."""

    method: str
    signer: str
    tx_hashes: tuple[str, ...] = ()
    block_number: int | None = None
    error: str = ""


@dataclass
class DevnetRelay:
    """The relay in front of the anvil node at ``rpc_url``. ``start()`` / ``stop()``."""

    rpc_url: str
    host: str = LOCALHOST
    port: int = 0
    events: list[RelayEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._node = httpx.Client(timeout=10.0)
        self._land_lock = threading.Lock()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the relay is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        relay = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                status, out = relay.handle(body, self.headers.get(SIGNATURE_HEADER, ""))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(out)

            def log_message(self, format: str, *args: Any) -> None:
                return  # no access log: requests carry signed transactions and auth headers

        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="devnet-relay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._node.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- request handling ---------------------------------------------------------------------

    def handle(self, body: bytes, signature: str) -> tuple[int, bytes]:
        """(HTTP status, JSON body) for one request."""
        req_id: int | str | None = None
        signer = ""
        method = "?"
        try:
            try:
                payload = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise _Failure(-32700, "parse error: the body is not JSON") from None
            if isinstance(payload, dict):
                req_id = payload.get("id") if isinstance(payload.get("id"), int | str) else None
            if not signature:
                raise _Failure(-32600, f"missing {SIGNATURE_HEADER} header", 403)
            try:
                signer = verify_flashbots_signature(signature, body)
            except RelayError as exc:
                raise _Failure(-32600, f"error in signature check: {exc}", 403) from None
            try:
                req = RelayRequest.model_validate(payload)
            except ValidationError:
                raise _Failure(-32600, "invalid request: not a JSON-RPC 2.0 call") from None
            method = req.method
            result = self._dispatch(req, signer)
        except _Failure as failure:
            self.events.append(RelayEvent(method, signer, error=failure.message))
            error = {"code": failure.code, "message": failure.message}
            return failure.status, orjson.dumps({"jsonrpc": "2.0", "id": req_id, "error": error})
        return 200, orjson.dumps({"jsonrpc": "2.0", "id": req_id, "result": result})

    def _dispatch(self, req: RelayRequest, signer: str) -> Any:
        if req.method == "eth_sendPrivateTransaction":
            params = _params(PrivateTxParams, req.params)
            head = self._head()
            if params.max_block_number is not None and params.max_block_number <= head:
                raise _Failure(-32000, f"maxBlockNumber {params.max_block_number} has passed")
            hashes, block = self._land([params.tx])
            self.events.append(RelayEvent(req.method, signer, hashes, block))
            return hashes[0]
        if req.method == "eth_sendBundle":
            bundle = _params(BundleParams, req.params)
            try:
                check_bundle(bundle.txs)
            except ValueError as exc:
                raise _Failure(-32602, str(exc)) from None
            head = self._head()
            if bundle.block_number != head + 1:
                raise _Failure(
                    -32000,
                    f"bundle targets block {bundle.block_number}, the next block is {head + 1}",
                )
            self._precheck(bundle.txs)
            hashes, block = self._land(bundle.txs)
            self.events.append(RelayEvent(req.method, signer, hashes, block))
            joined = b"".join(bytes.fromhex(h[2:]) for h in hashes)
            return {"bundleHash": "0x" + keccak256(joined).hex()}
        if req.method == "eth_cancelPrivateTransaction":
            return False  # transactions are landed at once, never held
        raise _Failure(-32601, f"method not found: {req.method}")

    # -- the node ----------------------------------------------------------------------------

    def _node_call(self, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        answer = self._node.post(self.rpc_url, json=body).json()
        if answer.get("error"):
            raise _Failure(-32000, f"{method}: {answer['error'].get('message', 'error')}")
        return answer.get("result")

    def _head(self) -> int:
        return int(str(self._node_call("eth_blockNumber", [])), 16)

    def _precheck(self, txs: list[bytes]) -> None:
        """Every bundle transaction can enter the pool: nonces follow on, balances suffice."""
        next_nonce: dict[str, int] = {}
        for raw in txs:
            sender = str(Account.recover_transaction(raw))
            fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            if sender not in next_nonce:
                count = self._node_call("eth_getTransactionCount", [sender, "pending"])
                next_nonce[sender] = int(str(count), 16)
            if int(fields["nonce"]) != next_nonce[sender]:
                raise _Failure(
                    -32000,
                    f"bundle tx from {sender} has nonce {fields['nonce']}, "
                    f"expected {next_nonce[sender]}",
                )
            next_nonce[sender] += 1
            need = int(fields["gas"]) * int(fields.get("maxFeePerGas", 0)) + int(fields["value"])
            balance = int(str(self._node_call("eth_getBalance", [sender, "pending"])), 16)
            if balance < need:
                raise _Failure(-32000, f"bundle tx from {sender} cannot pay for its gas")

    def _land(self, txs: list[bytes]) -> tuple[tuple[str, ...], int | None]:
        """Put ``txs`` into the next block in one batch (see the module docstring)."""
        with self._land_lock:
            automine = bool(self._node_call("anvil_getAutomine", []))
            sends = [("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw in txs]
            calls: list[tuple[str, list[Any]]] = [*sends, ("evm_mine", [])]
            if automine:  # pause it so the block is sealed here (anvil adds an empty one after)
                calls = [("evm_setAutomine", [False]), *calls, ("evm_setAutomine", [True])]
            sends_at = calls.index(sends[0])
            batch = [
                {"jsonrpc": "2.0", "id": i, "method": m, "params": p}
                for i, (m, p) in enumerate(calls)
            ]
            answers = {a.get("id"): a for a in self._node.post(self.rpc_url, json=batch).json()}
        hashes: list[str] = []
        for i in range(sends_at, sends_at + len(txs)):
            answer = answers.get(i, {})
            if answer.get("error"):
                raise _Failure(
                    -32000, f"node refused the transaction: {answer['error'].get('message')}"
                )
            hashes.append(str(answer.get("result")))
        return tuple(hashes), self._block_of(hashes[0])

    def _block_of(self, tx_hash: str, timeout_s: float = 5.0) -> int | None:
        """The block that holds ``tx_hash``. With automine, anvil answers the send and then
        mines (a moment later), so the receipt may need a few polls."""
        deadline = time.monotonic() + timeout_s
        while True:
            receipt = self._node_call("eth_getTransactionReceipt", [tx_hash])
            if isinstance(receipt, dict):
                return int(str(receipt["blockNumber"]), 16)
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.002)


def _params(model: type[Any], params: list[Any]) -> Any:
    if len(params) != 1 or not isinstance(params[0], dict):
        raise _Failure(-32602, "expected one parameter object")
    try:
        return model.model_validate(params[0], context=WIRE)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _Failure(-32602, f"invalid params: {where}: {first['msg']}") from None
