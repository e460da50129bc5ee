"""The arbitrage engine.

On every pool update it re-scores the cycles through that pool on the exact curves, sizes each at
its optimal input (capped by the trade-size limit and the vault's free balance), prices every
expected cost, and emits an atomic cycle intent for the best one whose pools are not already
used by an intent in flight. It never sends anything and never reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from phantom.amm.pathfinder import CycleIndex, Opportunity
from phantom.core.events import MarketEvent, PoolUpdate
from phantom.core.fills import Fill
from phantom.core.orders import IntentKind, OrderIntent
from phantom.core.pool import Pool
from phantom.core.token import Token
from phantom.engines.arb.params import ArbParams
from phantom.engines.base import EngineContext
from phantom.signals.evm_costs import rescore_network
from phantom.signals.scoring import CycleScore, score_cycle


@dataclass(slots=True)
class ArbStats:
    updates: int = 0
    opportunities_seen: int = 0  # profitable on the curve before network costs
    skipped_busy: int = 0
    unprofitable_after_costs: int = 0
    intents: int = 0
    rejected: int = 0
    fills: int = 0
    by_hops: dict[int, int] = field(default_factory=dict)


class ArbEngine:
    name = "arb"

    def __init__(self, params: ArbParams, pools: Iterable[Pool], id_prefix: str = "arb") -> None:
        self.params = params
        self.index = CycleIndex(pools, params.base_tokens, max_hops=params.max_hops)
        self.stats = ArbStats()
        self._prefix = id_prefix
        self._counter = 0
        self._busy: dict[str, tuple[str, ...]] = {}  # intent id -> pool ids it uses

    # --- Engine API ---
    def on_event(self, event: MarketEvent, ctx: EngineContext) -> list[OrderIntent]:
        if not isinstance(event, PoolUpdate):
            return []
        pool_id = event.pool.pool_id
        self.index.update(event.pool)
        self.stats.updates += 1
        caps = self._caps(ctx)
        if not caps:
            return []
        opportunities = self.index.rescore(pool_id, caps)
        self.stats.opportunities_seen += len(opportunities)
        intents: list[OrderIntent] = []
        busy = {p for pools in self._busy.values() for p in pools}
        for opp in opportunities:
            if len(intents) >= self.params.max_intents_per_event:
                break
            pools = tuple(leg.pool_id for leg in opp.cycle.legs)
            if busy.intersection(pools):
                self.stats.skipped_busy += 1
                continue
            scored = score_cycle(
                opp.cycle.legs,
                opp.amount_in,
                self.index.pool,
                ctx.market,
                self.params.fee_schedule,
                self.params.native,
                signatures=self.params.signatures,
            )
            if self.params.cost_estimator is not None:
                scored = rescore_network(
                    scored, self.params.cost_estimator(opp.cycle.legs, ctx.market)
                )
            if scored.expected_profit_usd <= 0:
                self.stats.unprofitable_after_costs += 1
                continue
            intent = self._intent(opp, scored, ctx.now)
            intents.append(intent)
            self._busy[intent.intent_id] = pools
            busy.update(pools)
            hops = len(opp.cycle.legs)
            self.stats.by_hops[hops] = self.stats.by_hops.get(hops, 0) + 1
        self.stats.intents += len(intents)
        return intents

    def on_fill(self, fill: Fill) -> None:
        self.stats.fills += 1
        self._busy.pop(fill.intent_id, None)

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        self.stats.rejected += 1
        self._busy.pop(intent.intent_id, None)

    # --- internals ---
    def _caps(self, ctx: EngineContext) -> dict[Token, int]:
        caps: dict[Token, int] = {}
        for token in self.params.base_tokens:
            free = ctx.available.get(token, 0)
            price = Decimal(repr(ctx.market.price_usd(token)))
            limit = token.to_units(self.params.max_trade_usd / price)
            cap = min(free, limit)
            if cap > 0:
                caps[token] = cap
        return caps

    def _intent(self, opp: Opportunity, scored: CycleScore, now: float) -> OrderIntent:
        self._counter += 1
        expected_out = scored.amount_out
        tolerance = expected_out * self.params.slippage_bps // 10_000
        min_out = max(expected_out - tolerance, scored.amount_in)
        route = "->".join(leg.token_in.symbol for leg in opp.cycle.legs)
        return OrderIntent(
            intent_id=f"{self._prefix}-{self._counter:07d}",
            engine=self.name,
            kind=IntentKind.ARBITRAGE,
            created_at=now,
            legs=opp.cycle.legs,
            amount_in=scored.amount_in,
            min_amount_out=min_out,
            expected_amount_out=expected_out,
            expected_profit_usd=scored.expected_profit_usd,
            expected_costs=scored.costs,
            notional_usd=scored.notional_usd,
            slippage_bps=self.params.slippage_bps,
            reason=f"cycle {route}->{opp.cycle.legs[-1].token_out.symbol} "
            f"spread {scored.spread_usd:.4f} USD",
            signatures=self.params.signatures,
        )
