"""WebSocket subscriptions (``eth_subscribe``) yielding typed events, with reconnection.

Streams: ``newHeads`` -> :class:`BlockHeader`, ``logs`` (addresses + topics) -> :class:`Log`,
Uniswap V2 ``Sync(uint112,uint112)`` logs -> :class:`SyncEvent` (reserves for market state), and
``newPendingTransactions`` -> tx hash. Each stream owns one connection. When the connection
drops (node restart, network, server close) the stream reconnects with exponential backoff,
subscribes again and carries on; ``on_reconnect(count)`` is called after each successful
resubscription so the consumer can re-read state it may have missed (e.g. ``getReserves``), since
events emitted while disconnected are not replayed. ``on_subscribed(kind, subscription_id)``
fires after every (re)subscription: the stream is live from then on. A node that *refuses*
the subscription raises :class:`RpcError` (no retry); ``max_attempts`` consecutive failed
connects raise :class:`RpcTransportError`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from eth_abi.exceptions import DecodingError
from pydantic import TypeAdapter, ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from phantom.venues.evm.abi import checksum, decode_result, event_topic
from phantom.venues.evm.errors import MalformedResponse, RpcError, RpcTransportError
from phantom.venues.evm.models import WIRE, BlockHeader, Hash32, Log
from phantom.venues.evm.rpc import redact_url

log = logging.getLogger(__name__)

T = TypeVar("T")
SYNC_TOPIC = event_topic("Sync(uint112,uint112)")
_HASH: TypeAdapter[str] = TypeAdapter(Hash32)


@dataclass(frozen=True, slots=True)
class SyncEvent:
    """A Uniswap V2 pair's reserves after a swap/mint/burn/sync (``removed``: chain reorg)."""

    pair: str
    reserve0: int
    reserve1: int
    block_number: int | None
    tx_hash: str | None
    log_index: int | None
    removed: bool = False


def decode_sync(entry: Log) -> SyncEvent:
    """A ``Sync(uint112 reserve0, uint112 reserve1)`` log to reserves (raises on another log)."""
    if not entry.topics or entry.topics[0] != SYNC_TOPIC:
        raise MalformedResponse("not a Uniswap V2 Sync log", method="eth_subscription")
    try:
        r0, r1 = decode_result(["uint112", "uint112"], entry.data)
    except (DecodingError, ValueError):
        raise MalformedResponse("Sync log data is not two uint112", method="logs") from None
    return SyncEvent(
        pair=entry.address,
        reserve0=int(r0),
        reserve1=int(r1),
        block_number=entry.block_number,
        tx_hash=entry.transaction_hash,
        log_index=entry.log_index,
        removed=entry.removed,
    )


class WsClient:
    """Subscriptions against one ``ws://`` / ``wss://`` endpoint."""

    def __init__(
        self,
        url: str,
        *,
        open_timeout_s: float = 10.0,
        reconnect_initial_s: float = 0.1,
        reconnect_max_s: float = 10.0,
        max_attempts: int | None = None,
        on_reconnect: Callable[[int], None] | None = None,
        on_subscribed: Callable[[str, str], None] | None = None,
    ) -> None:
        self._url = url
        self.endpoint = redact_url(url)
        self.open_timeout_s = open_timeout_s
        self.reconnect_initial_s = reconnect_initial_s
        self.reconnect_max_s = reconnect_max_s
        self.max_attempts = max_attempts
        self.on_reconnect = on_reconnect
        self.on_subscribed = on_subscribed
        self.reconnects = 0
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"WsClient({self.endpoint})"

    def new_heads(self) -> AsyncIterator[BlockHeader]:
        return self._stream(["newHeads"], lambda raw: BlockHeader.model_validate(raw, context=WIRE))

    def logs(
        self, addresses: Sequence[str], topics: Sequence[str | Sequence[str] | None] = ()
    ) -> AsyncIterator[Log]:
        """Logs emitted by ``addresses`` matching ``topics`` (positional, None = any)."""
        filt: dict[str, Any] = {"address": [checksum(a) for a in addresses]}
        if topics:
            filt["topics"] = list(topics)
        return self._stream(["logs", filt], lambda raw: Log.model_validate(raw, context=WIRE))

    async def sync_events(self, pairs: Sequence[str]) -> AsyncIterator[SyncEvent]:
        """Reserves of the given Uniswap V2 pairs, as their ``Sync`` events arrive."""
        async for entry in self.logs(pairs, [SYNC_TOPIC]):
            yield decode_sync(entry)

    def pending_transactions(self) -> AsyncIterator[str]:
        """Hashes of transactions entering the node's mempool."""
        return self._stream(["newPendingTransactions"], _HASH.validate_python)

    # -- internals ----------------------------------------------------------------------------

    async def _stream(self, params: list[Any], parse: Callable[[Any], T]) -> AsyncIterator[T]:
        failures = 0
        connected_before = False
        delay = self.reconnect_initial_s
        while True:
            try:
                async with connect(
                    self._url, open_timeout=self.open_timeout_s, max_size=2**24, proxy=None
                ) as conn:
                    sub_id = await self._subscribe(conn, params)
                    failures, delay = 0, self.reconnect_initial_s
                    if connected_before:
                        self.reconnects += 1
                        log.warning("%s: resubscribed to %s", self.endpoint, params[0])
                        if self.on_reconnect is not None:
                            self.on_reconnect(self.reconnects)
                    connected_before = True
                    if self.on_subscribed is not None:
                        self.on_subscribed(params[0], sub_id)
                    async for message in conn:
                        item = _notification(message, sub_id)
                        if item is not None:
                            yield _parse(parse, item, params[0])
                reason = "closed by the server"
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
                reason = type(exc).__name__
            except InvalidURI:
                raise RpcTransportError(f"invalid WebSocket URL {self.endpoint}") from None
            failures += 1
            if self.max_attempts is not None and failures > self.max_attempts:
                raise RpcTransportError(
                    f"{self.endpoint}: {failures} consecutive connection failures ({reason})",
                    method="eth_subscribe",
                )
            log.warning("%s: %s stream lost (%s); retrying", self.endpoint, params[0], reason)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max_s)

    async def _subscribe(self, conn: ClientConnection, params: list[Any]) -> str:
        req_id = next(self._ids)
        request = {"jsonrpc": "2.0", "id": req_id, "method": "eth_subscribe", "params": params}
        await conn.send(orjson.dumps(request).decode())
        async with asyncio.timeout(self.open_timeout_s):
            while True:
                msg = _json(await conn.recv())
                if not isinstance(msg, dict) or msg.get("id") != req_id:
                    continue
                error = msg.get("error")
                if isinstance(error, dict):
                    raise RpcError(
                        int(error.get("code", 0)),
                        str(error.get("message", "")),
                        error.get("data"),
                        method="eth_subscribe",
                    )
                result = msg.get("result")
                if not isinstance(result, str) or not result:
                    raise MalformedResponse("no subscription id", method="eth_subscribe")
                return result


def _json(message: str | bytes) -> Any:
    try:
        return orjson.loads(message)
    except orjson.JSONDecodeError:
        raise MalformedResponse("non-JSON WebSocket message", method="eth_subscription") from None


def _notification(message: str | bytes, sub_id: str) -> Any:
    msg = _json(message)
    if not isinstance(msg, dict) or msg.get("method") != "eth_subscription":
        return None
    params = msg.get("params")
    if not isinstance(params, dict) or params.get("subscription") != sub_id:
        return None
    if "result" not in params:
        raise MalformedResponse("notification without a result", method="eth_subscription")
    return params["result"]


def _parse(parse: Callable[[Any], T], item: Any, kind: str) -> T:
    try:
        return parse(item)
    except ValidationError as exc:
        raise MalformedResponse(
            f"bad {kind} event: {exc.error_count()} validation error(s): "
            f"{exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
            method="eth_subscription",
        ) from None
