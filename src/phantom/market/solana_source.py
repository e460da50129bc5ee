"""Constant-product pool state from a Solana node: each pool's reserves are the balances of its
two SPL token vaults, read with ``getAccountInfo`` over the RPC router, once per new block.

:class:`SolanaPoolSource` polls ``getBlockHeight`` every ``poll_interval_s``; when the height
moved it reads every vault (concurrently) and emits a :class:`PoolUpdate` for each pool whose
reserves changed, preceded by :class:`PriceTick` events when a reference pool moved (reference
USD prices come from the pools themselves, :class:`~phantom.market.evm_source.ReferencePrices`,
plus fixed anchors such as ``USDC = 1``), then ``on_block`` (every new block, changed or not,
after its events: bar builders sample there). A read that fails is logged and retried at the
next poll; the state only ever moves to a snapshot read after the previous one.

The vaults hold exactly what the pool's curve prices (the local world's pools keep their fee in
the vault, as Raydium's AMM v4 does), so the snapshot is exact integer state: what the engine
sizes against is what a swap will meet, unless another trade lands first.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from phantom.core.clock import Clock, WallClock
from phantom.core.events import MarketEvent, PoolUpdate, PriceTick
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.market.evm_source import ReferencePrices
from phantom.venues.solana.errors import MalformedResponse, SolanaError
from phantom.venues.solana.router import SmartRouter
from phantom.venues.solana.spl import parse_token_account

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SolanaPoolSpec:
    """A pool as the engine knows it (``pool_id``) and as the chain does (its two vaults)."""

    pool_id: str
    venue: str
    token0: Token  # token0.address / token1.address: the mints
    token1: Token
    vault0: str
    vault1: str
    fee_bps: int
    amm_key: str  # the pool's key in Jupiter quotes (``routePlan[].swapInfo.ammKey``)

    @property
    def fee_ppm(self) -> int:
        return self.fee_bps * 100

    def snapshot(self, reserve0: int, reserve1: int) -> ConstantProductPool:
        return ConstantProductPool(
            self.pool_id, self.venue, self.token0, self.token1, reserve0, reserve1, self.fee_ppm
        )

    def vault_of(self, mint: str) -> str:
        if mint == self.token0.address:
            return self.vault0
        if mint == self.token1.address:
            return self.vault1
        raise KeyError(f"pool {self.pool_id} does not hold mint {mint}")


@dataclass(frozen=True, slots=True)
class SolanaVenue:
    """Where the venue is and what it trades."""

    rpc_urls: tuple[str, ...]
    jupiter_url: str
    jito_url: str
    pools: tuple[SolanaPoolSpec, ...]
    native: Token

    def pool(self, pool_id: str) -> SolanaPoolSpec:
        for spec in self.pools:
            if spec.pool_id == pool_id:
                return spec
        raise KeyError(f"unknown pool {pool_id}")

    def tokens(self) -> dict[str, Token]:
        """mint -> token."""
        return {t.address: t for p in self.pools for t in (p.token0, p.token1)}


async def account_data(router: SmartRouter, account: str) -> bytes:
    """The data of ``account`` (``getAccountInfo``, base64, processed)."""
    result = await router.request(
        "getAccountInfo", [account, {"encoding": "base64", "commitment": "processed"}]
    )
    try:
        return base64.b64decode(result["value"]["data"][0])
    except (KeyError, TypeError, IndexError, ValueError):
        raise MalformedResponse(
            f"account {account} has no base64 data", method="getAccountInfo"
        ) from None


async def token_amount(router: SmartRouter, account: str) -> int:
    """The SPL token amount held by ``account`` (``getAccountInfo``, base64)."""
    data = await account_data(router, account)
    try:
        return parse_token_account(data).amount
    except (KeyError, TypeError, IndexError, ValueError):
        raise MalformedResponse(
            f"account {account} is not an SPL token account", method="getAccountInfo"
        ) from None


class SolanaPoolSource:
    """Emits ``PriceTick`` / ``PoolUpdate`` events through ``sink`` (called on the venue loop)."""

    def __init__(
        self,
        router: SmartRouter,
        pools: Sequence[SolanaPoolSpec],
        sink: Callable[[MarketEvent], None],
        *,
        prices: ReferencePrices | None = None,
        poll_interval_s: float = 0.1,
        on_block: Callable[[int], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        if poll_interval_s <= 0:
            raise ValueError("poll_interval_s must be positive")
        self.router = router
        self.pools = list(pools)
        self.sink = sink
        self.prices = prices
        self.poll_interval_s = poll_interval_s
        self.on_block = on_block
        self.clock: Clock = clock if clock is not None else WallClock()
        self.state: dict[str, ConstantProductPool] = {}
        self.height = -1
        self.reads = 0
        self.failures = 0

    async def read_pools(self) -> list[ConstantProductPool]:
        """Every pool's vault balances now (one concurrent round of ``getAccountInfo``)."""
        vaults = [v for spec in self.pools for v in (spec.vault0, spec.vault1)]
        amounts = await asyncio.gather(*(token_amount(self.router, v) for v in vaults))
        self.reads += 1
        return [
            spec.snapshot(amounts[2 * i], amounts[2 * i + 1]) for i, spec in enumerate(self.pools)
        ]

    async def snapshot(self) -> list[ConstantProductPool]:
        """Read every pool and emit every one (changed or not)."""
        self.height = int(
            await self.router.request("getBlockHeight", [{"commitment": "processed"}])
        )
        pools = await self.read_pools()
        self._emit(pools, force=True)
        return pools

    def _emit(self, pools: list[ConstantProductPool], *, force: bool = False) -> int:
        changed = [p for p in pools if force or self.state.get(p.pool_id) != p]
        if not changed:
            return 0
        for pool in changed:
            self.state[pool.pool_id] = pool
        now = self.clock.now()
        if self.prices is not None and any(p.pool_id in self.prices.pools for p in changed):
            for symbol, price in self.prices.derive(self.state).items():
                self.sink(PriceTick(now, symbol, price))
        for pool in changed:
            self.sink(PoolUpdate(now, pool))
        return len(changed)

    async def poll_once(self) -> int:
        """One poll: when the block height moved, re-read the pools; returns how many changed."""
        height = int(await self.router.request("getBlockHeight", [{"commitment": "processed"}]))
        if height == self.height:
            return 0
        pools = await self.read_pools()
        self.height = height
        changed = self._emit(pools)
        if self.on_block is not None:  # after the block's events: it sees the block's state
            self.on_block(height)
        return changed

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the pools until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.poll_once()
            except (SolanaError, ValueError, TypeError) as exc:
                self.failures += 1
                log.warning("pool read failed (%s); retrying at the next poll", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_interval_s)
