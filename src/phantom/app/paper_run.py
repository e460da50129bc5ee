"""Paper mode on the embedded replay world: the flow of ARCHITECTURE.md, wired.

data source -> market state -> engines -> risk gates -> route policy -> journal (write ahead)
-> paper execution (realism model) -> fill -> ledger + capital manager -> stats / status view.

Every enabled engine (SETTINGS.ENGINES: arb, scalp, lst, funding) runs at once in one
:class:`~phantom.app.paper_slots.EngineSlot`: its own vault, circuit breaker, in-flight set and
intent ids; the clock, market, realism model (one execution client), journal and kill switch are
shared (docs/paper-mode.md).

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
from phantom.app.paper_bars import LstSlot, ScalpSlot
from phantom.app.paper_funding import FundingSlot
from phantom.app.paper_slots import ArbSlot, EngineSlot
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.app.stats import RunStats, vault_figures
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
from phantom.core.orders import IntentKind, OrderIntent, Route
from phantom.core.rng import SeededRng
from phantom.execution.client import ExecutionOutcome
from phantom.execution.paper import PaperExecutionClient
from phantom.execution.realism import RefusedIntent
from phantom.execution.route_policy import RouteDecision
from phantom.market.replay.path import PricePath, load_sample
from phantom.market.replay.world import ReplayWorld
from phantom.market.state import MarketState
from phantom.portfolio.capital import CapitalManager
from phantom.portfolio.errors import InsufficientCapital
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus
from phantom.portfolio.refuel import build_refuel_intent
from phantom.risk.breaker import KillSwitch
from phantom.risk.gate import GateContext
from phantom.signals.volatility import RollingVolatility

log = get_logger("phantom.run")

VOLATILITY_SYMBOL = "SOL"
SLOTS: dict[str, Callable[[PaperRun], EngineSlot]] = {
    "arb": ArbSlot,
    "scalp": ScalpSlot,
    "lst": LstSlot,
    "funding": FundingSlot,
}


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
        try:
            start = self._start_time()
            segment_rng = rng.stream(f"segment-{session.segment + 1}")
            params = wiring.world_params(settings)
            self.world = ReplayWorld(params, self.path, segment_rng.stream("world"), start)
            session.add_segment(self.world.start_ts)
            self.native = self.world.native
            self.usdc = self.world.base_tokens[0]
            self.market = MarketState(self.world.pools())
            for symbol, price in self.world.reference_prices().items():
                self.market.set_price(symbol, price)
            self.clock = SimClock(self.world.start_ts)
            self.capital = CapitalManager(self.ledger, settings.engines)
            self.paper = PaperExecutionClient(
                wiring.realism_params(settings, self.native), segment_rng.stream("paper")
            )
            self.slots = [SLOTS[name](self) for name in settings.engines]
        except BaseException:
            self.ledger.close()
            raise
        self._slot = {slot.name: slot for slot in self.slots}
        for slot in self.slots:
            self.ledger.open_vault(slot.name, slot.deposits())
        abandoned = self.ledger.abandon_pending("restart: the intent never reached the venue")
        if abandoned:
            log.warning("abandoned_pending_intents", count=abandoned)
        for slot in self.slots:
            slot.start()
        self._attach_engine_stats()
        self.routes = wiring.route_policy(settings, self.native)
        self.volatility = RollingVolatility(settings.volatility_window)
        self._owner: dict[str, EngineSlot] = {}  # intent id in flight -> its engine's slot
        self._refuel_seq = 0
        self.end_ts = self._end_time()
        self.wall_started = time.monotonic()
        self._vaults: dict[str, dict[str, Any]] = {}

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

    def _attach_engine_stats(self) -> None:
        def stats_of(engine: str) -> RunStats | None:
            slot = self._slot.get(engine)
            return None if slot is None else slot.stats

        def on_rejected(e: IntentRejected) -> None:
            if (st := stats_of(e.intent.engine)) is not None:
                st.rejections[e.reason] += 1

        def on_sent(e: IntentSent) -> None:
            if (st := stats_of(e.intent.engine)) is not None:
                st.on_sent(e.intent.route)

        def on_fill(e: FillBooked) -> None:
            if (st := stats_of(e.fill.engine)) is not None:
                st.on_fill(e.fill, e.kind)

        self.bus.subscribe(IntentRejected, on_rejected)
        self.bus.subscribe(IntentSent, on_sent)
        self.bus.subscribe(FillBooked, on_fill)

    @property
    def speed(self) -> float:
        return self.settings.replay_speed

    @property
    def in_flight(self) -> dict[str, OrderIntent]:
        return {i: s.in_flight[i] for i, s in self._owner.items()}

    def prices(self) -> dict[str, Decimal]:
        """USD prices of every priced world token (a fill's booking prices)."""
        return {
            p.symbol: Decimal(repr(self.market.price_usd(p)))
            for p in (self.usdc, self.native, *self.world.tokens.values())
            if self.market.has_price(p)
        }

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
                    self._resolve_due()
                else:
                    assert t_world is not None
                    self._pace(t_world)
                    self.clock.advance_to(max(t_world, self.clock.now()))
                    self._on_market(self.world.pop())
                if on_status is not None and time.monotonic() - last_status >= status_every_s:
                    last_status = time.monotonic()
                    on_status(self)
            self._vaults = self._vault_figures()
            result = self.summary()  # reads the ledger: before it closes
        finally:
            if on_status is not None:
                on_status(self)
            self.ledger.close()
        return result

    def _pace(self, sim_ts: float) -> None:
        if not self.options.pace:
            return
        while not self.kill.engaged:
            target = self.wall_started + (sim_ts - self.world.start_ts) / self.speed
            delay = target - time.monotonic()
            if delay <= 0:
                return
            time.sleep(min(delay, 0.2))

    def _resolve_due(self) -> None:
        while True:
            try:
                outcomes = self.paper.due(self.clock.now(), self.market)
            except RefusedIntent as exc:  # removed from the queue; the others stay queued
                self._refused(exc)
                continue
            for outcome in outcomes:
                self._on_outcome(outcome)
            return

    def _on_market(self, event: MarketEvent) -> None:
        self.market.apply(event)
        if isinstance(event, PriceTick) and event.symbol == VOLATILITY_SYMBOL:
            self.volatility.update(event.price)
            self.market.set_volatile(
                self.volatility.is_volatile(self.settings.volatility_threshold_pct)
            )
        self._feed(event)

    def _feed(self, event: MarketEvent) -> None:
        if self.kill.engaged:
            return
        for slot in self.slots:
            slot.on_market(event)

    def dispatch(self, slot: EngineSlot, intent: OrderIntent) -> None:
        """An engine's intent: counted, then gated, routed, reserved, journaled and sent."""
        self.stats.intents += 1
        slot.stats.intents += 1
        self._send(slot, intent)

    def _send(self, slot: EngineSlot, intent: OrderIntent) -> None:
        now = self.clock.now()
        ctx = GateContext(
            now=now, in_flight=len(slot.in_flight), volatile=self.market.is_volatile()
        )
        rejection = slot.risk.check(intent, ctx)
        if rejection is not None:
            self._reject(slot, intent, rejection.reason, rejection.detail)
            return
        decision = self._route(intent)
        routed = decision.intent
        try:
            self.capital.reserve(routed)
        except InsufficientCapital as exc:
            self._reject(slot, intent, "insufficient_capital", str(exc))
            return
        self.ledger.journal_intent(routed)  # write ahead, then act
        slot.in_flight[routed.intent_id] = routed
        self._owner[routed.intent_id] = slot
        self.paper.submit(routed, now)
        self.bus.publish(IntentSent(now, routed, decision.sandwich_risk_bps))

    def _route(self, intent: OrderIntent) -> RouteDecision:
        """The route policy; an engine that asks for a private send (a Jito bundle) keeps it."""
        if intent.route is Route.PRIVATE:
            risk = self.routes.sandwich_risk_bps(intent, self.market)
            return RouteDecision(Route.PRIVATE, intent, risk)
        return self.routes.decide(intent, self.market)

    def _reject(self, slot: EngineSlot, intent: OrderIntent, reason: str, detail: str) -> None:
        self.bus.publish(IntentRejected(self.clock.now(), intent, reason, detail))
        if intent.kind is not IntentKind.REFUEL:
            slot.on_rejected(intent, reason)

    def _refused(self, exc: RefusedIntent) -> None:
        """The paper model cannot price an intent: it never ran; resolve it as rejected."""
        slot = self._owner.pop(exc.intent_id)
        intent = slot.in_flight.pop(exc.intent_id)
        self.ledger.resolve_intent(exc.intent_id, IntentStatus.REJECTED, exc.reason)
        self.capital.release(exc.intent_id)
        self._reject(slot, intent, "refused_by_model", exc.reason)

    def _on_outcome(self, outcome: ExecutionOutcome) -> None:
        fill = outcome.fill
        now = self.clock.now()
        slot = self._owner.pop(fill.intent_id)
        intent = slot.in_flight.pop(fill.intent_id)
        self.ledger.record_fill(fill, self.prices())
        self.capital.release(fill.intent_id)
        slot.risk.on_fill(fill, now)
        if intent.kind is not IntentKind.REFUEL:
            slot.on_fill(fill)
        self.bus.publish(FillBooked(now, fill, intent.kind))
        if outcome.pool_changes:
            self.world.apply_external(outcome.pool_changes, now)
            for pool in outcome.pool_changes:
                update = PoolUpdate(now, pool)
                self.market.apply(update)
                self._feed(update)
        self._maybe_refuel(slot)

    def _maybe_refuel(self, slot: EngineSlot) -> None:
        if not slot.refuels or any(i.kind is IntentKind.REFUEL for i in slot.in_flight.values()):
            return
        critical = self.native.to_units(self.settings.gas_critical_sol)
        if not self.capital.needs_refuel(slot.name, self.native, critical):
            return
        self._refuel_seq += 1
        tag = "" if slot.name == "arb" else f"{slot.name}-"
        intent = build_refuel_intent(
            intent_id=f"refuel-{tag}s{self.session.segment}-{self._refuel_seq:05d}",
            engine=slot.name,
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
        self.dispatch(slot, intent)

    # --- results ---
    @property
    def breaker_trips(self) -> int:
        return sum(slot.breaker.trips for slot in self.slots)

    def _vault_figures(self) -> dict[str, dict[str, Any]]:
        marks = self.prices()
        out: dict[str, dict[str, Any]] = {}
        for slot in self.slots:
            snap = self.capital.snapshot(slot.name, marks)
            positions = {
                v.position.token.symbol: v.position.token.to_decimal(v.position.quantity)
                for v in snap.positions
            }
            out[slot.name] = vault_figures(
                snap.deposited_usd, snap.equity_usd, slot.extra_equity_usd(), positions
            )
        return out

    def summary(self) -> dict[str, Any]:
        arb = self._slot.get("arb")
        engines: dict[str, Any] = {}
        for slot in self.slots:
            figures = slot.stats.summary()
            figures["vault"] = self._vaults.get(slot.name, {})
            figures["circuit_breaker_trips"] = slot.breaker.trips
            figures["idle_reason"] = None if slot.stats.sent else slot.idle_reason()
            figures[slot.name] = slot.figures()
            engines[slot.name] = figures
        return self.stats.summary(
            {
                "seed": self.settings.seed,
                "sim_start": _iso(self.world.start_ts),
                "sim_end": _iso(min(self.clock.now(), self.end_ts)),
                "circuit_breaker_trips": self.breaker_trips,
                "engine": arb.figures() if arb is not None else {},
                "engines": engines,
            }
        )


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
