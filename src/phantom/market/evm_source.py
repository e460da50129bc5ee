"""Uniswap V2 pool state from an EVM node: reserves read over JSON-RPC, then followed through
``Sync`` logs and ``newHeads`` over WebSocket, as :class:`PoolUpdate` events.

Start-up and every resubscription go in this order so no swap is missed: subscribe to the pairs'
``Sync`` logs; once the node confirms the subscription, read the block number ``B`` and every
pair's ``getReserves()`` at ``B`` (one JSON-RPC batch) and emit those snapshots; then apply the
logs as they come, skipping any at or before what was already applied (``(block, log index)``
per pair; a snapshot at ``B`` covers all of block ``B``). A log flagged ``removed`` (a reorg)
triggers a fresh read. The ``newHeads`` stream reports each block's base fee and the next one's
(EIP-1559) to ``on_head``.

Reference USD prices come from the pools themselves (:class:`ReferencePrices`): anchors such as
``USDC = 1`` and a list of reference pools whose mid prices price the other tokens, so a swap on
a reference pool also emits :class:`PriceTick` events (before the pool update, so the engine
prices costs with the new figures). Depends on ``core``, ``amm`` and the EVM venue's clients.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from eth_abi.exceptions import DecodingError

from phantom.amm.swap import spot_price
from phantom.core.clock import Clock, WallClock
from phantom.core.events import MarketEvent, PoolUpdate, PriceTick
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.venues.evm.abi import decode_result, encode_call
from phantom.venues.evm.errors import EvmError, MalformedResponse
from phantom.venues.evm.rpc import RpcClient, call_object
from phantom.venues.evm.ws import SyncEvent, WsClient

log = logging.getLogger(__name__)

GET_RESERVES = encode_call("getReserves()")
_SNAPSHOT_POS = 2**62  # a snapshot at block B covers every log of B


@dataclass(frozen=True, slots=True)
class EvmPoolSpec:
    """A Uniswap V2 pair as the engine knows it (``pool_id``) and as the chain does."""

    pool_id: str
    venue: str
    address: str
    token0: Token
    token1: Token
    fee_ppm: int = 3000

    def snapshot(self, reserve0: int, reserve1: int) -> ConstantProductPool:
        return ConstantProductPool(
            self.pool_id, self.venue, self.token0, self.token1, reserve0, reserve1, self.fee_ppm
        )


@dataclass(frozen=True, slots=True)
class HeadUpdate:
    number: int
    timestamp: int
    base_fee_wei: int
    next_base_fee_wei: int


@dataclass(frozen=True, slots=True)
class ReferencePrices:
    """USD prices derived from pools: ``anchors`` are fixed (``{"USDC": 1.0}``), each reference
    pool (in order) prices its other token from one already priced; ``aliases`` copy a price
    (``{"ETH": "WETH"}``: the native token trades as its wrapped form)."""

    anchors: Mapping[str, float]
    pools: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def derive(self, pools: Mapping[str, ConstantProductPool]) -> dict[str, float]:
        prices = dict(self.anchors)
        for _ in range(len(self.pools)):
            progressed = False
            for pool_id in self.pools:
                pool = pools.get(pool_id)
                if pool is None or pool.reserve0 == 0 or pool.reserve1 == 0:
                    continue
                for known, other in ((pool.token0, pool.token1), (pool.token1, pool.token0)):
                    if known.symbol in prices and other.symbol not in prices:
                        prices[other.symbol] = prices[known.symbol] / spot_price(pool, known)
                        progressed = True
            if not progressed:
                break
        for alias, source in self.aliases.items():
            if source in prices:
                prices[alias] = prices[source]
        return prices


def next_base_fee(base_fee: int, gas_used: int, gas_limit: int) -> int:
    """EIP-1559: the base fee of the block after one with ``base_fee``/``gas_used``/``gas_limit``
    (elasticity 2, change denominator 8), integer maths as in the EIP."""
    target = gas_limit // 2
    if target == 0 or gas_used == target:
        return base_fee
    if gas_used > target:
        return base_fee + max(base_fee * (gas_used - target) // target // 8, 1)
    return max(base_fee - base_fee * (target - gas_used) // target // 8, 0)


class EvmPoolSource:
    """Emits ``PoolUpdate`` / ``PriceTick`` events through ``sink`` (called on the venue loop)."""

    def __init__(
        self,
        rpc: RpcClient,
        ws_url: str,
        pools: Sequence[EvmPoolSpec],
        sink: Callable[[MarketEvent], None],
        *,
        prices: ReferencePrices | None = None,
        on_head: Callable[[HeadUpdate], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.rpc = rpc
        self.pools = {p.address.lower(): p for p in pools}
        self.sink = sink
        self.prices = prices
        self.on_head = on_head
        self.clock: Clock = clock if clock is not None else WallClock()
        self.state: dict[str, ConstantProductPool] = {}
        self._applied: dict[str, tuple[int, int]] = {}
        self._ws_url = ws_url
        self._need_snapshot = asyncio.Event()
        self.syncs = 0
        self.heads = 0

    async def read_pools(self, block: int | None = None) -> list[ConstantProductPool]:
        """Every pair's reserves at ``block`` (default: latest), in one batch."""
        tag = hex(block) if block is not None else "latest"
        specs = list(self.pools.values())
        calls = [("eth_call", [call_object(to=p.address, data=GET_RESERVES), tag]) for p in specs]
        answers = await self.rpc.batch(calls)
        out: list[ConstantProductPool] = []
        for spec, raw in zip(specs, answers, strict=True):
            if isinstance(raw, Exception):
                raise raw
            try:
                r0, r1, _ = decode_result(
                    ["uint112", "uint112", "uint32"], bytes.fromhex(str(raw)[2:])
                )
            except (DecodingError, ValueError):
                raise MalformedResponse(
                    f"getReserves of {spec.address} is not (uint112,uint112,uint32)",
                    method="eth_call",
                ) from None
            out.append(spec.snapshot(int(r0), int(r1)))
        return out

    async def snapshot(self) -> list[ConstantProductPool]:
        """Read every pool at the current block and emit the updates."""
        block = await self.rpc.block_number()
        pools = await self.read_pools(block)
        for pool in pools:
            address = self._address_of(pool.pool_id)
            self._applied[address] = (block, _SNAPSHOT_POS)
            self._emit(address, pool)
        return pools

    def _address_of(self, pool_id: str) -> str:
        for address, spec in self.pools.items():
            if spec.pool_id == pool_id:
                return address
        raise KeyError(pool_id)

    def _emit(self, address: str, pool: ConstantProductPool) -> None:
        self.state[pool.pool_id] = pool
        now = self.clock.now()
        if self.prices is not None and pool.pool_id in self.prices.pools:
            for symbol, price in self.prices.derive(self.state).items():
                self.sink(PriceTick(now, symbol, price))
        self.sink(PoolUpdate(now, pool))

    def apply_sync(self, event: SyncEvent) -> bool:
        """Apply one ``Sync`` log; False if it was skipped (unknown pair or already applied)."""
        address = event.pair.lower()
        spec = self.pools.get(address)
        if spec is None:
            return False
        if event.removed:
            self._need_snapshot.set()
            return False
        pos = (event.block_number or 0, event.log_index or 0)
        if pos <= self._applied.get(address, (-1, -1)):
            return False
        self._applied[address] = pos
        self.syncs += 1
        self._emit(address, spec.snapshot(event.reserve0, event.reserve1))
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the pools (and heads) until ``stop`` is set."""
        tasks = [asyncio.create_task(self._follow_syncs())]
        if self.on_head is not None:
            tasks.append(asyncio.create_task(self._follow_heads()))
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                failure = None if task is stopper else task.exception()
                if failure is not None:
                    raise failure
        finally:
            for task in [stopper, *tasks]:
                task.cancel()
            await asyncio.gather(stopper, *tasks, return_exceptions=True)

    def _on_subscribed(self, kind: str, _sub_id: str) -> None:
        if kind == "logs":
            self._need_snapshot.set()

    async def _follow_syncs(self) -> None:
        ws = WsClient(self._ws_url, on_subscribed=self._on_subscribed)
        stream = ws.sync_events([spec.address for spec in self.pools.values()])
        reader = asyncio.create_task(self._snapshots())
        try:
            async for event in stream:
                self.apply_sync(event)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _snapshots(self) -> None:
        """Re-read the pools after every (re)subscription and after a reorg."""
        while True:
            await self._need_snapshot.wait()
            self._need_snapshot.clear()
            try:
                await self.snapshot()
            except EvmError as exc:
                log.warning("pool snapshot failed (%s); retrying", exc)
                await asyncio.sleep(0.5)
                self._need_snapshot.set()

    async def _follow_heads(self) -> None:
        assert self.on_head is not None
        ws = WsClient(self._ws_url)
        async for header in ws.new_heads():
            self.heads += 1
            base = header.base_fee_per_gas or 0
            nxt = next_base_fee(base, header.gas_used, header.gas_limit)
            self.on_head(HeadUpdate(header.number, header.timestamp, base, nxt))
