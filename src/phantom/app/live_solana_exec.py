"""The Solana spot-execution core every live loop on the local Solana world shares: the arbitrage
and bar engines' (:class:`~phantom.app.live_solana_base.SolanaLiveBase`) and the live funding
run's spot leg (:class:`~phantom.app.live_funding_spot.SpotLeg`).

:class:`SolanaSpotExec` owns the venue loop (``AsyncBridge``), the market state fed through one
inbox, the execution client (``execution/solana_live``: quote, swap, checks, signature,
simulation, the signature journal, one Jito bundle, rebroadcast until confirmed or expired), the
capital manager, circuit breaker and risk chain, and the parts of ARCHITECTURE.md's flow around
the client: the first snapshot, restart reconciliation by signature, the send path (risk gates ->
capital reservation -> ``Ledger.journal_intent``, write ahead -> ``client.submit``), settling
what the client finished (fills from the landed transactions' balances -> ledger, capital,
breaker; unresolved intents), the run loop and the shutdown. A loop adds its market source, its
engine, how it counts a booked fill (:meth:`booked`) and its summary (:meth:`finish`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import time
from abc import ABC, abstractmethod
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from phantom.app import wiring
from phantom.app.inbox import WAKE, waiting
from phantom.app.live_solana_config import SolanaLiveOptions, exec_config
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.app.stats import RunStats
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
    LandedTx,
    Reconciled,
    fill_from_landed,
    reconcile_pending,
)
from phantom.market.solana_source import SolanaPoolSource, SolanaVenue
from phantom.market.state import MarketState
from phantom.portfolio.capital import CapitalManager
from phantom.portfolio.errors import DuplicateFill, InsufficientCapital
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus
from phantom.risk.breaker import KillSwitch
from phantom.risk.gate import GateContext
from phantom.venues.solana.keystore import SolanaSigner

__all__ = ["WAKE", "SolanaSpotExec"]


class SolanaSpotExec(ABC):
    """The shared core (see the module docstring); ``engine_name`` is the vault, ``log`` the
    loop's logger."""

    engine_name: str
    log: ClassVar[Any]
    stats: RunStats
    source: SolanaPoolSource

    def __init__(
        self,
        settings: Settings,
        sol_options: SolanaLiveOptions,
        session: Session,
        venue: SolanaVenue,
        signer: SolanaSigner,
        kill: KillSwitch,
        ledger: Ledger,
        thread_name: str,
    ) -> None:
        self.settings, self.session, self.venue, self.kill = settings, session, venue, kill
        self.sol_options = sol_options
        self.inbox: queue.Queue[object] = queue.Queue()
        self.bridge = AsyncBridge(thread_name)
        self.ledger = ledger
        self.journal = SolanaTxJournal(session.dir / "solana_txs.sqlite")
        self.market = MarketState()
        self.client = SolanaLiveClient(
            venue, exec_config(settings, sol_options), signer, self.journal, self.bridge,
            notify=lambda: self.inbox.put(WAKE),
        )  # fmt: skip
        self.capital = CapitalManager(ledger, [self.engine_name])
        self.breaker = wiring.circuit_breaker(settings)
        self.risk = wiring.risk_chain(settings, kill, self.breaker)
        self.in_flight: dict[str, OrderIntent] = {}
        self.unresolved = 0
        self.feeding = True
        self._stop = asyncio.Event()
        self._tasks: list[concurrent.futures.Future[None]] = []

    # --- what a loop adds ---------------------------------------------------------------------

    @abstractmethod
    def start(self) -> None:
        """The start-up (from :meth:`first_snapshot`), before following the market."""

    @abstractmethod
    def step(self, timeout: float) -> None:
        """One turn of the loop (waits up to ``timeout`` for the inbox)."""

    @abstractmethod
    def finish(self) -> dict[str, Any]:
        """The summary, once the in-flight intents are resolved (or the drain timed out)."""

    @abstractmethod
    def spl_tokens(self) -> Sequence[Token]:
        """The wallet's SPL tokens the vault books (the native token always is)."""

    @abstractmethod
    def prices(self) -> dict[str, Decimal]:
        """USD prices by symbol of the tokens fills are booked at."""

    @abstractmethod
    def booked(self, intent: OrderIntent, fill: Fill, landed: tuple[LandedTx, ...]) -> None:
        """A fill of one of the engine's intents was booked: count it, tell the engine."""

    @abstractmethod
    def engine_rejected(self, intent: OrderIntent, reason: str) -> None:
        """One of the engine's intents was stopped before it was sent (or is unresolved)."""

    def restart_booked(self, intent: OrderIntent, fill: Fill, landed: tuple[LandedTx, ...]) -> None:
        """A pending intent was booked from its landed balances after a restart."""
        return None  # nothing more to count by default

    def busy(self) -> bool:
        """Something is still to resolve at the end of a run."""
        return bool(self.client.in_flight())

    def followers(self) -> list[Coroutine[Any, Any, None]]:
        """More coroutines to run on the venue loop until the end (``self._stop``)."""
        return []

    # --- market and wallet ----------------------------------------------------------------------

    def apply(self, item: object) -> None:
        if isinstance(item, PriceTick | PoolUpdate):
            self.market.apply(item)

    def drain_market(self) -> None:
        for item in waiting(self.inbox):
            self.apply(item)

    def price(self, token: Token) -> Decimal:
        return Decimal(repr(self.market.price_usd(token)))

    async def chain_balances(self) -> dict[Token, int]:
        rpc, owner = self.client.rpc, self.client.owner
        out = {self.venue.native: await rpc.get_balance(owner)}
        for token in self.spl_tokens():
            rows = await rpc.get_token_accounts_by_owner(owner, mint=token.address)
            out[token] = sum(r.amount for r in rows if r.owner == owner)
        return out

    # --- lifecycle ------------------------------------------------------------------------------

    def first_snapshot(self) -> list[ConstantProductPool]:
        """The pools as they are now (the market state follows them), and the client ready."""
        pools = self.bridge.run(self.source.snapshot(), timeout=30)
        self.drain_market()
        self.bridge.run(self.client.prepare(), timeout=30)
        return pools

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
            limit = time.monotonic() + self.sol_options.drain_timeout_s
            while self.busy() and time.monotonic() < limit:
                self.step(0.05)
            return self.finish()
        finally:
            self.close()

    # --- restart --------------------------------------------------------------------------------

    def reconcile(self, pending: list[OrderIntent]) -> list[Reconciled]:
        """Pending swaps, by their journaled signatures (``execution/solana_reconcile``)."""
        if not pending:
            return []
        sol = self.sol_options
        results = self.bridge.run(
            reconcile_pending(
                self.client.rpc, self.journal, pending, commitment=sol.commitment,
                wait_s=sol.reconcile_wait_s, poll_s=sol.poll_interval_s,
            )
        )  # fmt: skip
        for item in results:
            intent = item.intent
            self.log.warning(
                "reconciled", intent=intent.intent_id, action=item.action, reason=item.reason
            )
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
                    self.ledger.record_fill(fill, self.prices())
                    self.restart_booked(intent, fill, item.landed)
                self.journal.mark(intent.intent_id, "resolved", item.reason)
        return results

    # --- sending and outcomes -------------------------------------------------------------------

    def send(self, intent: OrderIntent) -> None:
        """Risk gates -> capital reservation -> journal (write ahead) -> client. Every intent
        goes as one Jito bundle: ``PRIVATE`` (no sandwich exposure, a tip)."""
        now = time.time()
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
        self.log.info("sent", intent=routed.intent_id, amount_in=routed.amount_in,
                      expected_profit_usd=str(routed.expected_profit_usd),
                      reason=routed.reason)  # fmt: skip

    def settle(self) -> None:
        """Book what the client finished; give up on what it could not resolve."""
        for outcome in self.client.due(time.time(), self.market):
            self._on_outcome(outcome)
        for result in self.client.take_unresolved():
            self.unresolved += 1
            self.log.warning("unresolved", intent=result.intent.intent_id, reason=result.reason)
            self.in_flight.pop(result.intent.intent_id, None)
            self.engine_rejected(result.intent, "unresolved")

    def _on_outcome(self, outcome: ExecutionOutcome) -> None:
        fill = outcome.fill
        intent = self.in_flight.pop(fill.intent_id)
        self.ledger.record_fill(fill, self.prices())
        self.journal.mark(fill.intent_id, "resolved", fill.status.value)
        self.capital.release(fill.intent_id)
        if not fill.failure_reason.startswith(("simulation", "unprofitable")):
            self.risk.on_fill(fill, time.time())  # refusals cost nothing: the check worked
        result = self.client.results.pop(fill.intent_id, None)
        self.booked(intent, fill, result.landed if result is not None else ())
