"""Bar engines in a paper run: bars built as simulated time passes, fed through the batched bar
API (``phantom.engines.base.BarEngine``) exactly as the backtester feeds candles.

- **scalp**: bars of SOL's reference price (the world's 5-second ticks), volume = the USDC
  traded in SCALP_POOL during the bar (simulated noise and arbitrage flow, our fills included);
  orders bound to SCALP_POOL's curve, or to the dynamic slippage model at SCALP_LIQUIDITY_USD.
- **lst**: one LstEngine per LST, bars of its pool's mid ratio (SOL per LST) sampled at each
  tick, the on-chain rate handed over as a ``StakeRate`` at every epoch boundary; orders bound
  to the LST's replay pool.

A bar closes at the first tick at or after its end (bars are aligned on multiples of
PAPER_BAR_S in epoch seconds); a bar with no sample repeats the last close with no volume.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from phantom.amm.swap import spot_price
from phantom.app import paper_params
from phantom.app.paper_slots import Deposit, EngineSlot, rebind
from phantom.core.events import MarketEvent, PoolUpdate, PriceTick
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.pool import ConstantProductPool, Pool
from phantom.core.token import Token
from phantom.engines.base import BarBatch, BarEngine, EngineContext
from phantom.engines.lst.engine import LstEngine, StakeRate
from phantom.engines.scalp.engine import ScalpEngine
from phantom.market.replay.agents import virtual_liquidity

if TYPE_CHECKING:
    from phantom.app.paper_run import PaperRun

CLOCK_SYMBOL = "SOL"  # the reference tick that drives bar closes


@dataclass(slots=True)
class _Bar:
    start: float
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0


class BarBuilder:
    """OHLCV bars of ``timeframe_s`` seconds from samples in time order."""

    def __init__(self, symbol: str, timeframe_s: float) -> None:
        self.symbol = symbol
        self.timeframe_s = float(timeframe_s)
        self._bar: _Bar | None = None
        self._next_volume = 0.0
        self.bars = 0

    def add(self, ts: float, price: float) -> BarBatch | None:
        """Add a sample; returns the bars it closed (``None`` if none)."""
        tf = self.timeframe_s
        start = math.floor(ts / tf) * tf
        bar = self._bar
        done: list[_Bar] = []
        if bar is not None and start > bar.start:
            done.append(bar)
            gap = bar.start + tf
            while gap < start:
                done.append(_Bar(gap, bar.close, bar.close, bar.close, bar.close))
                gap += tf
            bar = None
        if bar is None:
            self._bar = _Bar(start, price, price, price, price, self._next_volume)
            self._next_volume = 0.0
        else:
            bar.high, bar.low, bar.close = max(bar.high, price), min(bar.low, price), price
        return self._batch(done) if done else None

    def add_volume(self, ts: float, volume: float) -> None:
        bar = self._bar
        if bar is None or ts >= bar.start + self.timeframe_s:
            self._next_volume += volume
        else:
            bar.volume += volume

    def _batch(self, done: list[_Bar]) -> BarBatch:
        self.bars += len(done)

        def col(name: str) -> Any:
            return np.array([getattr(b, name) for b in done], dtype=np.float64)

        return BarBatch(
            self.symbol,
            self.timeframe_s,
            col("start"),
            col("open"),
            col("high"),
            col("low"),
            col("close"),
            col("volume"),
        )


def traded_quote(before: Pool, after: Pool, quote: Token) -> float:
    """Units of ``quote`` that went through a pool between two states (0 for a liquidity
    change at the same price): exact for a constant-product pool, ``L * |d sqrt P|`` for a
    concentrated one."""
    if isinstance(before, ConstantProductPool) and isinstance(after, ConstantProductPool):
        side = 0 if before.token0 == quote else 1
        r0 = before.reserve0 if side == 0 else before.reserve1
        r1 = after.reserve0 if side == 0 else after.reserve1
        return abs(r1 - r0) / quote.one
    s0, liq = virtual_liquidity(before)
    s1, _ = virtual_liquidity(after)
    moved = liq * abs(s1 - s0) if after.token1 == quote else liq * abs(1 / s1 - 1 / s0)
    return moved / quote.one


def pool_for(run: PaperRun, setting: str, wanted: str | None, base: Token, quote: Token) -> Pool:
    """The replay pool named by ``setting`` (it must trade ``base``/``quote``), or the deepest
    one that does when unset."""
    world, pair = run.world, {base, quote}
    if wanted is None:
        pools = [p for p in world.pools() if {p.token0, p.token1} == pair]
        if not pools:
            raise ValueError(f"no replay pool trades {base.symbol}/{quote.symbol}")
        return max(pools, key=lambda p: world.specs[p.pool_id].depth_usd)
    try:
        pool = world.pool(wanted)
    except KeyError:
        known = ", ".join(p.pool_id for p in world.pools())
        raise ValueError(f"setting {setting}: no replay pool {wanted!r} (pools: {known})") from None
    if {pool.token0, pool.token1} != pair:
        raise ValueError(f"setting {setting}: {wanted} does not trade {base.symbol}/{quote.symbol}")
    return pool


class BarSink(Protocol):
    """Where :func:`feed_bars` gets an engine's context and sends its intents: a paper slot,
    or a live loop (``app/live_solana_bars``)."""

    def context(self, *tokens: Token) -> EngineContext: ...

    def emit(self, intents: Sequence[OrderIntent]) -> None: ...


def feed_bars(
    slot: BarSink,
    engine: BarEngine,
    bars: BarBatch,
    tokens: tuple[Token, ...],
    bind: dict[str, str],
) -> None:
    """The batched bar API's calling protocol: scan, send what it decided, scan on."""
    start = 0
    while start < len(bars):
        decision = engine.on_bars(bars, start, len(bars), slot.context(*tokens))
        if not decision.intents:
            return
        slot.emit([rebind(i, bind) for i in decision.intents])
        start = decision.index + 1


def scalp_idle_reason(engine: ScalpEngine, bars: BarBuilder) -> str:
    """Why the scalp entered nothing (paper and live say the same)."""
    signals = sum(p.signals for p in engine.pods)
    if signals == 0:
        return f"no pod's momentum entry signal fired in {bars.bars} bars"
    return f"{signals} signals, every entry skipped (too small) or rejected"


class ScalpSlot(EngineSlot):
    """The multi-pod scalp engine on SOL/USDC (see the module docstring)."""

    def __init__(self, run: PaperRun) -> None:
        super().__init__(run, "scalp")
        s = run.settings
        self.sol, self.usdc = run.native, run.usdc
        pool = pool_for(run, "SCALP_POOL", s.scalp_pool, self.sol, self.usdc)
        self.pool_id = pool.pool_id
        self._last = pool
        params = paper_params.scalp_params(s, self.sol, self.usdc, pool)
        self.engine = ScalpEngine(params, id_prefix=self.prefix)
        self.bind = {} if s.scalp_liquidity_usd is not None else {"cex:SOL/USDC": pool.pool_id}
        self.bars = BarBuilder("SOL", s.paper_bar_s)

    def deposits(self) -> list[Deposit]:
        s = self.run.settings
        return self.deposit(self.usdc, s.scalp_initial_usd) + self.deposit(
            self.sol, s.scalp_initial_sol
        )

    def on_market(self, event: MarketEvent) -> None:
        if isinstance(event, PoolUpdate):
            if event.pool.pool_id == self.pool_id:
                volume = traded_quote(self._last, event.pool, self.usdc)
                self.bars.add_volume(event.ts, volume)
                self._last = event.pool
            return
        if event.symbol != CLOCK_SYMBOL:
            return
        batch = self.bars.add(event.ts, event.price)
        if batch is not None:
            feed_bars(self, self.engine, batch, (self.usdc, self.sol), self.bind)

    def on_fill(self, fill: Fill) -> None:
        self.engine.on_fill(fill)

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        self.engine.on_rejected(intent, reason)

    def figures(self) -> dict[str, Any]:
        st = self.engine.stats
        venue = "dynamic model" if not self.bind else self.pool_id
        return {
            "venue": venue,
            "bars": self.bars.bars,
            "entries": st.entries,
            "exits": st.exits,
            "pods": self.engine.summary(),
        }

    def idle_reason(self) -> str | None:
        if self.engine.stats.entries:
            return None
        return scalp_idle_reason(self.engine, self.bars)


class LstSlot(EngineSlot):
    """The LST de-peg engine, one ``LstEngine`` per LST, sharing the ``lst`` vault (SOL).

    Its gas is its own SOL: GAS_CRITICAL_SOL is held back from what the engines may spend, and
    it never refuels (it holds no USDC)."""

    refuels = False

    def __init__(self, run: PaperRun) -> None:
        super().__init__(run, "lst")
        s, world = run.settings, run.world
        self.sol = run.native
        self.reserve = self.sol.to_units(s.gas_critical_sol)
        self.lsts: list[_Lst] = []
        symbols = [x for x in s.lst_symbols if x in world.lst_symbols]
        if not symbols:
            raise ValueError("the lst engine needs the replay world's LST pools (SOL prices)")
        for symbol in symbols:
            token = world.tokens[symbol]
            pool = next(p for p in world.pools() if {p.token0, p.token1} == {token, self.sol})
            params = paper_params.lst_params(s, token, self.sol, pool, len(symbols))
            engine = LstEngine(params, id_prefix=f"{self.prefix}-{symbol}")
            bind = {f"lst:{symbol}/SOL": pool.pool_id}
            self.lsts.append(
                _Lst(token, pool.pool_id, engine, BarBuilder(symbol, s.paper_bar_s), bind)
            )
        self._epoch: int | None = None

    def deposits(self) -> list[Deposit]:
        return self.deposit(self.sol, self.run.settings.lst_initial_sol)

    def on_market(self, event: MarketEvent) -> None:
        if not isinstance(event, PriceTick) or event.symbol != CLOCK_SYMBOL:
            return
        now, world = event.ts, self.run.world
        epoch = world.staking.epoch(now)
        if epoch != self._epoch:  # the stake pools were updated: the new on-chain rates
            self._epoch = epoch
            at = world.staking.epoch_start(epoch)
            for lst in self.lsts:
                onchain = StakeRate(at, lst.token.symbol, world.stake_rate(lst.token.symbol, now))
                lst.engine.on_event(onchain, self.context(self.sol, lst.token))
        for lst in self.lsts:
            ratio = spot_price(self.run.market.pool(lst.pool_id), lst.token)
            rate = world.stake_rate(lst.token.symbol, now)
            lst.max_discount_bps = max(lst.max_discount_bps, (1 - ratio / rate) * 10_000)
            batch = lst.bars.add(now, ratio)
            if batch is not None:
                feed_bars(self, lst.engine, batch, (self.sol, lst.token), lst.bind)

    def context(self, *tokens: Token) -> EngineContext:
        """Free balances with GAS_CRITICAL_SOL of SOL held back for gas."""
        ctx = super().context(*tokens)
        free = dict(ctx.available)
        if self.sol in free:
            free[self.sol] = max(0, free[self.sol] - self.reserve)
        return EngineContext(ctx.now, ctx.market, free)

    def on_fill(self, fill: Fill) -> None:
        for lst in self.lsts:
            lst.engine.on_fill(fill)

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        for lst in self.lsts:
            lst.engine.on_rejected(intent, reason)

    def figures(self) -> dict[str, Any]:
        run, sol_usd = self.run, self.usd(self.sol)
        value = sum(
            (
                t.to_decimal(units) * self.usd(t) / sol_usd
                for t, units in run.ledger.balances(self.name).items()
            ),
            Decimal(0),
        )
        deposited = run.settings.lst_initial_sol
        out: dict[str, Any] = {
            "vault_sol": {
                "deposited": str(deposited),
                "value": str(value.quantize(Decimal("0.000001"))),
                "pnl": str((value - deposited).quantize(Decimal("0.000001"))),
            }
        }
        for lst in self.lsts:
            st = lst.engine.stats
            out[lst.token.symbol] = {
                "pool": lst.pool_id,
                "bars": st.bars,
                "max_discount_bps": round(lst.max_discount_bps, 2),
                "entry_hurdle_bps": round(float(lst.hurdle_bps(self)), 2),
                "exits_repeg": st.exits_repeg,
                "exits_max_hold": st.exits_max_hold,
                **lst.engine.summary(),
            }
        return out

    def idle_reason(self) -> str | None:
        if any(lst.engine.stats.entries for lst in self.lsts):
            return None
        parts = [
            f"{lst.token.symbol}: largest discount {lst.max_discount_bps:.1f} bps "
            f"< entry hurdle {lst.hurdle_bps(self):.1f} bps"
            for lst in self.lsts
        ]
        return "no de-peg beat its costs (" + "; ".join(parts) + ")"


@dataclass(slots=True)
class _Lst:
    token: Token
    pool_id: str
    engine: LstEngine
    bars: BarBuilder
    bind: dict[str, str]
    max_discount_bps: float = -math.inf

    def hurdle_bps(self, slot: LstSlot) -> Decimal:
        """The discount an entry sized from the vault now would have to beat."""
        p = self.engine.params
        free = slot.context(slot.sol).available[slot.sol]
        size_units = free * int(p.position_pct * 10_000) // 1_000_000
        size = p.underlying.to_decimal(size_units)
        if p.max_size is not None:
            size = min(size, p.max_size)
        if size <= 0:
            return Decimal(0)
        return self.engine.hurdle(size)[0] * 10_000
