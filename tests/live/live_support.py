"""Helpers for the live EVM tests: a desk (market from chain, engine, live client, ledger) and
devnet actions (gaps, mining)."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from phantom.core.events import PoolUpdate
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent, Route
from phantom.core.pool import ConstantProductPool
from phantom.devnet.deploy import FAR_DEADLINE
from phantom.devnet.world import DevnetWorld
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.arb.params import ArbParams
from phantom.engines.base import EngineContext
from phantom.execution.evm_bridge import AsyncBridge
from phantom.execution.evm_devnet import NATIVE_SYMBOLS, devnet_venue
from phantom.execution.evm_journal import EvmTxJournal
from phantom.execution.evm_live import EvmLiveClient
from phantom.market.evm_source import EvmPoolSource
from phantom.market.state import MarketState
from phantom.portfolio.ledger import DEFAULT_NATIVE_SYMBOLS, Ledger
from phantom.signals.evm_costs import EvmGasModel
from phantom.venues.evm.fees import FeePolicy, fetch_fees
from phantom.venues.evm.signer import SecretKey, Signer

ETH = 10**18
POLICY = FeePolicy.from_gwei(100, 5)
#: Explicit gas for router swaps: anvil's own estimate is taken in another block environment
#: than the one the swap lands in (a pair's first price-accumulator write can be missed).
SWAP_GAS = 250_000


def dump_weth_on(world: DevnetWorld, dex: str = "dexB", weth: int = 20 * ETH) -> dict[str, Any]:
    """A trader sells WETH on ``dex``: WETH gets cheap there (a gap to the other DEX)."""
    dep = world.deployment
    trader = world.account("trader")
    route = [dep.address("WETH"), dep.address("USDC")]
    router = dep.address(f"{dex}.router")
    fn = "swapExactTokensForTokens"
    args = (weth, 0, route, trader, FAR_DEADLINE)
    return world.transact(trader, "UniswapV2Router02", router, fn, *args, gas=SWAP_GAS)


def dump_weth_pending(
    world: DevnetWorld, dex: str = "dexB", weth: int = 20 * ETH, **fees: int
) -> str:
    dep = world.deployment
    trader = world.account("trader")
    data = world.calldata(
        "UniswapV2Router02", "swapExactTokensForTokens", weth, 0,
        [dep.address("WETH"), dep.address("USDC")], trader, FAR_DEADLINE,
    )  # fmt: skip
    return world.rpc.send(trader, dep.address(f"{dex}.router"), data, gas=SWAP_GAS, **fees)


class Desk:
    """The arbitrageur on the devnet: market from chain, the engine, the live client, a ledger."""

    def __init__(self, world: DevnetWorld, workdir: Path, **config: Any) -> None:
        self.world = world
        self.venue = devnet_venue(world.deployment)
        self.bridge = AsyncBridge().start()
        self.market = MarketState()
        self.journal = EvmTxJournal(workdir / "evm_txs.sqlite")
        key = world.deployment.account("arbitrageur").private_key.get_secret_value()
        self.relay_url: str | None = config.pop("relay_url", None)
        cfg = self.venue.venue_config(POLICY, relay_url=self.relay_url, **config)
        self.client = EvmLiveClient(
            cfg, Signer(SecretKey.from_hex(key)), self.journal, self.bridge, market=self.market,
            relay_signer=Signer(SecretKey.generate()),
        )  # fmt: skip
        self.ledger = Ledger(
            workdir / "ledger.sqlite", native_symbols={**DEFAULT_NATIVE_SYMBOLS, **NATIVE_SYMBOLS}
        )
        self.gas = EvmGasModel(self.venue.native)
        self.pools: list[ConstantProductPool] = []

    @property
    def owner(self) -> str:
        return self.client.owner

    def read_market(self) -> list[ConstantProductPool]:
        events: list[Any] = []
        source = EvmPoolSource(self.client.rpc, "", self.venue.pools, events.append,
                               prices=self.venue.prices)  # fmt: skip
        self.pools = self.bridge.run(source.snapshot())
        for event in events:
            self.market.apply(event)
        quote = self.bridge.run(fetch_fees(self.client.rpc, POLICY))
        self.gas.update_fees(quote.base_fee_wei, quote.max_priority_fee_per_gas)
        return self.pools

    def open_vault(self) -> None:
        native = self.venue.native
        price = Decimal(repr(self.market.price_usd(native)))
        self.ledger.open_vault("arb", [(native, 10 * ETH, price)])

    def best_intent(self, route: Route = Route.PUBLIC, **params: Any) -> OrderIntent:
        v = self.venue
        tokens = (v.token("USDC"), v.token("WETH"))
        defaults: dict[str, Any] = {"max_hops": 2, "cost_estimator": self.gas}
        defaults.update(params)
        arb = ArbParams(tokens, v.native, SolanaFeeSchedule(), Decimal(100_000), 50, **defaults)
        engine = ArbEngine(arb, self.pools, id_prefix=f"t{time.monotonic_ns()}")
        ctx = EngineContext(time.time(), self.market, {t: 10**30 for t in tokens})
        intents = [i for p in self.pools for i in engine.on_event(PoolUpdate(time.time(), p), ctx)]
        assert intents, "the engine found no arbitrage"
        return replace(intents[0], route=route)

    def submit(self, intent: OrderIntent) -> None:
        self.ledger.journal_intent(intent)
        self.client.submit(intent, time.time())

    def outcome(self, timeout: float = 30.0) -> Fill:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for out in self.client.due(time.time(), self.market):
                return out.fill
            time.sleep(0.005)
        raise AssertionError("no outcome in time")

    def book(self, fill: Fill) -> None:
        prices = {
            t.symbol: Decimal(repr(self.market.price_usd(t)))
            for t in (*self.venue.tokens.values(), self.venue.native)
        }
        self.ledger.record_fill(fill, prices)

    def close(self) -> None:
        self.bridge.run(self.client.aclose())
        self.bridge.stop()
        self.ledger.close()
        self.journal.close()
