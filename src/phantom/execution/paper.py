"""The paper execution client: fills that cost what on-chain fills cost.

Each intent goes through the realism model's steps, in order (see ``docs/realism-model.md``):
latency, failure, price impact, MEV, slippage bound, partial fill, network costs. Every random
draw comes from a named stream of the client's :class:`SeededRng` ("latency", "failure", "mev",
"partial") and each intent consumes a fixed number of draws from each stream whatever happens to
it, so the same seed and the same intents give the same fills, bit for bit, and changing one
intent's route or size never shifts the draws of the intents after it.

Speed: a queued intent is a plain tuple; each ``due`` call validates the arrived intents and
executes them against one :class:`OverlayMarket` (which also memoises pool lookups for the
call); settings the draws and fees need are read once, at construction (``RealismParams`` is
frozen).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator
from decimal import Decimal

from phantom.core.construct import fast_constructor
from phantom.core.fees import NetworkFees, solana_fees
from phantom.core.fills import Fill, FillStatus
from phantom.core.orders import OrderIntent, Route
from phantom.core.pool import Pool
from phantom.core.rng import SeededRng
from phantom.core.token import Token
from phantom.execution.client import ExecutionOutcome
from phantom.execution.fill_builder import VenueFee, failed_fill, landed_fill
from phantom.execution.params import RealismParams
from phantom.execution.realism import (
    PPM,
    MevDraw,
    PathResult,
    PathReverted,
    RefusedIntent,
    execute_path,
    known_pool,
    new_mev_draw,
    validate_intent,
)
from phantom.market.state import MarketView

# a queued intent: (arrival, sequence number, intent, sent_at, latency_ms)
_Entry = tuple[float, int, OrderIntent, float, float]
_ONE = Decimal(1)
_DROPPED = "dropped or reverted by the network"
_FILLED, _PARTIAL = FillStatus.FILLED, FillStatus.PARTIAL
_NO_POOLS: tuple[Pool, ...] = ()


def _native_outcome(fill: Fill, pool_changes: tuple[Pool, ...]) -> ExecutionOutcome:
    o = ExecutionOutcome.__new__(ExecutionOutcome)
    o.fill = fill  # type: ignore[misc]
    o.pool_changes = pool_changes  # type: ignore[misc]
    return o


new_outcome: Callable[[Fill, tuple[Pool, ...]], ExecutionOutcome] = fast_constructor(
    ExecutionOutcome, _native_outcome
)


class OverlayMarket:
    """A :class:`MarketView` whose pools are overridden by ``overlay`` (changes not yet applied by
    the caller, e.g. by earlier fills of the same ``due`` call).

    It lives for one ``due`` call, during which the base market does not change, so it also
    remembers which pools the base market knows (:meth:`find_pool`)."""

    __slots__ = ("_base", "_find", "_known", "is_volatile", "overlay", "price_usd")

    # the base market's own methods (reference prices and volatility are never overridden)
    price_usd: Callable[[Token], float]
    is_volatile: Callable[[], bool]

    def __init__(self, base: MarketView, overlay: dict[str, Pool] | None = None) -> None:
        self._base = base
        self.overlay: dict[str, Pool] = {} if overlay is None else overlay
        self._known: dict[str, Pool | None] = {}
        self._find: Callable[[str], Pool | None] | None = getattr(base, "find_pool", None)
        self.price_usd = base.price_usd
        self.is_volatile = base.is_volatile

    def pool(self, pool_id: str) -> Pool:
        found = self.overlay.get(pool_id)
        return found if found is not None else self._base.pool(pool_id)

    def find_pool(self, pool_id: str) -> Pool | None:
        """The pool, ``None`` if neither the overlay nor the base market knows it (memoised:
        see ``realism.known_pool``)."""
        found = self.overlay.get(pool_id)
        if found is not None:
            return found
        try:
            return self._known[pool_id]
        except KeyError:
            find = self._find
            pool = find(pool_id) if find is not None else known_pool(self._base, pool_id)
            self._known[pool_id] = pool
            return pool

    def pools(self) -> Iterator[Pool]:
        seen: set[str] = set()
        for pool in self._base.pools():
            seen.add(pool.pool_id)
            yield self.overlay.get(pool.pool_id, pool)
        for pool_id, pool in self.overlay.items():
            if pool_id not in seen:
                yield pool


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
        self._queue: list[_Entry] = []
        self._seq = 0
        self._in_flight_ids: set[str] = set()
        p = params
        self._delay = (p.execution_delay_min_ms, p.execution_delay_max_ms)
        self._failure_p = p.transaction_failure_rate_pct / 100.0
        self._mev_p = p.mev_risk_rate_pct / 100.0
        self._mev_max = p.mev_penalty_max_pct
        self._partial_p = p.partial_fill_rate_pct / 100.0
        self._min_fill = p.min_fill_pct
        self._min_ppm = math.ceil(p.min_fill_pct * 10_000)
        self._landed_fees: dict[tuple[int, bool], NetworkFees] = {}
        self._failed_fees: dict[tuple[int, bool], NetworkFees] = {}
        self._venue_fee = VenueFee.of(p)

    @property
    def params(self) -> RealismParams:
        return self._params

    # --- ExecutionClient ---
    def submit(self, intent: OrderIntent, sent_at: float) -> float:
        """Queue ``intent``; returns its arrival time (``sent_at`` + sampled latency, seconds)."""
        if not math.isfinite(sent_at):
            raise ValueError(f"intent {intent.intent_id}: sent_at must be finite, got {sent_at}")
        intent_id = intent.intent_id
        if intent_id in self._in_flight_ids:
            raise ValueError(f"intent {intent_id} is already in flight")
        latency_ms = self._latency.uniform(*self._delay)
        arrival = sent_at + latency_ms / 1000.0
        heapq.heappush(self._queue, (arrival, self._seq, intent, sent_at, latency_ms))
        self._seq += 1
        self._in_flight_ids.add(intent_id)
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
        queue = self._queue
        if not queue or queue[0][0] > now:
            return []
        ready: list[_Entry] = []
        while queue and queue[0][0] <= now:
            ready.append(heapq.heappop(queue))
        # later executions of this call see the earlier ones' pool changes; a lone one (the usual
        # case) sees the market itself
        overlay = OverlayMarket(market) if len(ready) > 1 else None
        view: MarketView = market if overlay is None else overlay
        try:
            self._refuse_invalid(ready, view)
        except RefusedIntent:
            raise  # the valid ones are queued again
        except BaseException:
            for entry in ready:
                heapq.heappush(queue, entry)
            raise
        outcomes: list[ExecutionOutcome] = []
        for k, entry in enumerate(ready):
            self._in_flight_ids.discard(entry[2].intent_id)
            try:
                outcome = self._execute(entry, view)
            except BaseException:
                for later in ready[k + 1 :]:  # not executed: they stay queued
                    heapq.heappush(queue, later)
                raise
            if overlay is not None:
                for pool in outcome.pool_changes:
                    overlay.overlay[pool.pool_id] = pool
            outcomes.append(outcome)
        return outcomes

    # --- internals ---
    def _refuse_invalid(self, ready: list[_Entry], market: MarketView) -> None:
        errors: list[RefusedIntent] = []
        native = self._params.native
        for entry in ready:
            try:
                validate_intent(entry[2], market, native)
            except RefusedIntent as exc:
                errors.append(exc)
        if not errors:
            return
        refused = {e.intent_id for e in errors}
        for entry in ready:
            if entry[2].intent_id not in refused:
                heapq.heappush(self._queue, entry)
        self._in_flight_ids -= refused
        raise errors[0]

    def _network_fees(self, intent: OrderIntent, private: bool, landed: bool) -> NetworkFees:
        """``solana_fees`` of the intent, memoised per (signatures, private, landed)."""
        cache = self._landed_fees if landed else self._failed_fees
        fees = cache.get((intent.signatures, private))
        if fees is None:
            fees = cache[(intent.signatures, private)] = solana_fees(
                self._params.fee_schedule, intent.signatures, private, landed=landed
            )
        return fees

    def _execute(self, entry: _Entry, market: MarketView) -> ExecutionOutcome:
        arrival, _, intent, sent_at, latency_ms = entry
        p = self._params
        # every intent draws the same numbers in the same order, whatever happens to it
        failed = self._failure.chance(self._failure_p)
        mev = new_mev_draw(self._mev.chance(self._mev_p), self._mev.uniform(0.0, self._mev_max))
        partial = self._partial.chance(self._partial_p)
        partial_pct = self._partial.uniform(self._min_fill, 100.0)
        private = intent.route is Route.PRIVATE
        notes = [f"latency: {latency_ms:.3f} ms (sent {sent_at:.3f}, arrived {arrival:.3f})"]
        if failed:
            notes.append("failure: " + _DROPPED)
            return self._failed(intent, market, entry, private, _DROPPED, notes)
        notes.append("failure: none")
        min_out = intent.min_amount_out
        try:
            path = execute_path(market, intent, p, intent.amount_in, min_out, mev)
        except PathReverted as exc:
            return self._failed(intent, market, entry, private, exc.reason, notes)
        notes += path.notes
        if path.amount_out < min_out:
            reason = f"slippage: output {path.amount_out} < min {min_out}"
            return self._failed(intent, market, entry, private, reason, notes)
        status, fraction = _FILLED, _ONE
        if partial:
            reduced = self._partial_fill(intent, market, mev, partial_pct, notes)
            if isinstance(reduced, str):
                return self._failed(intent, market, entry, private, reduced, notes)
            if reduced is not None:
                path, fraction = reduced
                status = _PARTIAL
        else:
            notes.append("partial: none, filled 100 %")
        fees = self._landed_fees.get((intent.signatures, private))
        if fees is None:
            fees = self._network_fees(intent, private, True)
        fill = landed_fill(
            intent, p, market, sent_at, arrival, status, path, fraction, fees, notes,
            self._venue_fee,
        )  # fmt: skip
        return new_outcome(fill, path.pools_after)

    def _failed(
        self,
        intent: OrderIntent,
        market: MarketView,
        entry: _Entry,
        private: bool,
        reason: str,
        notes: list[str],
    ) -> ExecutionOutcome:
        fees = self._network_fees(intent, private, False)
        fill = failed_fill(intent, self._params, market, entry[3], entry[0], fees, reason, notes)
        return new_outcome(fill, _NO_POOLS)

    def _partial_fill(
        self,
        intent: OrderIntent,
        market: MarketView,
        mev: MevDraw,
        partial_pct: float,
        notes: list[str],
    ) -> tuple[PathResult, Decimal] | str | None:
        """Re-run the path on the reduced input with a proportionally scaled bound.

        Returns the new path and the fraction, a failure reason, or ``None`` when the reduced input
        rounds to the whole (or to nothing) and the fill stays complete."""
        ppm = min(PPM, max(self._min_ppm, int(partial_pct * 10_000)))
        reduced = intent.amount_in * ppm // PPM
        if not 0 < reduced < intent.amount_in:
            notes.append("partial: drawn but rounds to the whole input, filled 100 %")
            return None
        scaled_min = intent.min_amount_out * reduced // intent.amount_in
        try:
            path = execute_path(market, intent, self._params, reduced, scaled_min, mev)
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
