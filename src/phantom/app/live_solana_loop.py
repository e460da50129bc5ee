"""The live loop on the local Solana world (started by
:func:`phantom.app.live_solana.run_live_solana_local`).

The flow of ARCHITECTURE.md with the Solana live parts swapped in: ``market/solana_source``
(vault balances once per block) -> market state -> arbitrage engine (three-leg cycles through
USDC, network costs of a bundle from :class:`~phantom.app.live_solana_config.BundleCosts`) ->
risk gates -> capital reservation -> ledger journal (write ahead) -> ``execution/solana_live``
(quotes, swaps, checks, signatures, simulation, the signature journal, one Jito bundle,
rebroadcast until confirmed or expired) -> fill from the transactions' balances -> ledger,
capital, breaker, engine. Every intent goes as a bundle, i.e. privately: the route is
``PRIVATE`` (no sandwich exposure, a tip), so the public/tight route policy does not apply.

Synchronous like paper; the venue's asyncio code runs on one loop in a helper thread
(``AsyncBridge``), and market events and "an execution finished" notices reach this loop through
one queue. At start-up, before anything new is sent, pending intents are reconciled by signature
(``execution/solana_reconcile``); then the engine sees every pool once, so a gap that is already
open is traded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from phantom.app import wiring
from phantom.app.live_solana_config import BundleCosts, SolanaLiveOptions, exec_config
from phantom.app.logging_setup import get_logger
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.app.stats import RunStats
from phantom.core.events import PoolUpdate, PriceTick
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent, Route
from phantom.core.token import Token
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.base import EngineContext
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
from phantom.venues.solana.txtools import tips_to

ENGINE = "arb"
_WAKE = object()
log = get_logger("phantom.live.solana")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SolanaLiveRun:
    """One live session's loop on the local Solana world (see the module docstring)."""

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
        usdc_pools = tuple(
            p.pool_id for p in venue.pools if "USDC" in (p.token0.symbol, p.token1.symbol)
        )
        prices = ReferencePrices({"USDC": 1.0, venue.native.symbol: options.sol_usd}, usdc_pools)
        self.source = SolanaPoolSource(
            self.client.router, venue.pools, self.inbox.put, prices=prices,
            poll_interval_s=options.source_poll_interval_s,
        )  # fmt: skip
        self.capital = CapitalManager(self.ledger, [ENGINE])
        self.breaker = wiring.circuit_breaker(settings)
        self.risk = wiring.risk_chain(settings, kill, self.breaker)
        self.base_tokens = (self.tokens["USDC"],)
        self.engine: ArbEngine | None = None
        self.stats = RunStats()
        self.trades: list[dict[str, Any]] = []
        self.reconciled: Counter[str] = Counter()
        self.tiers_used: Counter[str] = Counter()
        self.tips_paid = self.rebroadcasts = self.unresolved = 0
        self.in_flight: dict[str, OrderIntent] = {}
        self.feeding = True
        self.started_at = time.time()
        self._stop = asyncio.Event()
        self._follow: concurrent.futures.Future[None] | None = None

    # --- start-up: snapshot, vault, reconciliation -------------------------------------------

    def _drain_market(self) -> None:
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return
            self._handle(item, feed=False)

    async def chain_balances(self) -> dict[Token, int]:
        rpc, owner = self.client.rpc, self.client.owner
        out = {self.venue.native: await rpc.get_balance(owner)}
        for token in self.tokens.values():
            rows = await rpc.get_token_accounts_by_owner(owner, mint=token.address)
            out[token] = sum(r.amount for r in rows if r.owner == owner)
        return out

    def start(self) -> None:
        """Snapshot, vault, reconciliation; then the engine sees every pool once."""
        pools = self.bridge.run(self.source.snapshot(), timeout=30)
        self._drain_market()
        self.bridge.run(self.client.prepare(), timeout=30)
        s, native = self.settings, self.venue.native
        params = wiring.arb_params(s, self.base_tokens, native)
        costs = BundleCosts(params.fee_schedule, native, self.options.signatures_per_leg)
        params = replace(params, max_hops=3, cost_estimator=costs)
        self.engine = ArbEngine(params, pools, id_prefix=f"arb-sol-s{self.session.segment}")
        balances = self.bridge.run(self.chain_balances(), timeout=30)
        deposits = [(t, u, self._price(t)) for t, u in balances.items() if u > 0]
        if self.ledger.open_vault(ENGINE, deposits):
            log.info("vault_opened", balances={t.symbol: str(u) for t, u in balances.items()})
        pending = [j.intent for j in self.ledger.pending_intents(ENGINE)]
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
        for pool in pools:
            self._feed(PoolUpdate(time.time(), self.market.pool(pool.pool_id)))

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
        self._follow = self.bridge.spawn(self.source.run(self._stop))

    def close(self) -> None:
        """Stop following the market, close the clients, the loop, the ledger and journal."""
        if self._follow is not None:
            self.bridge.loop.call_soon_threadsafe(self._stop.set)
            with contextlib.suppress(Exception):  # the market data stops before its client
                self._follow.result(timeout=10)
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
                if self._follow is not None and self._follow.done():
                    self._follow.result()  # re-raise a failure of the market data
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
            if self.engine is not None:
                self.engine.on_rejected(result.intent, "unresolved")
        for item in items:
            self._handle(item, feed=self.feeding)

    def _handle(self, item: object, feed: bool) -> None:
        if isinstance(item, PriceTick):
            self.market.apply(item)
        elif isinstance(item, PoolUpdate):
            self.market.apply(item)
            if feed and not self.kill.engaged and self.engine is not None:
                self._feed(item)

    def _feed(self, event: PoolUpdate) -> None:
        assert self.engine is not None
        available = {t: self.capital.available(ENGINE, t) for t in self.base_tokens}
        ctx = EngineContext(now=time.time(), market=self.market, available=available)
        for intent in self.engine.on_event(event, ctx):
            self.stats.intents += 1
            self._send(intent)
        self.stats.opportunities_seen = self.engine.stats.opportunities_seen

    def _send(self, intent: OrderIntent) -> None:
        assert self.engine is not None
        now = time.time()
        routed = replace(intent, route=Route.PRIVATE)  # one Jito bundle: private by nature
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
            self.engine.on_rejected(intent, reason)
            return
        self.ledger.journal_intent(routed)  # write ahead, then act
        self.in_flight[routed.intent_id] = routed
        self.client.submit(routed, now)
        self.stats.on_sent(routed.route)
        log.info("sent", intent=routed.intent_id, amount_in=routed.amount_in,
                 expected_profit_usd=str(routed.expected_profit_usd))  # fmt: skip

    def _on_outcome(self, outcome: ExecutionOutcome) -> None:
        fill = outcome.fill
        intent = self.in_flight.pop(fill.intent_id)
        self.ledger.record_fill(fill, self._prices())
        self.journal.mark(fill.intent_id, "resolved", fill.status.value)
        self.capital.release(fill.intent_id)
        if not fill.failure_reason.startswith(("simulation", "unprofitable")):
            self.risk.on_fill(fill, time.time())  # refusals cost nothing: the check worked
        if self.engine is not None:
            self.engine.on_fill(fill)
        result = self.client.results.pop(fill.intent_id, None)
        landed = result.landed if result is not None else ()
        self._count(intent, fill, landed, self.client.reports.get(fill.intent_id))
        log.info("fill", intent=fill.intent_id, status=fill.status.value,
                 pnl_usd=str(fill.pnl_usd), reason=fill.failure_reason)  # fmt: skip

    def _count(
        self, intent: OrderIntent, fill: Fill, landed: tuple[LandedTx, ...], report: Any
    ) -> None:
        self.stats.on_fill(fill, intent.kind)
        tips = sum(tips_to(t.tx, self.client.tip_accounts) for t in landed)
        self.tips_paid += tips
        self.rebroadcasts += report.rebroadcasts if report is not None else 0
        tiers = sorted({t.tier_bps for t in landed})
        if fill.succeeded:
            for tier in tiers:
                self.tiers_used[str(tier)] += 1
        self.trades.append({
            "intent": intent.intent_id, "status": fill.status.value,
            "amount_in": str(fill.amount_in), "amount_out": str(fill.amount_out),
            "pnl_usd": str(fill.pnl_usd), "expected_profit_usd": str(intent.expected_profit_usd),
            "reason": fill.failure_reason, "tiers_bps": tiers, "tip_lamports": tips,
            "signatures": [t.signature for t in landed],
            "rebroadcasts": report.rebroadcasts if report is not None else 0,
        })  # fmt: skip

    def _price(self, token: Token) -> Decimal:
        return Decimal(repr(self.market.price_usd(token)))

    def _prices(self) -> dict[str, Decimal]:
        tokens = [*self.tokens.values(), self.venue.native]
        return {t.symbol: self._price(t) for t in tokens}

    def summary(self) -> dict[str, Any]:
        ledger_bal = {t.symbol: u for t, u in self.ledger.balances(ENGINE).items()}
        chain_bal = self.bridge.run(self.chain_balances(), timeout=30)
        diff = {t.symbol: u - ledger_bal.get(t.symbol, 0) for t, u in chain_bal.items()}
        engine = self.engine.stats if self.engine is not None else None
        figures: dict[str, Any] = {}
        if engine is not None:
            names = ("updates", "opportunities_seen", "skipped_busy", "unprofitable_after_costs",
                     "intents", "rejected", "fills")  # fmt: skip
            figures = {k: getattr(engine, k) for k in names}
            figures["by_hops"] = {str(k): v for k, v in sorted(engine.by_hops.items())}
        arb = self.stats.summary({"circuit_breaker_trips": self.breaker.trips, "arb": figures})
        return self.stats.summary(
            {
                "mode": "live",
                "chain": "solana-local",
                "address": self.client.owner,
                "session": self.session.session_id,
                "seed": self.settings.seed,
                "sim_start": _iso(self.started_at),
                "sim_end": _iso(time.time()),
                "circuit_breaker_trips": self.breaker.trips,
                "engine": figures,
                "engines": {ENGINE: arb},
                "tiers_used": dict(sorted(self.tiers_used.items(), key=lambda kv: int(kv[0]))),
                "tips_paid_lamports": self.tips_paid,
                "rebroadcasts": self.rebroadcasts,
                "reconciled": dict(sorted(self.reconciled.items())),
                "unresolved": self.unresolved,
                "trades_detail": self.trades,
                "chain_minus_ledger": {k: str(v) for k, v in sorted(diff.items())},
                "ledger_ok": self.ledger.verify().ok,
                "market_reads": self.source.reads,
            }
        )
