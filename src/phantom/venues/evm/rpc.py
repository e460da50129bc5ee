"""Async JSON-RPC 2.0 client over HTTP (httpx), with typed errors and typed results.

Errors: :class:`RpcError` (the node answered with an error object: ``code``, ``message``,
``data``), :class:`RpcTimeout` (no answer in time), :class:`RpcTransportError` (connection
refused/reset, HTTP status, non-JSON body) and :class:`MalformedResponse` (a result that does not
match its schema). The client never retries: reads are cheap to retry by the caller, and a write
(``eth_sendRawTransaction``) whose answer was lost must be reconciled by nonce, not re-sent blind.
Error messages name the endpoint by scheme and host only, since URL paths often hold API keys.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from phantom.venues.evm.errors import MalformedResponse, RpcError, RpcTimeout, RpcTransportError
from phantom.venues.evm.models import (
    WIRE,
    BlockHeader,
    FeeHistory,
    HexData,
    Quantity,
    Receipt,
    RpcResponse,
    Transaction,
    parse_hash,
)

BlockTag = Literal["latest", "pending", "earliest", "safe", "finalized"]
BlockRef = int | BlockTag
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

_QUANTITY: TypeAdapter[int] = TypeAdapter(Quantity)
_DATA: TypeAdapter[bytes] = TypeAdapter(HexData)


def redact_url(url: str) -> str:
    """``scheme://host[:port]`` of an endpoint: paths and queries may carry API keys."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def block_param(block: BlockRef) -> str:
    """A block number or tag as a JSON-RPC parameter."""
    return hex(block) if isinstance(block, int) else block


def call_object(
    *,
    to: str | None,
    data: bytes = b"",
    value: int = 0,
    sender: str | None = None,
    gas: int | None = None,
) -> dict[str, str]:
    """The transaction object of ``eth_call`` / ``eth_estimateGas``."""
    obj: dict[str, str] = {"data": "0x" + data.hex(), "value": hex(value)}
    if to is not None:
        obj["to"] = to
    if sender is not None:
        obj["from"] = sender
    if gas is not None:
        obj["gas"] = hex(gas)
    return obj


class RpcClient:
    """One JSON-RPC endpoint over HTTP. Use ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self._url = url
        self.endpoint = redact_url(url)
        self._timeout = timeout_s
        self._headers = {"content-type": "application/json", **(headers or {})}
        self._own_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"RpcClient({self.endpoint})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    # -- raw requests ---------------------------------------------------------------------------

    async def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; returns the raw ``result`` or raises a typed error."""
        req_id = next(self._ids)
        body = {"jsonrpc": "2.0", "id": req_id, "method": method, "params": list(params)}
        payload = await self._post(orjson.dumps(body), method)
        resp = self._envelope(payload, method)
        if resp.id != req_id:
            raise MalformedResponse(f"answer id {resp.id!r} != request id {req_id}", method=method)
        return self._result(resp, method)

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """A JSON-RPC batch. Returns results in call order; a failed call's slot holds its
        :class:`RpcError` (returned, not raised) so one error does not hide the others."""
        if not calls:
            return []
        first = next(self._ids)
        ids = [first + i for i in range(len(calls))]
        for _ in range(len(calls) - 1):
            next(self._ids)
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        payload = await self._post(orjson.dumps(body), "batch")
        if not isinstance(payload, list):
            # A node that rejects the whole batch answers with a single error object.
            resp = self._envelope(payload, "batch")
            self._result(resp, "batch")
            raise MalformedResponse("batch answer is not a list", method="batch")
        by_id: dict[Any, RpcResponse] = {}
        for item in payload:
            resp = self._envelope(item, "batch")
            by_id[resp.id] = resp
        out: list[Any] = []
        for i, (method, _) in zip(ids, calls, strict=True):
            if i not in by_id:
                raise MalformedResponse(f"batch answer lacks id {i}", method=method)
            try:
                out.append(self._result(by_id[i], method))
            except RpcError as err:
                out.append(err)
        return out

    async def _post(self, body: bytes, method: str) -> Any:
        try:
            resp = await self._client.post(
                self._url, content=body, headers=self._headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise RpcTimeout(
                f"no answer from {self.endpoint} within {self._timeout:g}s", method=method
            ) from None
        except httpx.HTTPError as exc:
            raise RpcTransportError(
                f"cannot reach {self.endpoint}: {type(exc).__name__}", method=method
            ) from None
        try:
            payload = orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            payload = None
        if resp.status_code != 200 and not (isinstance(payload, dict) and "error" in payload):
            raise RpcTransportError(
                f"HTTP {resp.status_code} from {self.endpoint}",
                method=method,
                status=resp.status_code,
            )
        if payload is None:
            raise RpcTransportError(f"non-JSON answer from {self.endpoint}", method=method)
        return payload

    @staticmethod
    def _envelope(payload: Any, method: str) -> RpcResponse:
        try:
            return RpcResponse.model_validate(payload)
        except ValidationError as exc:
            raise MalformedResponse(
                f"not a JSON-RPC 2.0 response: {_summary(exc)}", method=method
            ) from None

    @staticmethod
    def _result(resp: RpcResponse, method: str) -> Any:
        if resp.error is not None:
            err = resp.error
            raise RpcError(err.code, err.message, err.data, method=method)
        return resp.result

    # -- typed helpers ------------------------------------------------------------------------

    async def chain_id(self) -> int:
        return _parse(_QUANTITY, await self.request("eth_chainId"), "eth_chainId")

    async def block_number(self) -> int:
        return _parse(_QUANTITY, await self.request("eth_blockNumber"), "eth_blockNumber")

    async def get_balance(self, address: str, block: BlockRef = "latest") -> int:
        raw = await self.request("eth_getBalance", [address, block_param(block)])
        return _parse(_QUANTITY, raw, "eth_getBalance")

    async def get_transaction_count(self, address: str, block: BlockRef = "pending") -> int:
        raw = await self.request("eth_getTransactionCount", [address, block_param(block)])
        return _parse(_QUANTITY, raw, "eth_getTransactionCount")

    async def get_code(self, address: str, block: BlockRef = "latest") -> bytes:
        raw = await self.request("eth_getCode", [address, block_param(block)])
        return _parse(_DATA, raw, "eth_getCode")

    async def call(self, tx: Mapping[str, Any], block: BlockRef = "latest") -> bytes:
        """``eth_call``; a revert raises :class:`RpcError` (decode it with ``revert.py``)."""
        raw = await self.request("eth_call", [dict(tx), block_param(block)])
        return _parse(_DATA, raw, "eth_call")

    async def estimate_gas(self, tx: Mapping[str, Any], block: BlockRef | None = None) -> int:
        params: list[Any] = [dict(tx)] if block is None else [dict(tx), block_param(block)]
        return _parse(_QUANTITY, await self.request("eth_estimateGas", params), "eth_estimateGas")

    async def fee_history(
        self, block_count: int, newest: BlockRef = "latest", percentiles: Sequence[float] = ()
    ) -> FeeHistory:
        raw = await self.request(
            "eth_feeHistory", [hex(block_count), block_param(newest), list(percentiles)]
        )
        return _model(FeeHistory, raw, "eth_feeHistory")

    async def max_priority_fee_per_gas(self) -> int:
        raw = await self.request("eth_maxPriorityFeePerGas")
        return _parse(_QUANTITY, raw, "eth_maxPriorityFeePerGas")

    async def send_raw_transaction(self, raw_tx: bytes) -> str:
        raw = await self.request("eth_sendRawTransaction", ["0x" + raw_tx.hex()])
        try:
            return parse_hash(raw)
        except ValueError as exc:
            raise MalformedResponse(str(exc), method="eth_sendRawTransaction") from None

    async def get_transaction_receipt(self, tx_hash: str) -> Receipt | None:
        raw = await self.request("eth_getTransactionReceipt", [tx_hash])
        return None if raw is None else _model(Receipt, raw, "eth_getTransactionReceipt")

    async def get_transaction(self, tx_hash: str) -> Transaction | None:
        raw = await self.request("eth_getTransactionByHash", [tx_hash])
        return None if raw is None else _model(Transaction, raw, "eth_getTransactionByHash")

    async def get_block(self, block: BlockRef = "latest") -> BlockHeader | None:
        raw = await self.request("eth_getBlockByNumber", [block_param(block), False])
        return None if raw is None else _model(BlockHeader, raw, "eth_getBlockByNumber")


def _summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "; ".join(parts) + more


def _parse(adapter: TypeAdapter[T], raw: Any, method: str) -> T:
    try:
        return adapter.validate_python(raw, context=WIRE)
    except ValidationError as exc:
        raise MalformedResponse(_summary(exc), method=method) from None


def _model(model: type[M], raw: Any, method: str) -> M:
    try:
        return model.model_validate(raw, context=WIRE)
    except ValidationError as exc:
        raise MalformedResponse(_summary(exc), method=method) from None
