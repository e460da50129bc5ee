"""The embedded replay world: a recorded price path drives simulated Solana pools.

Events come out lazily in time order from a heap of pending arrivals (reference ticks and each
pool's arbitrage, noise and LP flow). Ties are broken by scheduling order, every random draw
comes from a named stream of the world's ``SeededRng``, so a seed gives the same stream of
events bit for bit.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from phantom.core.events import MarketEvent, PoolUpdate, PriceTick
from phantom.core.pool import Pool, PoolKind
from phantom.core.rng import SeededRng
from phantom.core.token import Token
from phantom.market.replay.agents import (
    Arbitrageur,
    FlowAgent,
    Intent,
    LiquidityManager,
    NoiseTrader,
)
from phantom.market.replay.layout import (
    ALL_TOKENS,
    NATIVE,
    STABLES,
    TOKENS,
    PoolSpec,
    build_pool,
)
from phantom.market.replay.lst import StakingModel
from phantom.market.replay.params import WorldParams
from phantom.market.replay.path import PricePath

_TICKER = -1


@dataclass(slots=True)
class _Arrival:
    """One scheduled arrival: reference tick number ``tick`` (``agent == _TICKER``) or a flow
    agent's intent. ``chained`` once the agent's following arrival has been scheduled."""

    t: float
    agent: int
    intent: Intent = None
    tick: int = 0
    chained: bool = False


class ReplayWorld:
    """The default market: SOL, ETH and BTC pools on Solana DEXes following recorded prices.

    ``pop()`` returns the next event (``PriceTick`` or ``PoolUpdate``) in non-decreasing time;
    ``next_time()`` says when it happens (None once the path is exhausted). ``apply_external``
    replaces pools moved by someone else's trades; flow continues from the new states.
    """

    def __init__(
        self, params: WorldParams, path: PricePath, rng: SeededRng, start: float | None = None
    ) -> None:
        self.params = params
        self.path = path
        self.start_ts = path.start if start is None else float(start)
        self.end_ts = path.end
        if not path.start <= self.start_ts < path.end:
            raise ValueError(
                f"ReplayWorld start {self.start_ts} is outside the price path "
                f"[{path.start}, {path.end})"
            )
        self._stable_usd = {"USDC": params.usdc_usd, "USDT": params.usdt_usd}
        for symbol in path.symbols:
            if symbol not in TOKENS or symbol in STABLES:
                raise ValueError(
                    f"price path symbol {symbol} is not a volatile world token "
                    f"({', '.join(s for s in TOKENS if s not in STABLES)})"
                )
        self._usd_ts = math.nan
        self._usd_cache: dict[str, float] = {}
        traded = {s.base for s in params.pools} | {s.quote for s in params.pools}
        self.staking = StakingModel(
            [spec for spec in params.lsts if spec.symbol in traded],
            path,
            params.epoch_s,
            params.depeg,
            params.lst_apr_pct,
            params.depeg_scale,
        )
        self._lsts = tuple(
            (s, self.staking.specs[s].underlying)
            for s in self.staking.symbols
            if self.staking.priced(s)
        )
        usd = self._usd(self.start_ts)
        specs = [s for s in params.pools if s.base in usd and s.quote in usd]
        if not specs:
            raise ValueError(f"no pool of WorldParams.pools is priced by {path!r}")
        symbols = {s.base for s in specs} | {s.quote for s in specs} | {"USDC", NATIVE}
        self.tokens: Mapping[str, Token] = MappingProxyType(
            {k: v for k, v in ALL_TOKENS.items() if k in symbols}
        )
        self.native: Token = TOKENS[NATIVE]
        self.base_tokens: tuple[Token, ...] = (TOKENS["USDC"],)
        self.specs: Mapping[str, PoolSpec] = MappingProxyType({s.pool_id: s for s in specs})
        self.lst_symbols: tuple[str, ...] = tuple(s for s, _ in self._lsts if s in self.tokens)
        self._tick_symbols: tuple[str, ...] = (*path.symbols, *self.lst_symbols)
        self._pools: dict[str, Pool] = {
            s.pool_id: build_pool(s, self.tokens, usd, params.depth_scale) for s in specs
        }
        self._agents: list[FlowAgent] = []
        for spec in specs:
            self._agents.append(Arbitrageur(spec, params, rng.stream(f"arb/{spec.pool_id}")))
            self._agents.append(
                NoiseTrader(
                    spec,
                    params,
                    rng.stream(f"noise/{spec.pool_id}"),
                    self._intensity(spec),
                    params.activity_cap,
                )
            )
            if spec.kind is PoolKind.CONCENTRATED:
                self._agents.append(
                    LiquidityManager(spec, params, rng.stream(f"lp/{spec.pool_id}"))
                )
        self._heap: list[tuple[float, int, _Arrival]] = []
        self._seq = 0
        self._now = self.start_ts
        self._pending: deque[MarketEvent] = deque(self._snapshot(self.start_ts))
        self._pending_arrival: _Arrival | None = None
        self._pending_fresh = False  # the pending group was computed and nothing popped yet
        self._skipped: list[_Arrival] = []
        self._push(_Arrival(self.start_ts + params.tick_interval_s, _TICKER, tick=1))
        for index, agent in enumerate(self._agents):
            t, intent = agent.next_arrival(self.start_ts)
            self._push(_Arrival(t, index, intent))

    # --- public API ---
    @property
    def now(self) -> float:
        """The time of the last event popped (or external update applied)."""
        return self._now

    def pools(self) -> list[Pool]:
        """Current pool states, in layout order."""
        return list(self._pools.values())

    def pool(self, pool_id: str) -> Pool:
        try:
            return self._pools[pool_id]
        except KeyError:
            raise KeyError(f"replay world has no pool {pool_id}") from None

    def next_time(self) -> float | None:
        self._fill()
        return self._pending[0].ts if self._pending else None

    def pop(self) -> MarketEvent:
        self._fill()
        if not self._pending:
            raise IndexError("replay world exhausted: the price path has ended")
        event = self._pending.popleft()
        if isinstance(event, PoolUpdate):
            self._pools[event.pool.pool_id] = event.pool
        self._now = max(self._now, event.ts)
        self._skipped.clear()
        self._pending_fresh = False
        if not self._pending:
            self._pending_arrival = None
        return event

    def events(self, until: float | None = None) -> Iterator[MarketEvent]:
        """Pop events up to and including ``until`` (default: the end of the path)."""
        while (t := self.next_time()) is not None and (until is None or t <= until):
            yield self.pop()

    def apply_external(self, pools: Sequence[Pool], ts: float) -> None:
        """Pools moved at ``ts`` by trades outside the world: adopt their states.

        Arrivals already evaluated for a time at or after ``ts`` (the next event, if it was
        peeked, and any arrivals that did nothing) are evaluated again on the new states.
        """
        for pool in pools:
            current = self.pool(pool.pool_id)
            if (pool.token0, pool.token1, pool.kind) != (
                current.token0,
                current.token1,
                current.kind,
            ):
                raise ValueError(
                    f"apply_external: pool {pool.pool_id} must keep its tokens and kind "
                    f"({current.token0}/{current.token1} {current.kind})"
                )
        replaced = {p.pool_id: p for p in pools}
        self._pools.update(replaced)
        self._now = max(self._now, ts)
        if self._pending_arrival is None:  # the initial snapshot: show the new states
            self._pending = deque(
                PoolUpdate(e.ts, replaced[e.pool.pool_id])
                if isinstance(e, PoolUpdate) and e.pool.pool_id in replaced
                else e
                for e in self._pending
            )
        elif self._pending_fresh:  # peeked, not popped: evaluate it again (after the below)
            self._repush(self._pending_arrival)
            self._pending.clear()
            self._pending_arrival = None
        kept = []
        for arrival in self._skipped:  # empty once any event of the group was popped
            if arrival.t >= ts:
                self._repush(arrival)
            else:
                kept.append(arrival)
        self._skipped = kept

    def reference_prices(self) -> dict[str, float]:
        """USD reference price of every world token at :attr:`now`."""
        return dict(self._usd(self._now))

    def stake_rate(self, symbol: str, ts: float) -> float:
        """An LST's on-chain rate (underlying per LST) in force at ``ts`` (see ``replay.lst``)."""
        return self.staking.rate(symbol, ts)

    # --- internals ---
    def _intensity(self, spec: PoolSpec) -> Callable[[float], float] | None:
        """The noise-rate multiplier of a pool over time (None: constant)."""
        p = self.params
        if p.activity_exponent == 0:
            return None
        symbols = [s for s in (spec.base, spec.quote) if s in self.path.symbols]
        activity = np.mean([self.path.activity(s) for s in symbols or self.path.symbols], axis=0)
        multiplier = np.clip(activity**p.activity_exponent, p.activity_floor, p.activity_cap)
        values: list[float] = [float(v) for v in multiplier]
        bar_index = self.path.bar_index
        return lambda t: values[bar_index(t)]

    def _usd(self, ts: float) -> dict[str, float]:
        if ts != self._usd_ts:
            at = min(max(ts, self.path.start), self.path.end)
            prices = self.path.prices_at(at)
            for symbol, underlying in self._lsts:
                spot = prices[underlying]
                prices[symbol] = spot * self.staking.ratio(symbol, at, spot)
            self._usd_cache = {**prices, **self._stable_usd}
            self._usd_ts = ts
        return self._usd_cache

    def _snapshot(self, ts: float) -> list[MarketEvent]:
        usd = self._usd(ts)
        ticks: list[MarketEvent] = [PriceTick(ts, s, usd[s]) for s in self._tick_symbols]
        ticks += [PriceTick(ts, s, usd[s]) for s in STABLES if s in self.tokens]
        return ticks + [PoolUpdate(ts, pool) for pool in self._pools.values()]

    def _push(self, arrival: _Arrival) -> None:
        if arrival.t <= self.end_ts:
            heapq.heappush(self._heap, (arrival.t, self._seq, arrival))
            self._seq += 1

    def _repush(self, arrival: _Arrival) -> None:
        heapq.heappush(self._heap, (arrival.t, self._seq, arrival))
        self._seq += 1

    def _fill(self) -> None:
        while not self._pending and self._heap:
            _, _, arrival = heapq.heappop(self._heap)
            if arrival.agent == _TICKER:
                if not arrival.chained:
                    arrival.chained = True
                    tick = arrival.tick + 1
                    t_next = self.start_ts + tick * self.params.tick_interval_s
                    self._push(_Arrival(t_next, _TICKER, tick=tick))
                usd = self._usd(arrival.t)
                self._pending.extend(PriceTick(arrival.t, s, usd[s]) for s in self._tick_symbols)
                self._pending_arrival = arrival
                self._pending_fresh = True
                return
            agent = self._agents[arrival.agent]
            if not arrival.chained:
                arrival.chained = True
                t, intent = agent.next_arrival(arrival.t)
                self._push(_Arrival(t, arrival.agent, intent))
            pool = self._pools[agent.spec.pool_id]
            after = agent.act(pool, arrival.intent, self._usd(arrival.t), self.tokens)
            if after is None or after == pool:
                self._skipped.append(arrival)
                continue
            self._pending.append(PoolUpdate(arrival.t, after))
            self._pending_arrival = arrival
            self._pending_fresh = True
