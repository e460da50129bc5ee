"""Paper mode on the embedded replay world: the flow of ARCHITECTURE.md, wired.

data source -> market state -> engine -> risk gates -> route policy -> journal (write ahead)
-> paper execution (realism model) -> fill -> ledger + capital manager -> stats / status view.

Simulated time drives everything; wall-clock pacing (REPLAY_SPEED simulated seconds per wall
second) only decides how fast the run goes, never what happens, so the same seed and settings
give the same fills however fast the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from phantom.app import wiring
from phantom.app.logging_setup import get_logger
from phantom.app.observers import attach_log, attach_stats
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.app.stats import RunStats
from phantom.core.bus import EventBus
from phantom.core.clock import SimClock
from phantom.core.events import (
    FillBooked,
    IntentRejected,
    IntentSent,
    MarketEvent,
    PoolUpdate,
    PriceTick,
)
from phantom.core.orders import IntentKind, OrderIntent
from phantom.core.rng import SeededRng
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.base import EngineContext
from phantom.execution.client import ExecutionOutcome
from phantom.execution.paper import PaperExecutionClient
from phantom.market.replay.params import WorldParams
from phantom.market.replay.path import PricePath, load_sample
from phantom.market.replay.world import ReplayWorld
from phantom.market.state import MarketState
from phantom.portfolio.capital import CapitalManager
from phantom.portfolio.errors import InsufficientCapital
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.refuel import build_refuel_intent
from phantom.risk.breaker import KillSwitch
from phantom.risk.gate import GateContext
from phantom.signals.volatility import RollingVolatility

log = get_logger("phantom.run")

ENGINE = "arb"
VOLATILITY_SYMBOL = "SOL"


@dataclass(frozen=True, slots=True)
class RunOptions:
    duration_s: float | None  # wall seconds at REPLAY_SPEED; None: until the data ends
    pace: bool = True  # False: as fast as possible (same results)
    resume: bool = False


StatusSink = Callable[["PaperRun"], None]


class PaperRun:
    def __init__(
        self,
        settings: Settings,
        session: Session,
        options: RunOptions,
        kill: KillSwitch,
        path: PricePath | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.options = options
        self.kill = kill
        self.stats = RunStats()
        self.bus = EventBus()
        attach_stats(self.bus, self.stats)
        attach_log(self.bus, log)
        rng = SeededRng(settings.seed)
        self.path = path if path is not None else load_sample(settings.replay_data)
        self.ledger = Ledger(session.ledger_path)
        start = self._start_time()
        segment_rng = rng.stream(f"segment-{session.segment + 1}")
        self.world = ReplayWorld(WorldParams(), self.path, segment_rng.stream("world"), start)
        session.add_segment(self.world.start_ts)
        self.native = self.world.native
        self.usdc = self.world.base_tokens[0]
        self.market = MarketState(self.world.pools())
        for symbol, price in self.world.reference_prices().items():
            self.market.set_price(symbol, price)
        self.clock = SimClock(self.world.start_ts)
        self.capital = CapitalManager(self.ledger, [ENGINE])
        self._open_vault()
        abandoned = self.ledger.abandon_pending("restart: the intent never reached the venue")
        if abandoned:
            log.warning("abandoned_pending_intents", count=abandoned)
        self.engine = ArbEngine(
            wiring.arb_params(settings, self.world.base_tokens, self.native),
            self.world.pools(),
            id_prefix=f"arb-s{session.segment}",
        )
        self.breaker = wiring.circuit_breaker(settings)
        self.risk = wiring.risk_chain(settings, kill, self.breaker)
        self.routes = wiring.route_policy(settings, self.native)
        self.paper = PaperExecutionClient(
            wiring.realism_params(settings, self.native), segment_rng.stream("paper")
        )
        self.volatility = RollingVolatility(settings.volatility_window)
        self.in_flight: dict[str, OrderIntent] = {}
        self._refuel_seq = 0
        self.end_ts = self._end_time()
        self.wall_started = time.monotonic()

    # --- set-up ---
    def _start_time(self) -> float | None:
        if self.options.resume:
            last = self.ledger.last_activity_ts()
            if last is not None:
                return last + 1.0
        if self.settings.replay_start:
            from datetime import UTC, datetime

            return (
                datetime.fromisoformat(self.settings.replay_start).replace(tzinfo=UTC).timestamp()
            )
        return None

    def _end_time(self) -> float:
        if self.options.duration_s is None:
            return self.world.end_ts
        return min(self.world.end_ts, self.world.start_ts + self.options.duration_s * self.speed)

    @property
    def speed(self) -> float:
        return self.settings.replay_speed

    def _open_vault(self) -> None:
        s = self.settings
        sol_price = Decimal(repr(self.market.price_usd(self.native)))
        self.ledger.open_vault(
            ENGINE,
            [
                (self.usdc, self.usdc.to_units(s.arb_initial_usd), Decimal(1)),
                (self.native, self.native.to_units(s.arb_initial_sol), sol_price),
            ],
        )

    # --- the loop ---
    def run(
        self, on_status: StatusSink | None = None, status_every_s: float = 0.5
    ) -> dict[str, Any]:
        last_status = 0.0
        try:
            while True:
                t_world = self.world.next_time()
                feeding = not self.kill.engaged and t_world is not None and t_world <= self.end_ts
                t_due = self.paper.next_due()
                if not feeding and t_due is None:
                    break
                if t_due is not None and (not feeding or t_world is None or t_due <= t_world):
                    self._pace(t_due)
                    self.clock.advance_to(max(t_due, self.clock.now()))
                    for outcome in self.paper.due(self.clock.now(), self.market):
                        self._on_outcome(outcome)
                else:
                    assert t_world is not None
                    self._pace(t_world)
                    self.clock.advance_to(max(t_world, self.clock.now()))
                    self._on_market(self.world.pop())
                if on_status is not None and time.monotonic() - last_status >= status_every_s:
                    last_status = time.monotonic()
                    on_status(self)
        finally:
            if on_status is not None:
                on_status(self)
            self.ledger.close()
        return self.summary()

    def _pace(self, sim_ts: float) -> None:
        if not self.options.pace:
            return
        while not self.kill.engaged:
            target = self.wall_started + (sim_ts - self.world.start_ts) / self.speed
            delay = target - time.monotonic()
            if delay <= 0:
                return
            time.sleep(min(delay, 0.2))

    def _on_market(self, event: MarketEvent) -> None:
        self.market.apply(event)
        if isinstance(event, PriceTick):
            if event.symbol == VOLATILITY_SYMBOL:
                self.volatility.update(event.price)
                self.market.set_volatile(
                    self.volatility.is_volatile(self.settings.volatility_threshold_pct)
                )
            return
        self._feed_engine(event)

    def _feed_engine(self, event: PoolUpdate) -> None:
        if self.kill.engaged:
            return
        ctx = EngineContext(
            now=self.clock.now(),
            market=self.market,
            available={self.usdc: self.capital.available(ENGINE, self.usdc)},
        )
        for intent in self.engine.on_event(event, ctx):
            self.stats.intents += 1
            self._send(intent)
        self.stats.opportunities_seen = self.engine.stats.opportunities_seen

    def _send(self, intent: OrderIntent) -> None:
        now = self.clock.now()
        ctx = GateContext(
            now=now, in_flight=self.paper.in_flight(), volatile=self.market.is_volatile()
        )
        rejection = self.risk.check(intent, ctx)
        if rejection is not None:
            self._reject(intent, rejection.reason, rejection.detail)
            return
        decision = self.routes.decide(intent, self.market)
        routed = decision.intent
        try:
            self.capital.reserve(routed)
        except InsufficientCapital as exc:
            self._reject(intent, "insufficient_capital", str(exc))
            return
        self.ledger.journal_intent(routed)  # write ahead, then act
        self.in_flight[routed.intent_id] = routed
        self.paper.submit(routed, now)
        self.bus.publish(IntentSent(now, routed, decision.sandwich_risk_bps))

    def _reject(self, intent: OrderIntent, reason: str, detail: str) -> None:
        self.bus.publish(IntentRejected(self.clock.now(), intent, reason, detail))
        if intent.kind is not IntentKind.REFUEL:
            self.engine.on_rejected(intent, reason)

    def _on_outcome(self, outcome: ExecutionOutcome) -> None:
        fill = outcome.fill
        now = self.clock.now()
        intent = self.in_flight.pop(fill.intent_id)
        prices = {
            p.symbol: Decimal(repr(self.market.price_usd(p)))
            for p in (self.usdc, self.native, *self.world.tokens.values())
            if self.market.has_price(p)
        }
        self.ledger.record_fill(fill, prices)
        self.capital.release(fill.intent_id)
        self.risk.on_fill(fill, now)
        if intent.kind is not IntentKind.REFUEL:
            self.engine.on_fill(fill)
        self.bus.publish(FillBooked(now, fill, intent.kind))
        if outcome.pool_changes:
            self.world.apply_external(outcome.pool_changes, now)
            for pool in outcome.pool_changes:
                update = PoolUpdate(now, pool)
                self.market.apply(update)
                self._feed_engine(update)
        self._maybe_refuel()

    def _maybe_refuel(self) -> None:
        if any(i.kind is IntentKind.REFUEL for i in self.in_flight.values()):
            return
        critical = self.native.to_units(self.settings.gas_critical_sol)
        if not self.capital.needs_refuel(ENGINE, self.native, critical):
            return
        self._refuel_seq += 1
        intent = build_refuel_intent(
            intent_id=f"refuel-s{self.session.segment}-{self._refuel_seq:05d}",
            engine=ENGINE,
            now=self.clock.now(),
            market=self.market,
            pay=self.usdc,
            native=self.native,
            amount_usd=self.settings.gas_replenish_usd,
            slippage_bps=self.settings.max_slippage_bps,
        )
        if intent is None:
            log.warning("refuel_impossible", reason="no pool sells the native token for USDC")
            return
        self.stats.intents += 1
        self._send(intent)

    # --- results ---
    def summary(self) -> dict[str, Any]:
        return self.stats.summary(
            {
                "seed": self.settings.seed,
                "sim_start": _iso(self.world.start_ts),
                "sim_end": _iso(min(self.clock.now(), self.end_ts)),
                "circuit_breaker_trips": self.breaker.trips,
                "engine": {
                    "updates": self.engine.stats.updates,
                    "skipped_busy": self.engine.stats.skipped_busy,
                    "unprofitable_after_costs": self.engine.stats.unprofitable_after_costs,
                    "intents_by_hops": {
                        str(k): v for k, v in sorted(self.engine.stats.by_hops.items())
                    },
                },
            }
        )


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
