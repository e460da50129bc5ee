"""The live funding run's spot leg on the local Solana world: the spot pool's state, the wallet,
and the engine's swaps through :class:`~phantom.execution.solana_live.SolanaLiveClient` (the
arbitrage live loop's execution path: quote, swap, checks, signature, simulation, signature
journal, one Jito bundle, fill from the landed transaction's balances).

The pool is followed by :class:`SolanaPoolSource` (vault balances once per block); reference
prices: USDC = 1, the base token from the pool, SOL (gas) at the base token's price (WSOL is SOL).
An intent passes the risk gates (the live chain; the trade-size limit does not stop a sale of
the spot token), reserves its capital, is journaled, then submitted; its outcome comes back
through the client's ``due`` on this thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import time
from abc import ABC, abstractmethod
from dataclasses import replace
from decimal import Decimal
from typing import Any

from phantom.app import wiring
from phantom.app.live_funding_config import LiveFundingOptions
from phantom.app.live_solana_config import exec_config
from phantom.app.logging_setup import get_logger
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.app.stats import RunStats
from phantom.core.events import PoolUpdate, PriceTick
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent, Route
from phantom.core.token import Token
from phantom.execution.client import ExecutionOutcome
from phantom.execution.evm_bridge import AsyncBridge
from phantom.execution.solana_journal import SolanaTxJournal
from phantom.execution.solana_live import SolanaLiveClient
from phantom.execution.solana_reconcile import Reconciled, fill_from_landed, reconcile_pending
from phantom.market.evm_source import ReferencePrices
from phantom.market.solana_source import SolanaPoolSource, SolanaVenue
from phantom.market.state import MarketState
from phantom.portfolio.capital import CapitalManager
from phantom.portfolio.errors import DuplicateFill, InsufficientCapital
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus
from phantom.risk.breaker import KillSwitch
from phantom.risk.gate import GateContext
from phantom.risk.gates import exempt_sales
from phantom.venues.solana.keystore import SolanaSigner
from phantom.venues.solana.txtools import tips_to

ENGINE = "funding"
WAKE = object()
log = get_logger("phantom.live.funding")


class SpotLeg(ABC):
    """The Solana side of a live funding run (see the module docstring); the run supplies the
    engine's hooks."""

    def __init__(
        self,
        settings: Settings,
        options: LiveFundingOptions,
        session: Session,
        venue: SolanaVenue,
        signer: SolanaSigner,
        kill: KillSwitch,
        ledger: Ledger,
        stats: RunStats,
    ) -> None:
        self.settings, self.options, self.session, self.venue = settings, options, session, venue
        self.kill, self.ledger, self.stats = kill, ledger, stats
        self.inbox: queue.Queue[object] = queue.Queue()
        self.bridge = AsyncBridge("phantom-funding-loop")
        self.journal = SolanaTxJournal(session.dir / "solana_txs.sqlite")
        self.market = MarketState()
        self.client = SolanaLiveClient(
            venue, exec_config(settings, options.solana), signer, self.journal, self.bridge,
            notify=lambda: self.inbox.put(WAKE),
        )  # fmt: skip
        tokens = {t.symbol: t for t in venue.tokens().values()}
        self.spot_pool = venue.pool(options.spot_pool)
        self.usdc, self.base, self.native = tokens["USDC"], tokens[options.base], venue.native
        prices = ReferencePrices(
            {"USDC": 1.0}, (self.spot_pool.pool_id,), {self.native.symbol: self.base.symbol}
        )
        self.source = SolanaPoolSource(
            self.client.router, [self.spot_pool], self.inbox.put, prices=prices,
            poll_interval_s=options.solana.source_poll_interval_s,
        )  # fmt: skip
        self.capital = CapitalManager(self.ledger, [ENGINE])
        self.breaker = wiring.circuit_breaker(settings)
        # selling the spot leg only reduces it: never stuck behind the trade-size limit
        self.risk = exempt_sales(wiring.risk_chain(settings, kill, self.breaker), self.base)
        self.in_flight: dict[str, OrderIntent] = {}
        self.spot_trades: list[dict[str, Any]] = []
        self.tips_paid = self.unresolved_spot = 0
        self.feeding = True
        self.started_at = time.time()
        self._stop = asyncio.Event()
        self._follow: concurrent.futures.Future[None] | None = None

    @property
    def tracked(self) -> tuple[Token, ...]:
        """The wallet tokens the vault books: gas, cash and the spot token."""
        return (self.native, self.usdc, self.base)

    async def chain_balances(self) -> dict[Token, int]:
        rpc, owner = self.client.rpc, self.client.owner
        out = {self.native: await rpc.get_balance(owner)}
        for token in (self.usdc, self.base):
            rows = await rpc.get_token_accounts_by_owner(owner, mint=token.address)
            out[token] = sum(r.amount for r in rows if r.owner == owner)
        return out

    def price(self, token: Token) -> Decimal:
        return Decimal(repr(self.market.price_usd(token)))

    def prices(self) -> dict[str, Decimal]:
        return {t.symbol: self.price(t) for t in self.tracked}

    # --- lifecycle -------------------------------------------------------------------------
    def open(self) -> None:
        self.bridge.start()
        self._stop = asyncio.Event()
        self.bridge.run(self.source.snapshot(), timeout=30)
        self.drain_market()
        self.bridge.run(self.client.prepare(), timeout=30)
        self.start()
        self._follow = self.bridge.spawn(self.source.run(self._stop))

    @abstractmethod
    def start(self) -> None:
        """Vault, reconciliation, engine: after the first snapshot, before following."""

    def close(self) -> None:
        if self._follow is not None:
            self.bridge.loop.call_soon_threadsafe(self._stop.set)
            with contextlib.suppress(Exception):
                self._follow.result(timeout=10)
        with contextlib.suppress(Exception):
            self.bridge.run(self.client.aclose(), timeout=10)
        self.bridge.stop()
        self.ledger.close()
        self.journal.close()

    def drain_market(self) -> None:
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, PriceTick | PoolUpdate):
                self.market.apply(item)

    # --- restart ---------------------------------------------------------------------------
    def reconcile_spot(self, pending: list[OrderIntent]) -> list[Reconciled]:
        """Pending swaps, by their journaled signatures (``execution/solana_reconcile``)."""
        sol = self.options.solana
        results = self.bridge.run(
            reconcile_pending(
                self.client.rpc, self.journal, pending, commitment=sol.commitment,
                wait_s=sol.reconcile_wait_s, poll_s=sol.poll_interval_s,
            )
        )  # fmt: skip
        for item in results:
            intent = item.intent
            log.warning("reconciled", intent=intent.intent_id, action=item.action)
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
                self.journal.mark(intent.intent_id, "resolved", item.reason)
        return results

    # --- sending and outcomes --------------------------------------------------------------
    def send(self, intent: OrderIntent) -> None:
        now = time.time()
        routed = replace(intent, route=Route.PRIVATE)  # a Jito bundle: private by nature
        gate = GateContext(now=now, in_flight=self.client.in_flight(), volatile=False)
        rejection = self.risk.check(routed, gate)
        reason = rejection.reason if rejection is not None else None
        if reason is None:
            try:
                self.capital.reserve(routed)
            except InsufficientCapital:
                reason = "insufficient_capital"
        if reason is not None:
            self.stats.rejections[reason] += 1
            self.on_spot_rejected(intent, reason)
            return
        self.ledger.journal_intent(routed)  # write ahead, then act
        self.in_flight[routed.intent_id] = routed
        self.client.submit(routed, now)
        self.stats.on_sent(routed.route)
        log.info("sent", intent=routed.intent_id, amount_in=routed.amount_in)

    def step_spot(self, timeout: float) -> None:
        """Market events and finished swaps (waits up to ``timeout`` for the first item)."""
        items: list[object] = []
        with contextlib.suppress(queue.Empty):
            items.append(self.inbox.get(timeout=timeout))
            while True:
                items.append(self.inbox.get_nowait())
        for item in items:
            if isinstance(item, PriceTick | PoolUpdate):
                self.market.apply(item)
        for outcome in self.client.due(time.time(), self.market):
            self._on_outcome(outcome)
        for result in self.client.take_unresolved():
            self.unresolved_spot += 1
            log.warning("unresolved", intent=result.intent.intent_id, reason=result.reason)
            self.in_flight.pop(result.intent.intent_id, None)
            self.on_spot_rejected(result.intent, "unresolved")

    def _on_outcome(self, outcome: ExecutionOutcome) -> None:
        fill = outcome.fill
        intent = self.in_flight.pop(fill.intent_id)
        self.ledger.record_fill(fill, self.prices())
        self.journal.mark(fill.intent_id, "resolved", fill.status.value)
        self.capital.release(fill.intent_id)
        if not fill.failure_reason.startswith(("simulation", "unprofitable")):
            self.risk.on_fill(fill, time.time())
        self.stats.on_fill(fill, intent.kind)
        result = self.client.results.pop(fill.intent_id, None)
        landed = result.landed if result is not None else ()
        tips = sum(tips_to(t.tx, self.client.tip_accounts) for t in landed)
        self.tips_paid += tips
        self.spot_trades.append({
            "intent": intent.intent_id, "status": fill.status.value, "reason": intent.reason,
            "amount_in": str(fill.amount_in), "amount_out": str(fill.amount_out),
            "pnl_usd": str(fill.pnl_usd), "failure": fill.failure_reason, "tip_lamports": tips,
            "signatures": [t.signature for t in landed],
        })  # fmt: skip
        log.info(
            "fill", intent=fill.intent_id, status=fill.status.value, reason=fill.failure_reason
        )
        self.on_spot_fill(fill)

    @abstractmethod
    def on_spot_fill(self, fill: Fill) -> None:
        """A swap of the engine's resolved (booked)."""

    @abstractmethod
    def on_spot_rejected(self, intent: OrderIntent, reason: str) -> None:
        """A swap of the engine's was stopped before it was sent, or never resolved."""
