"""What every live loop on the local Solana world shares, whatever engine it runs.

:class:`SolanaLiveBase` owns the parts of ARCHITECTURE.md's flow that do not depend on the
engine: the venue loop (``AsyncBridge``), market data (``market/solana_source``: vaults read once
per block, USD prices from the pools), the execution client (``execution/solana_live``), the
ledger and the signature journal, the engine's vault opened from the wallet's chain balances,
restart reconciliation by signature, the send path (risk gates -> capital reservation ->
``Ledger.journal_intent``, write ahead -> ``client.submit``), the booking of outcomes (fill from
the landed transactions' balances -> ledger, capital, breaker, engine, statistics); the counters
and the summary are its :class:`~phantom.app.live_solana_report.LiveReport` half.

A subclass adapts one engine: :meth:`build_engine` (after the first snapshot), :meth:`on_market`
(market events, block markers and its own events while feeding), :meth:`engine_fill` /
:meth:`engine_rejected`, and :meth:`engine_figures`. The arbitrage loop is
``app/live_solana_loop.py``; the bar engines' (scalp, lst) is ``app/live_solana_bars.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import time
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any

from phantom.app import wiring
from phantom.app.live_solana_config import SolanaLiveOptions, exec_config
from phantom.app.live_solana_report import LiveReport
from phantom.app.logging_setup import get_logger
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.core.events import PoolUpdate, PriceTick
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent, Route
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.execution.client import ExecutionOutcome
from phantom.execution.evm_bridge import AsyncBridge
from phantom.execution.solana_journal import SolanaTxJournal
from phantom.execution.solana_live import SolanaLiveClient
from phantom.execution.solana_reconcile import (
    Reconciled,
    fill_from_landed,
    reconcile_pending,
)
from phantom.market.evm_source import ReferencePrices
from phantom.market.solana_source import SolanaPoolSource, SolanaVenue
from phantom.market.state import MarketState
from phantom.portfolio.capital import CapitalManager
from phantom.portfolio.errors import DuplicateFill, InsufficientCapital
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus
from phantom.risk.breaker import KillSwitch
from phantom.risk.gate import GateContext
from phantom.venues.solana.keystore import SolanaSigner

_WAKE = object()
log = get_logger("phantom.live.solana")


@dataclass(frozen=True, slots=True)
class BlockSeen:
    """A new block was read (after its pool events): bar builders sample the market here."""

    ts: float
    height: int


def reference_prices(venue: SolanaVenue, sol_usd: float) -> ReferencePrices:
    """USD prices from the pools: USDC = 1, every USDC pool, then the WSOL pools (the LSTs);
    SOL is priced as WSOL when a pool prices WSOL, else at ``sol_usd``."""
    usdc = [p.pool_id for p in venue.pools if "USDC" in (p.token0.symbol, p.token1.symbol)]
    wsol = [
        p.pool_id
        for p in venue.pools
        if "WSOL" in (p.token0.symbol, p.token1.symbol) and p.pool_id not in usdc
    ]
    native = venue.native.symbol
    return ReferencePrices({"USDC": 1.0, native: sol_usd}, (*usdc, *wsol), {native: "WSOL"})


class SolanaLiveBase(LiveReport, ABC):
    """One live session's loop on the local Solana world, for the engine ``engine_name``."""

    engine_name: str

    def __init__(
        self,
        settings: Settings,
        options: SolanaLiveOptions,
        session: Session,
        venue: SolanaVenue,
        signer: SolanaSigner,
        kill: KillSwitch,
    ) -> None:
        self.settings, self.options, self.session, self.venue = settings, options, session, venue
        self.kill = kill
        self.inbox: queue.Queue[object] = queue.Queue()
        self.bridge = AsyncBridge("phantom-solana-loop")
        self.ledger = Ledger(session.ledger_path)
        self.journal = SolanaTxJournal(session.dir / "solana_txs.sqlite")
        self.market = MarketState()
        self.client = SolanaLiveClient(
            venue, exec_config(settings, options), signer, self.journal, self.bridge,
            notify=lambda: self.inbox.put(_WAKE),
        )  # fmt: skip
        self.tokens: dict[str, Token] = {t.symbol: t for t in venue.tokens().values()}
        self.source = SolanaPoolSource(
            self.client.router, venue.pools, self.inbox.put,
            prices=reference_prices(venue, options.sol_usd),
            poll_interval_s=options.source_poll_interval_s,
            on_block=lambda height: self.inbox.put(BlockSeen(time.time(), height)),
        )  # fmt: skip
        self.capital = CapitalManager(self.ledger, [self.engine_name])
        self.breaker = wiring.circuit_breaker(settings)
        self.risk = wiring.risk_chain(settings, kill, self.breaker)
        self.init_report()
        self.in_flight: dict[str, OrderIntent] = {}
        self.feeding = True
        self.ready = False  # the engine is built and the start-up is done
        self._stop = asyncio.Event()
        self._tasks: list[concurrent.futures.Future[None]] = []

    # --- what a subclass adapts -----------------------------------------------------------------

    @abstractmethod
    def build_engine(self, pools: list[ConstantProductPool]) -> None:
        """Build the engine from the first snapshot (before the vault and reconciliation)."""

    @abstractmethod
    def on_market(self, item: object) -> None:
        """A market event, block marker or own event while feeding: send with :meth:`send`."""

    @abstractmethod
    def engine_fill(self, fill: Fill) -> None:
        """A fill of one of the engine's intents was booked."""

    @abstractmethod
    def engine_rejected(self, intent: OrderIntent, reason: str) -> None:
        """One of the engine's intents was stopped before it was sent (or is unresolved)."""

    def after_start(self, pools: list[ConstantProductPool]) -> None:
        """Called once the start-up is done, before following the market."""

    def followers(self) -> list[Coroutine[Any, Any, None]]:
        """More coroutines to run on the venue loop until the end (``self._stop``)."""
        return []

    # --- start-up: snapshot, vault, reconciliation -------------------------------------------

    def _drain_market(self) -> None:
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return
            self._handle(item, feed=False)

    def start(self) -> None:
        """Snapshot, engine, vault (from the chain), reconciliation, then :meth:`after_start`."""
        pools = self.bridge.run(self.source.snapshot(), timeout=30)
        self._drain_market()
        self.bridge.run(self.client.prepare(), timeout=30)
        self.build_engine(pools)
        balances = self.bridge.run(self.chain_balances(), timeout=30)
        deposits = [(t, u, self._price(t)) for t, u in balances.items() if u > 0]
        if self.ledger.open_vault(self.engine_name, deposits):
            log.info("vault_opened", balances={t.symbol: str(u) for t, u in balances.items()})
        pending = [j.intent for j in self.ledger.pending_intents(self.engine_name)]
        if pending:
            results = self.bridge.run(
                reconcile_pending(
                    self.client.rpc, self.journal, pending, commitment=self.options.commitment,
                    wait_s=self.options.reconcile_wait_s, poll_s=self.options.poll_interval_s,
                )
            )  # fmt: skip
            for item in results:
                self._apply_reconciled(item)
        self.capital.restore()
        self.ready = True
        self.after_start(pools)

    def _apply_reconciled(self, item: Reconciled) -> None:
        intent = item.intent
        self.reconciled[item.action] += 1
        log.warning("reconciled", intent=intent.intent_id, action=item.action, reason=item.reason)
        if item.action == "abandon":
            self.ledger.resolve_intent(intent.intent_id, IntentStatus.ABANDONED, item.reason)
            self.journal.mark(intent.intent_id, "resolved", item.reason)
        elif item.action == "book":
            ctx = self.client.book_context(self.market)
            fill = fill_from_landed(
                intent, item.landed, ctx, sent_at=item.sent_at, arrived_at=time.time(),
                notes=("booked from its balances after a restart",),
            )  # fmt: skip
            with contextlib.suppress(DuplicateFill):
                self.ledger.record_fill(fill, self._prices())
                self._count(intent, fill, item.landed, None)
            self.journal.mark(intent.intent_id, "resolved", item.reason)

    # --- the loop ---------------------------------------------------------------------------

    def open(self) -> None:
        """Start the venue loop, run :meth:`start` and follow the market."""
        self.bridge.start()
        self._stop = asyncio.Event()  # bound to the venue loop when first awaited there
        self.start()
        for coro in (self.source.run(self._stop), *self.followers()):
            self._tasks.append(self.bridge.spawn(coro))

    def close(self) -> None:
        """Stop following the market, close the clients, the loop, the ledger and journal."""
        if self._tasks:
            self.bridge.loop.call_soon_threadsafe(self._stop.set)
            for task in self._tasks:
                with contextlib.suppress(Exception):  # the market data stops before its client
                    task.result(timeout=10)
        with contextlib.suppress(Exception):
            self.bridge.run(self.client.aclose(), timeout=10)
        self.bridge.stop()
        self.ledger.close()
        self.journal.close()

    def run(self, duration_s: float | None) -> dict[str, Any]:
        try:
            self.open()
            deadline = None if duration_s is None else time.monotonic() + duration_s
            while not self.kill.engaged and (deadline is None or time.monotonic() < deadline):
                self.step(0.05)
                done = next((t for t in self._tasks if t.done()), None)
                if done is not None:
                    done.result()  # re-raise a failure of the market data
                    break
            self.feeding = False
            limit = time.monotonic() + self.options.drain_timeout_s
            while self.client.in_flight() and time.monotonic() < limit:
                self.step(0.05)
            return self.summary()
        finally:
            self.close()

    def step(self, timeout: float) -> None:
        items: list[object] = []
        with contextlib.suppress(queue.Empty):
            items.append(self.inbox.get(timeout=timeout))
            while True:
                items.append(self.inbox.get_nowait())
        for outcome in self.client.due(time.time(), self.market):
            self._on_outcome(outcome)
        for result in self.client.take_unresolved():
            self.unresolved += 1
            log.warning("unresolved", intent=result.intent.intent_id, reason=result.reason)
            self.in_flight.pop(result.intent.intent_id, None)
            self.engine_rejected(result.intent, "unresolved")
        for item in items:
            self._handle(item, feed=self.feeding)

    def _handle(self, item: object, feed: bool) -> None:
        if isinstance(item, PriceTick | PoolUpdate):
            self.market.apply(item)
        if feed and self.ready and not self.kill.engaged and item is not _WAKE:
            self.on_market(item)

    def send(self, intent: OrderIntent) -> None:
        """Risk gates -> capital reservation -> journal (write ahead) -> client. Every intent
        goes as one Jito bundle: ``PRIVATE`` (no sandwich exposure, a tip)."""
        now = time.time()
        self.stats.intents += 1
        routed = replace(intent, route=Route.PRIVATE)
        gate_ctx = GateContext(now=now, in_flight=self.client.in_flight(), volatile=False)
        rejection = self.risk.check(routed, gate_ctx)
        reason = rejection.reason if rejection is not None else None
        if reason is None:
            try:
                self.capital.reserve(routed)
            except InsufficientCapital:
                reason = "insufficient_capital"
        if reason is not None:
            self.stats.rejections[reason] += 1
            self.engine_rejected(intent, reason)
            return
        self.ledger.journal_intent(routed)  # write ahead, then act
        self.in_flight[routed.intent_id] = routed
        self.client.submit(routed, now)
        self.stats.on_sent(routed.route)
        log.info("sent", intent=routed.intent_id, amount_in=routed.amount_in,
                 expected_profit_usd=str(routed.expected_profit_usd),
                 reason=routed.reason)  # fmt: skip

    def _on_outcome(self, outcome: ExecutionOutcome) -> None:
        fill = outcome.fill
        intent = self.in_flight.pop(fill.intent_id)
        self.ledger.record_fill(fill, self._prices())
        self.journal.mark(fill.intent_id, "resolved", fill.status.value)
        self.capital.release(fill.intent_id)
        if not fill.failure_reason.startswith(("simulation", "unprofitable")):
            self.risk.on_fill(fill, time.time())  # refusals cost nothing: the check worked
        self.engine_fill(fill)
        result = self.client.results.pop(fill.intent_id, None)
        landed = result.landed if result is not None else ()
        self._count(intent, fill, landed, self.client.reports.get(fill.intent_id))
        log.info("fill", intent=fill.intent_id, status=fill.status.value,
                 pnl_usd=str(fill.pnl_usd), reason=fill.failure_reason)  # fmt: skip
