"""The arbitrage engine backtested on recorded Uniswap V3 events (see ``docs/dex-replay.md``).

The recorded events of every pool in ``data_dir`` are replayed in chain order (block, log
index) into the pools' states (:mod:`phantom.backtest.dex_events`), each change reaching the
market and the :class:`~phantom.engines.arb.engine.ArbEngine` as a ``PoolUpdate``. The engine's
intents go through the risk gates and a capital check into the paper execution client (the
realism model of paper mode, with EVM gas: :mod:`phantom.backtest.dex_config`), which executes
each at its sampled arrival time against the pools as they are then. A fill's pool changes stay
in the market until the pool's next recorded event replaces its state (the recorded history does
not know our trades).

``run_dex_replay(data_dir, out_dir, seed)`` writes ``summary.json`` (byte-identical for the same
inputs and seed) and ``fills.csv``, and returns the summary.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from phantom.backtest.clients import NaiveExecutionClient
from phantom.backtest.data import load_candles
from phantom.backtest.dex_config import GAS_ETH, DexReplayConfig, PriceSource
from phantom.backtest.dex_events import (
    USDC,
    WETH,
    PoolEvent,
    PoolFile,
    PoolTracker,
    discover,
    merged_events,
)
from phantom.backtest.dex_report import FillRow, ModeReport, build_summary, write_outputs
from phantom.core.events import PoolUpdate
from phantom.core.fees import solana_fees
from phantom.core.orders import OrderIntent, Route
from phantom.core.pool import ConcentratedPool, Pool
from phantom.core.rng import SeededRng
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.arb.params import ArbParams
from phantom.engines.base import EngineContext
from phantom.execution.client import ExecutionClient, ExecutionOutcome
from phantom.execution.paper import PaperExecutionClient
from phantom.execution.realism import RefusedIntent
from phantom.market.state import MarketState
from phantom.risk.breaker import CircuitBreaker
from phantom.risk.gate import GateContext, RiskChain
from phantom.risk.gates import MaxConcurrentGate, MaxTradeSizeGate, MinProfitGate

Q96 = 2**96
MODES = ("realistic", "naive")


def mid_price_usd(pool: ConcentratedPool) -> float:
    """USD per WETH from a USDC(token0)/WETH(token1) pool's sqrt price."""
    ratio: float = (pool.sqrt_price_x96 / Q96) ** 2  # token1 base units per token0 base unit
    per_usdc = ratio * 10.0 ** (pool.token0.decimals - pool.token1.decimals)
    return 1.0 / per_usdc


class UsdPrices:
    """WETH/ETH in USD: from the price pool's mid, or from Binance 5-minute closes."""

    def __init__(self, config: DexReplayConfig, pools: list[PoolFile]) -> None:
        self.source = config.price_source
        self.price_pool = min(pools, key=lambda p: (p.fee_ppm, p.address)).address
        self._close_ts = np.zeros(0)
        self._close = np.zeros(0)
        self._first_open = 0.0
        if self.source is PriceSource.BINANCE:
            assert config.binance_path is not None
            candles = load_candles(config.binance_path, symbol="ETH/USDT")
            self._close_ts = candles.ts + candles.timeframe_s
            self._close = candles.close
            self._first_open = float(candles.open[0])

    def at(self, ts: float, pool: Pool | None) -> float | None:
        """The price to use after an update of ``pool`` at ``ts`` (``None``: unchanged)."""
        if self.source is PriceSource.POOL:
            if isinstance(pool, ConcentratedPool) and pool.pool_id == self.price_pool:
                return mid_price_usd(pool)
            return None
        i = int(np.searchsorted(self._close_ts, ts, side="right")) - 1
        return float(self._close[i]) if i >= 0 else self._first_open


class Vault:
    """USDC and gas-ETH balances (base units) with per-intent reservations."""

    def __init__(self, usdc: int, eth_gwei: int) -> None:
        self.balance: Counter[str] = Counter({USDC.symbol: usdc, GAS_ETH.symbol: eth_gwei})
        self.start = dict(self.balance)
        self.reserved: dict[str, tuple[int, int]] = {}  # intent -> (usdc, gas gwei)

    def available(self, symbol: str) -> int:
        idx = 0 if symbol == USDC.symbol else 1
        return self.balance[symbol] - sum(r[idx] for r in self.reserved.values())


class ModeRun:
    """One replay of the events in one mode (``realistic``: the paper model; ``naive``: instant,
    full, at the signal price, no costs)."""

    def __init__(
        self,
        mode: str,
        config: DexReplayConfig,
        pools: list[PoolFile],
        events: list[PoolEvent],
        seed: int,
    ) -> None:
        self.mode, self.config, self.events = mode, config, events
        self.trackers = {p.address: PoolTracker(p) for p in pools}
        self.prices = UsdPrices(config, pools)
        self.market = MarketState()
        self.market.set_price(USDC.symbol, 1.0)
        self.realism = config.realism()
        self.client: ExecutionClient = (
            PaperExecutionClient(self.realism, SeededRng(seed).stream("dex-replay"))
            if mode == "realistic"
            else NaiveExecutionClient()
        )
        self.gates = RiskChain(
            [
                CircuitBreaker(config.max_consecutive_failures, config.failure_cooldown_s),
                MaxConcurrentGate(config.max_concurrent),
                MaxTradeSizeGate(config.max_trade_usd),
                MinProfitGate(config.min_profit_usd, config.min_profit_bps),
            ]
        )
        self.vault = Vault(USDC.to_units(config.initial_usdc), GAS_ETH.to_units(config.initial_eth))
        self.engine: ArbEngine | None = None
        self.now = events[0].ts if events else 0.0
        self.in_flight: dict[str, tuple[OrderIntent, int]] = {}  # intent, block sent
        self.block = 0
        self.report = ModeReport(mode)

    # --- the loop ---
    def run(self) -> ModeReport:
        for ev in self.events:
            self._resolve(ev.ts)
            self.block = ev.block
            snapshot = self.trackers[ev.pool].apply(ev)
            if snapshot is None:
                continue
            self.now = max(self.now, ev.ts)
            self._on_pool(snapshot, recorded=True)
        self._resolve(math.inf)
        self.report.finish(self)
        return self.report

    def _resolve(self, until: float) -> None:
        while True:
            due = self.client.next_due()
            if due is None or due > until:
                return
            self.now = max(self.now, due)
            try:
                outcomes = self.client.due(self.now, self.market)
            except RefusedIntent as exc:  # cannot happen with known pools; counted if it does
                self.report.refused[exc.reason] += 1
                entry = self.in_flight.pop(exc.intent_id, None)
                if entry is not None:
                    self.vault.reserved.pop(exc.intent_id, None)
                    if self.engine is not None:
                        self.engine.on_rejected(entry[0], "refused")
                continue
            for outcome in outcomes:
                self._on_outcome(outcome)

    def _apply(self, pool: Pool) -> PoolUpdate:
        update = PoolUpdate(self.now, pool)
        self.market.apply(update)
        price = self.prices.at(self.now, pool)
        if price is not None:
            self.market.set_price(WETH.symbol, price)
            self.market.set_price(GAS_ETH.symbol, price)
        return update

    def _on_pool(self, pool: Pool, recorded: bool) -> None:
        update = self._apply(pool)
        if recorded:
            self.report.pool_updates += 1
        if self.engine is None:
            if len(list(self.market.pools())) < len(self.trackers):
                self.report.updates_before_all_pools += 1
                return
            if not self.market.has_price(WETH):
                return
            self.engine = ArbEngine(self._arb_params(), list(self.market.pools()), "dex")
            self.report.engine_start_ts = self.now
        ctx = EngineContext(
            now=self.now,
            market=self.market,
            available={USDC: self.vault.available(USDC.symbol)},
        )
        for intent in self.engine.on_event(update, ctx):
            self._send(intent)

    def _arb_params(self) -> ArbParams:
        c = self.config
        return ArbParams(
            base_tokens=(USDC,),
            native=GAS_ETH,
            fee_schedule=self.realism.fee_schedule,
            max_trade_usd=c.max_trade_usd,
            slippage_bps=c.slippage_bps,
            max_hops=2,
        )

    def _send(self, intent: OrderIntent) -> None:
        assert self.engine is not None
        routed = intent
        if self.config.route is not Route.PUBLIC:
            routed = replace(intent, route=self.config.route)
        ctx = GateContext(now=self.now, in_flight=self.client.in_flight(), volatile=False)
        rejection = self.gates.check(routed, ctx)
        reason = rejection.reason if rejection is not None else None
        gas = solana_fees(
            self.realism.fee_schedule,
            routed.signatures,
            routed.route is Route.PRIVATE,
            landed=True,
        ).total
        if reason is None and self.vault.available(USDC.symbol) < routed.amount_in:
            reason = "insufficient_capital"
        if reason is None and self.mode == "realistic" and self.vault.available("ETH") < gas:
            reason = "insufficient_gas"
        if reason is not None:
            self.report.rejections[reason] += 1
            self.report.fill_rows.append(FillRow.rejected(routed, self.block, reason))
            self.engine.on_rejected(routed, reason)
            return
        self.vault.reserved[routed.intent_id] = (
            routed.amount_in,
            gas if self.mode == "realistic" else 0,
        )
        self.in_flight[routed.intent_id] = (routed, self.block)
        self.client.submit(routed, self.now)
        self.report.on_sent(routed)

    def _on_outcome(self, outcome: ExecutionOutcome) -> None:
        assert self.engine is not None
        fill = outcome.fill
        intent, block = self.in_flight.pop(fill.intent_id)
        self.vault.reserved.pop(fill.intent_id, None)
        usd = Decimal(0)
        for delta in fill.deltas:
            self.vault.balance[delta.token.symbol] += delta.amount
            price = Decimal(repr(self.market.price_usd(delta.token)))
            usd += delta.token.to_decimal(delta.amount) * price
        self.gates.on_fill(fill, self.now)
        self.engine.on_fill(fill)
        self.report.on_fill(fill, intent, block, self.block, usd)
        changes = outcome.pool_changes
        if not changes:
            return
        # every pool the fill touched changes at once: the engine re-scores on the last one only
        for pool in changes[:-1]:
            self._apply(pool)
            self.engine.index.update(pool)
        self._on_pool(changes[-1], recorded=False)


def run_dex_replay(
    data_dir: Path,
    out_dir: Path,
    seed: int,
    *,
    config: DexReplayConfig | None = None,
    compare: bool = False,
    fees: dict[str, int] | None = None,
    echo: bool = True,
) -> dict[str, Any]:
    """Replay every ``*.pool.tick.csv`` of ``data_dir`` through the arbitrage engine.

    ``compare`` adds a naive run beside the realistic one. ``fees`` gives the fee tier
    (ppm) of pools :data:`~phantom.backtest.dex_events.KNOWN_POOLS` does not list. Writes
    ``out_dir/summary.json`` and ``out_dir/fills.csv``; prints a short table unless ``echo`` is
    off; returns the summary."""
    cfg = config or DexReplayConfig()
    pools = discover(Path(data_dir), fees)
    events = merged_events(pools)
    reports = [ModeRun(mode, cfg, pools, events, seed).run() for mode in MODES[: 1 + compare]]
    summary = build_summary(Path(data_dir), pools, events, cfg, seed, reports)
    table = write_outputs(Path(out_dir), summary, reports)
    if echo:
        print(table)
        print(f"summary: {Path(out_dir) / 'summary.json'}; fills: {Path(out_dir) / 'fills.csv'}")
    return summary
