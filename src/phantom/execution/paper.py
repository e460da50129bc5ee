"""The paper execution client: fills that cost what on-chain fills cost.

Each intent goes through the realism model's steps, in order (see ``docs/realism-model.md``):
latency, failure, price impact, MEV, slippage bound, partial fill, network costs. Every random
draw comes from a named stream of the client's :class:`SeededRng` ("latency", "failure", "mev",
"partial") and each intent consumes a fixed number of draws from each stream whatever happens to
it, so the same seed and the same intents give the same fills, bit for bit, and changing one
intent's route or size never shifts the draws of the intents after it.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from decimal import Decimal

from phantom.core.fees import solana_fees
from phantom.core.fills import FillStatus
from phantom.core.orders import OrderIntent, Route
from phantom.core.rng import SeededRng
from phantom.execution.client import ExecutionOutcome
from phantom.execution.fill_builder import failed_fill, landed_fill
from phantom.execution.params import RealismParams
from phantom.execution.realism import (
    PPM,
    MevDraw,
    OverlayMarket,
    PathResult,
    PathReverted,
    RefusedIntent,
    execute_path,
    validate_intent,
)
from phantom.market.state import MarketView


@dataclass(frozen=True, slots=True)
class _Pending:
    intent: OrderIntent
    sent_at: float
    arrival: float
    latency_ms: float


@dataclass(frozen=True, slots=True)
class _Draws:
    """Every random number one intent consumes, drawn up front in a fixed order."""

    failed: bool
    mev: MevDraw
    partial: bool
    partial_pct: float


class PaperExecutionClient:
    """Executes intents against the market state at their simulated arrival time.

    Implements :class:`phantom.execution.client.ExecutionClient`.
    """

    def __init__(self, params: RealismParams, rng: SeededRng) -> None:
        self._params = params
        self._latency = rng.stream("latency")
        self._failure = rng.stream("failure")
        self._mev = rng.stream("mev")
        self._partial = rng.stream("partial")
        self._queue: list[tuple[float, int, _Pending]] = []
        self._seq = 0
        self._in_flight_ids: set[str] = set()

    @property
    def params(self) -> RealismParams:
        return self._params

    # --- ExecutionClient ---
    def submit(self, intent: OrderIntent, sent_at: float) -> float:
        """Queue ``intent``; returns its arrival time (``sent_at`` + sampled latency, seconds)."""
        if not math.isfinite(sent_at):
            raise ValueError(f"intent {intent.intent_id}: sent_at must be finite, got {sent_at}")
        if intent.intent_id in self._in_flight_ids:
            raise ValueError(f"intent {intent.intent_id} is already in flight")
        p = self._params
        latency_ms = self._latency.uniform(p.execution_delay_min_ms, p.execution_delay_max_ms)
        arrival = sent_at + latency_ms / 1000.0
        heapq.heappush(
            self._queue, (arrival, self._seq, _Pending(intent, sent_at, arrival, latency_ms))
        )
        self._seq += 1
        self._in_flight_ids.add(intent.intent_id)
        return arrival

    def next_due(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def in_flight(self) -> int:
        return len(self._queue)

    def due(self, now: float, market: MarketView) -> list[ExecutionOutcome]:
        """Execute, in arrival order, every intent that has arrived by ``now``.

        Intents of one call see each other's pool changes. An intent the model cannot price is
        removed and :class:`RefusedIntent` is raised before anything else happens, so the other
        due intents stay queued and the next call executes them.
        """
        ready = sorted(entry for entry in self._queue if entry[0] <= now)
        self._refuse_invalid([entry[2] for entry in ready], market)
        view = OverlayMarket(market)
        outcomes: list[ExecutionOutcome] = []
        while self._queue and self._queue[0][0] <= now:
            pending = heapq.heappop(self._queue)[2]
            self._in_flight_ids.discard(pending.intent.intent_id)
            outcome = self._execute(pending, view)
            for pool in outcome.pool_changes:
                view.overlay[pool.pool_id] = pool
            outcomes.append(outcome)
        return outcomes

    # --- internals ---
    def _refuse_invalid(self, ready: list[_Pending], market: MarketView) -> None:
        errors: list[RefusedIntent] = []
        for pending in ready:
            try:
                validate_intent(pending.intent, market, self._params.native)
            except RefusedIntent as exc:
                errors.append(exc)
        if not errors:
            return
        refused = {e.intent_id for e in errors}
        self._queue = [e for e in self._queue if e[2].intent.intent_id not in refused]
        heapq.heapify(self._queue)
        self._in_flight_ids -= refused
        raise errors[0]

    def _draw(self) -> _Draws:
        p = self._params
        failed = self._failure.chance(p.transaction_failure_rate_pct / 100.0)
        seen = self._mev.chance(p.mev_risk_rate_pct / 100.0)
        penalty = self._mev.uniform(0.0, p.mev_penalty_max_pct)
        partial = self._partial.chance(p.partial_fill_rate_pct / 100.0)
        partial_pct = self._partial.uniform(p.min_fill_pct, 100.0)
        return _Draws(failed, MevDraw(seen, penalty), partial, partial_pct)

    def _execute(self, pending: _Pending, market: MarketView) -> ExecutionOutcome:
        intent, p = pending.intent, self._params
        draws = self._draw()
        private = intent.route is Route.PRIVATE
        notes = [
            f"latency: {pending.latency_ms:.3f} ms (sent {pending.sent_at:.3f}, "
            f"arrived {pending.arrival:.3f})"
        ]

        def failed(reason: str) -> ExecutionOutcome:
            fees = solana_fees(p.fee_schedule, intent.signatures, private, landed=False)
            fill = failed_fill(
                intent, p, market, pending.sent_at, pending.arrival, fees, reason, notes
            )
            return ExecutionOutcome(fill, ())

        if draws.failed:
            notes.append("failure: dropped or reverted by the network")
            return failed("dropped or reverted by the network")
        notes.append("failure: none")
        try:
            path = execute_path(
                market, intent, p, intent.amount_in, intent.min_amount_out, draws.mev
            )
        except PathReverted as exc:
            return failed(exc.reason)
        notes.extend(path.notes)
        if path.amount_out < intent.min_amount_out:
            return failed(f"slippage: output {path.amount_out} < min {intent.min_amount_out}")
        status, fraction = FillStatus.FILLED, Decimal(1)
        if draws.partial:
            partial = self._partial_fill(intent, market, draws, notes)
            if isinstance(partial, str):
                return failed(partial)
            if partial is not None:
                path, fraction = partial
                status = FillStatus.PARTIAL
        else:
            notes.append("partial: none, filled 100 %")
        fees = solana_fees(p.fee_schedule, intent.signatures, private, landed=True)
        fill = landed_fill(
            intent, p, market, pending.sent_at, pending.arrival, status, path, fraction, fees, notes
        )
        return ExecutionOutcome(fill, path.pools_after)

    def _partial_fill(
        self, intent: OrderIntent, market: MarketView, draws: _Draws, notes: list[str]
    ) -> tuple[PathResult, Decimal] | str | None:
        """Re-run the path on the reduced input with a proportionally scaled bound.

        Returns the new path and the fraction, a failure reason, or ``None`` when the reduced input
        rounds to the whole (or to nothing) and the fill stays complete."""
        min_ppm = math.ceil(self._params.min_fill_pct * 10_000)
        ppm = min(PPM, max(min_ppm, int(draws.partial_pct * 10_000)))
        reduced = intent.amount_in * ppm // PPM
        if not 0 < reduced < intent.amount_in:
            notes.append("partial: drawn but rounds to the whole input, filled 100 %")
            return None
        scaled_min = intent.min_amount_out * reduced // intent.amount_in
        try:
            path = execute_path(market, intent, self._params, reduced, scaled_min, draws.mev)
        except PathReverted as exc:
            return exc.reason
        if path.amount_out < scaled_min:
            return f"slippage: output {path.amount_out} < min {scaled_min} (partial fill)"
        fraction = Decimal(ppm).scaleb(-6)
        notes.append(
            f"partial: filled {fraction * 100:.4f} % ({reduced} of {intent.amount_in}), "
            f"bound scaled to {scaled_min}; path re-run: " + "; ".join(path.notes)
        )
        return path, fraction
