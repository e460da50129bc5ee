"""Pool state from chain: a batched snapshot, then ``Sync`` logs and heads over WebSocket."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from phantom.core.events import PoolUpdate, PriceTick
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.devnet.world import DevnetWorld
from phantom.execution.evm_devnet import devnet_venue
from phantom.market.evm_source import (
    EvmPoolSource,
    EvmPoolSpec,
    HeadUpdate,
    ReferencePrices,
    next_base_fee,
)
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.ws import SyncEvent

from .live_support import dump_weth_on


def test_snapshot_reads_every_pool_and_prices_tokens_from_reference_pools(
    world: DevnetWorld,
) -> None:
    venue = devnet_venue(world.deployment)
    events: list[Any] = []

    async def main() -> list[ConstantProductPool]:
        async with RpcClient(world.deployment.rpc_url) as rpc:
            source = EvmPoolSource(rpc, "", venue.pools, events.append, prices=venue.prices)
            return await source.snapshot()

    pools = asyncio.run(main())
    assert len(pools) == 4
    for spec, pool in zip(venue.pools, pools, strict=True):
        dex, name = spec.pool_id.split(":")
        assert (pool.reserve0, pool.reserve1) == world.reserves(dex, name)
        assert pool.token0.address.lower() < pool.token1.address.lower()
    ticks = {e.symbol: e.price for e in events if isinstance(e, PriceTick)}
    assert ticks["USDC"] == 1.0 and ticks["ETH"] == ticks["WETH"]
    assert abs(ticks["WETH"] - 3000) < 1e-6 and abs(ticks["WBTC"] - 60_000) < 1e-3
    # prices are emitted before the pool update that moved them
    first_update = next(i for i, e in enumerate(events) if isinstance(e, PoolUpdate))
    assert any(isinstance(e, PriceTick) for e in events[:first_update])


def test_follows_swaps_and_heads_live(world: DevnetWorld) -> None:
    venue = devnet_venue(world.deployment)
    events: list[Any] = []
    heads: list[HeadUpdate] = []

    async def main() -> None:
        stop = asyncio.Event()
        async with RpcClient(world.deployment.rpc_url) as rpc:
            source = EvmPoolSource(rpc, world.deployment.ws_url, venue.pools, events.append,
                                   prices=venue.prices, on_head=heads.append)  # fmt: skip
            task = asyncio.create_task(source.run(stop))
            for _ in range(200):  # the snapshot after subscribing
                if sum(isinstance(e, PoolUpdate) for e in events) >= 4:
                    break
                await asyncio.sleep(0.01)
            await asyncio.to_thread(dump_weth_on, world)
            want = world.reserves("dexB", "WETH/USDC")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if (
                    any(
                        isinstance(e, PoolUpdate)
                        and e.pool.pool_id == "dexB:WETH/USDC"
                        and isinstance(e.pool, ConstantProductPool)
                        and (e.pool.reserve0, e.pool.reserve1) == want
                        for e in events
                    )
                    and heads
                ):
                    break
                await asyncio.sleep(0.01)
            stop.set()
            await asyncio.wait_for(task, 5)
            assert source.syncs >= 1

    asyncio.run(main())
    assert heads and heads[-1].number == world.rpc.block_number()
    assert heads[-1].next_base_fee_wei >= 0
    ticks = [e for e in events if isinstance(e, PriceTick) and e.symbol == "WETH"]
    assert ticks  # dexB is not a reference pool: WETH's price did not move with it
    assert all(abs(t.price - 3000) < 1e-6 for t in ticks)


def test_stale_duplicate_and_foreign_logs_are_skipped() -> None:
    a, b = Token("A", 18, "devnet", "0x" + "01" * 20), Token("B", 6, "devnet", "0x" + "02" * 20)
    spec = EvmPoolSpec("x:A/B", "x", "0x" + "aa" * 20, a, b)
    seen: list[Any] = []
    source = EvmPoolSource(None, "", [spec], seen.append)  # type: ignore[arg-type]

    def sync(block: int, index: int, r0: int, pair: str = spec.address) -> SyncEvent:
        return SyncEvent(pair, r0, 10, block, "0x" + "00" * 32, index)

    assert source.apply_sync(sync(5, 1, 100))
    assert not source.apply_sync(sync(5, 1, 100))  # the same log twice
    assert not source.apply_sync(sync(4, 9, 90))  # older
    assert source.apply_sync(sync(5, 2, 110))
    assert not source.apply_sync(sync(6, 0, 1, pair="0x" + "bb" * 20))  # not ours
    assert [e.pool.reserve0 for e in seen] == [100, 110]
    removed = SyncEvent(spec.address, 1, 1, 6, None, 0, removed=True)
    assert not source.apply_sync(removed)  # a reorg asks for a fresh snapshot instead


def test_reference_prices_and_eip1559_next_base_fee() -> None:
    usdc, weth = Token("USDC", 6, "devnet"), Token("WETH", 18, "devnet")
    wbtc = Token("WBTC", 8, "devnet")
    pools = {
        "p1": ConstantProductPool("p1", "x", weth, usdc, 10 * 10**18, 25_000 * 10**6, 3000),
        "p2": ConstantProductPool("p2", "x", weth, wbtc, 20 * 10**18, 10**8, 3000),
    }
    prices = ReferencePrices({"USDC": 1.0}, ("p2", "p1"), {"ETH": "WETH"}).derive(pools)
    assert prices["WETH"] == 2500.0 and prices["ETH"] == 2500.0
    assert abs(prices["WBTC"] - 50_000.0) < 1e-6
    assert next_base_fee(1000, 15, 30) == 1000
    assert next_base_fee(1000, 30, 30) == 1125
    assert next_base_fee(1000, 0, 30) == 875
    assert next_base_fee(7, 16, 30) == 8  # the increase is at least 1 wei
