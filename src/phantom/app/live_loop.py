"""The live loop on the EVM devnet (started by :func:`phantom.app.live_run.run_live_devnet`).

The flow of ARCHITECTURE.md with the live parts swapped in: ``market/evm_source`` (reserves, then
``Sync`` logs and heads over WebSocket) -> market state -> arbitrage engine (gas-aware costs from
``signals/evm_costs``, two-pool cycles only: what PhantomArb executes) -> risk gates -> route
policy -> ledger journal (write ahead) -> ``execution/evm_live`` (simulate, sign, journal the hash,
send publicly or through the devnet's private relay, receipt) -> fill from the receipt -> ledger,
capital, breaker, engine.

The ledger's write-ahead commit of an intent overlaps the venue's simulation of it (a read):
``EvmLiveClient.submit(journaled=False)`` holds the signature until the commit returned.

This loop is synchronous, like paper; the venue's asyncio code runs on one event loop in a helper
thread (``AsyncBridge``). Market events and "an execution finished" notices reach this loop
through one queue, so it wakes the moment something happens. At start-up, before anything new is
sent, pending intents are reconciled against the chain (``execution/evm_reconcile``). The
circuit breaker is fed every fill except simulation refusals (they cost nothing and mean the
safety check worked: a gap closed between signal and send).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import time
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from phantom.app import wiring
from phantom.app.inbox import WAKE, take, waiting
from phantom.app.logging_setup import get_logger
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.app.stats import RunStats
from phantom.core.events import PoolUpdate, PriceTick
from phantom.core.orders import OrderIntent
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.base import EngineContext
from phantom.execution.client import ExecutionOutcome
from phantom.execution.evm_bridge import AsyncBridge
from phantom.execution.evm_devnet import NATIVE_SYMBOLS, DevnetVenue
from phantom.execution.evm_journal import EvmTxJournal
from phantom.execution.evm_live import EvmLiveClient
from phantom.execution.evm_reconcile import reconcile_pending
from phantom.execution.evm_report import chain_balances, trade_record
from phantom.market.evm_source import EvmPoolSource, HeadUpdate
from phantom.market.state import MarketState
from phantom.portfolio.capital import CapitalManager
from phantom.portfolio.errors import DuplicateFill, InsufficientCapital
from phantom.portfolio.ledger import DEFAULT_NATIVE_SYMBOLS, Ledger
from phantom.portfolio.models import IntentStatus
from phantom.risk.breaker import KillSwitch
from phantom.risk.gate import GateContext
from phantom.signals.evm_costs import EvmGasModel
from phantom.venues.evm.fees import FeePolicy, fetch_fees
from phantom.venues.evm.signer import SecretKey, Signer

ENGINE = "arb"
log = get_logger("phantom.live")


@dataclass(frozen=True, slots=True)
class _Fees:
    base_fee_wei: int
    tip_wei: int


class LiveRun:
    """One live session's loop (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        session: Session,
        venue: DevnetVenue,
        signer: Signer,
        kill: KillSwitch,
        *,
        rpc_url: str,
        ws_url: str,
        relay_url: str | None,
    ) -> None:
        s = self.settings = settings
        self.session, self.venue, self.kill = session, venue, kill
        self.inbox: queue.Queue[object] = queue.Queue()
        self.bridge = AsyncBridge()
        native_symbols = {**DEFAULT_NATIVE_SYMBOLS, **NATIVE_SYMBOLS}
        self.ledger = Ledger(session.ledger_path, native_symbols=native_symbols)
        self.journal = EvmTxJournal(session.dir / "evm_txs.sqlite")
        self.market = MarketState()
        self.gas = EvmGasModel(venue.native)
        self.policy = FeePolicy.from_gwei(s.max_base_fee_gwei, s.max_priority_fee_gwei)
        config = venue.venue_config(
            self.policy, rpc_url=rpc_url, receipt_timeout_s=s.receipt_timeout_s, relay_url=relay_url
        )
        self.client = EvmLiveClient(
            config,
            signer,
            self.journal,
            self.bridge,
            market=self.market,
            relay_signer=Signer(SecretKey.generate()),  # relay reputation key: holds nothing
            notify=lambda: self.inbox.put(WAKE),
        )
        self.source = EvmPoolSource(
            self.client.rpc, ws_url, venue.pools, self.inbox.put, prices=venue.prices,
            on_head=self._on_head,
        )  # fmt: skip
        self.capital = CapitalManager(self.ledger, [ENGINE])
        self.breaker = wiring.circuit_breaker(s)
        self.risk = wiring.risk_chain(s, kill, self.breaker)
        self.routes = wiring.route_policy(s, venue.native)
        self.base_tokens = (venue.token("USDC"), venue.token("WETH"))
        self.engine: ArbEngine | None = None
        self.stats = RunStats()
        self.trades: list[dict[str, Any]] = []
        self.reconciled: Counter[str] = Counter()
        self.unresolved = 0
        self.in_flight: dict[str, OrderIntent] = {}
        self.feeding = True
        self._tasks: set[Any] = set()

    # --- start-up: snapshot, vault, reconciliation -------------------------------------------

    def _drain_market(self) -> None:
        for item in waiting(self.inbox):
            self._handle(item, feed=False)

    def _start(self) -> None:
        pools = self.bridge.run(self.source.snapshot(), timeout=30)
        self._drain_market()
        quote = self.bridge.run(fetch_fees(self.client.rpc, self.policy), timeout=30)
        self.gas.update_fees(quote.base_fee_wei, quote.max_priority_fee_per_gas)
        params = wiring.arb_params(self.settings, self.base_tokens, self.venue.native)
        params = replace(params, max_hops=2, cost_estimator=self.gas)
        self.engine = ArbEngine(params, pools, id_prefix=f"arb-live-s{self.session.segment}")
        tracked = (*self.venue.tokens.values(), self.venue.native)
        balances = self.bridge.run(chain_balances(self.client.rpc, self.client.owner, tracked))
        deposits = [(t, units, self._price(t.symbol)) for t, units in balances.items() if units > 0]
        if self.ledger.open_vault(ENGINE, deposits):
            log.info("vault_opened", balances={t.symbol: str(u) for t, u in balances.items()})
        pending = [j.intent for j in self.ledger.pending_intents(ENGINE)]
        if pending:
            wait_s = min(self.settings.receipt_timeout_s, 15.0)
            results = self.bridge.run(reconcile_pending(self.client, pending, wait_s=wait_s))
            for item in results:
                self._apply_reconciled(item.intent, item.action, item.reason, item.result)
        self.capital.restore()

    def _apply_reconciled(self, intent: OrderIntent, action: str, reason: str, result: Any) -> None:
        self.reconciled[action] += 1
        log.warning("reconciled", intent=intent.intent_id, action=action, reason=reason)
        if action == "abandon":
            self.ledger.resolve_intent(intent.intent_id, IntentStatus.ABANDONED, reason)
            self.journal.mark(intent.intent_id, "resolved", reason)
        elif action == "book" and result is not None:
            fill = self.client.fill_for(result, self.market)
            with contextlib.suppress(DuplicateFill):
                self.ledger.record_fill(fill, self._prices())
            self.journal.mark(intent.intent_id, "resolved", reason)
            self.stats.on_fill(fill, intent.kind)
            self.trades.append(
                trade_record(intent, fill, self.client.reports.get(intent.intent_id))
            )

    # --- the loop ---------------------------------------------------------------------------

    def run(self, duration_s: float | None) -> dict[str, Any]:
        self.bridge.start()
        stop = asyncio.Event()  # bound to the venue loop when first awaited there
        try:
            self._start()
            follow = self.bridge.spawn(self.source.run(stop))
            deadline = None if duration_s is None else time.monotonic() + duration_s
            while not self.kill.engaged and (deadline is None or time.monotonic() < deadline):
                self._step(0.1)
                if follow.done():
                    follow.result()  # re-raise a failure of the market data
                    break
            self.feeding = False
            limit = time.monotonic() + 2 * self.settings.receipt_timeout_s + 35
            while self.client.in_flight() and time.monotonic() < limit:
                self._step(0.1)
            return self.summary()
        finally:
            self.bridge.loop.call_soon_threadsafe(stop.set)
            with contextlib.suppress(Exception):
                self.bridge.run(self.client.aclose(), timeout=10)
            self.bridge.stop()
            self.ledger.close()
            self.journal.close()

    def _step(self, timeout: float) -> None:
        items = take(self.inbox, timeout)
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
        if isinstance(item, _Fees):
            self.gas.update_fees(item.base_fee_wei, item.tip_wei)
        elif isinstance(item, PriceTick):
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
        gate_ctx = GateContext(now=now, in_flight=self.client.in_flight(), volatile=False)
        rejection = self.risk.check(intent, gate_ctx)
        reason = rejection.reason if rejection is not None else None
        routed = intent
        if rejection is None:
            routed = self.routes.decide(intent, self.market).intent
            try:
                self.capital.reserve(routed)
            except InsufficientCapital:
                reason = "insufficient_capital"
        if reason is not None:
            self.stats.rejections[reason] += 1
            self.engine.on_rejected(intent, reason)
            return
        # Write ahead, then act: the simulation (a read) starts now and runs while the ledger
        # commits the intent; the venue signs and sends nothing before ``journaled``.
        self.client.submit(routed, now, journaled=False)
        try:
            self.ledger.journal_intent(routed)
        except BaseException:
            self.client.withdraw(routed.intent_id)
            raise
        self.client.journaled(routed.intent_id)
        self.in_flight[routed.intent_id] = routed
        self.stats.on_sent(routed.route)
        log.info("sent", intent=routed.intent_id, route=routed.route.value,
                 expected_profit_usd=str(routed.expected_profit_usd))  # fmt: skip

    def _on_outcome(self, outcome: ExecutionOutcome) -> None:
        fill = outcome.fill
        intent = self.in_flight.pop(fill.intent_id)
        self.ledger.record_fill(fill, self._prices())
        self.journal.mark(fill.intent_id, "resolved", fill.status.value)
        self.capital.release(fill.intent_id)
        if not fill.failure_reason.startswith("simulation:"):
            self.risk.on_fill(fill, time.time())  # reverts, cancellations, drops feed the breaker
        if self.engine is not None:
            self.engine.on_fill(fill)
        report = self.client.reports.get(fill.intent_id)
        if report is not None and report.gas_used is not None and fill.succeeded:
            self.gas.observe_gas(len(intent.legs), report.gas_used)
        self.stats.on_fill(fill, intent.kind)
        self.trades.append(trade_record(intent, fill, report))
        log.info("fill", intent=fill.intent_id, status=fill.status.value, pnl_usd=str(fill.pnl_usd),
                 tx=report.tx_hash if report else None, reason=fill.failure_reason)  # fmt: skip

    def _on_head(self, head: HeadUpdate) -> None:  # venue loop
        task = self.bridge.loop.create_task(self._fetch_fees())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch_fees(self) -> None:
        with contextlib.suppress(Exception):
            quote = await fetch_fees(self.client.rpc, self.policy)
            self.inbox.put(_Fees(quote.base_fee_wei, quote.max_priority_fee_per_gas))

    def _price(self, symbol: str) -> Decimal:
        return Decimal(
            repr(self.market.price_usd(self.venue.tokens.get(symbol, self.venue.native)))
        )

    def _prices(self) -> dict[str, Decimal]:
        symbols = [*self.venue.tokens, self.venue.native.symbol]
        return {sym: self._price(sym) for sym in symbols}

    def summary(self) -> dict[str, Any]:
        tracked = (*self.venue.tokens.values(), self.venue.native)
        ledger_bal = {t.symbol: u for t, u in self.ledger.balances(ENGINE).items()}
        chain_bal = self.bridge.run(chain_balances(self.client.rpc, self.client.owner, tracked))
        diff = {t.symbol: u - ledger_bal.get(t.symbol, 0) for t, u in chain_bal.items()}
        return self.stats.summary(
            {
                "mode": "live",
                "chain": "devnet",
                "address": self.client.owner,
                "session": self.session.session_id,
                "circuit_breaker_trips": self.breaker.trips,
                "reconciled": dict(sorted(self.reconciled.items())),
                "unresolved": self.unresolved,
                "trades_detail": self.trades,
                "chain_minus_ledger": {k: str(v) for k, v in sorted(diff.items())},
                "ledger_ok": self.ledger.verify().ok,
            }
        )
