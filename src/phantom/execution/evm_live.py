"""Live EVM execution: arbitrage intents as signed ``PhantomArb.execute`` transactions.

Implements :class:`phantom.execution.client.ExecutionClient` for a synchronous loop: ``submit``
builds the call on the caller's thread (from the market state the engine saw) and hands the rest
to the venue's asyncio loop (:class:`~phantom.execution.evm_bridge.AsyncBridge`); ``due`` collects
what finished and turns it into fills on the caller's thread, with the caller's market prices.

Write ahead: the caller commits the intent to the ledger before anything for it is signed. It
may do so *before* :meth:`EvmLiveClient.submit` (the simple order) or right after it, passing
``journaled=False``: the simulation then runs while the ledger's fsync does, and the pipeline
waits for :meth:`EvmLiveClient.journaled` before step 2; :meth:`EvmLiveClient.withdraw` (the
commit failed) drops the intent with nothing signed or sent and no outcome reported.

Per intent, on the venue loop (nothing is sent when a step fails):

1. ``eth_call`` of the call against the ``pending`` block (the environment it will land in; at
   ``latest`` the devnet's estimates missed the pairs' price-accumulator writes, 30 % short),
   concurrently with ``eth_estimateGas`` (unless the config fixes a known gas bound) and the
   pending-nonce read. A revert is a FAILED fill that cost nothing, reason
   ``simulation: <decoded reason>``.
2. ``TxManager``: fees under the caps, nonce, local signature; its ``on_signed`` hook writes the
   hash and nonce to the :class:`~phantom.execution.evm_journal.EvmTxJournal` (write ahead:
   committed before the broadcast).
3. PUBLIC / PUBLIC_TIGHT: ``eth_sendRawTransaction``. PRIVATE: ``TxManager.prepare`` and
   ``eth_sendPrivateTransaction`` to the relay; a relay refusal of a transaction the chain never
   saw gives the nonce back and is a zero-cost FAILED fill.
4. Wait for the receipt. No receipt within ``receipt_timeout_s``: cancel (a 0-value self-transfer
   at the same nonce with bumped fees) and wait again for whichever lands. Still nothing: the
   intent is *unresolved* and stays pending in the ledger for restart reconciliation.
5. The fill comes from the receipt only (:mod:`phantom.execution.evm_fills`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import time
from collections.abc import Callable
from dataclasses import replace

from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent, Route
from phantom.execution.client import ExecutionOutcome
from phantom.execution.evm_arb import ArbCall, UnsupportedIntent, build_arb_call, decode_profit
from phantom.execution.evm_bridge import AsyncBridge
from phantom.execution.evm_fills import ReceiptContext, fill_from_result
from phantom.execution.evm_http import VenueRpc, rpc_http_client
from phantom.execution.evm_journal import EvmTxJournal, journal_hook, sent_hook
from phantom.execution.evm_types import (
    EvmVenueConfig,
    ResultKind,
    TxReport,
    TxResult,
    set_signing,
)
from phantom.market.state import MarketView
from phantom.venues.evm.errors import (
    BroadcastFailed,
    BroadcastUncertain,
    EvmError,
    ReceiptTimeout,
    RelayError,
    SimulationReverted,
    TxDropped,
)
from phantom.venues.evm.relay import RelayClient
from phantom.venues.evm.signer import Signer
from phantom.venues.evm.txmanager import TxManager
from phantom.venues.evm.txtypes import SentTx, TxOutcome


class _Withdrawn(Exception):
    """The caller withdrew the intent before it was journaled: nothing may be signed."""


class EvmLiveClient:
    """Live execution of two-pool arbitrage intents through ``PhantomArb`` (see the module doc)."""

    def __init__(
        self,
        config: EvmVenueConfig,
        signer: Signer,
        journal: EvmTxJournal,
        bridge: AsyncBridge,
        *,
        market: MarketView | None = None,
        relay_signer: Signer | None = None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.market = market
        self.journal = journal
        self.bridge = bridge
        self.owner = signer.address
        self.reports: dict[str, TxReport] = {}
        self._http = rpc_http_client(config.rpc_url)
        self.rpc = VenueRpc(config.rpc_url, client=self._http, fee_cache_s=config.fee_cache_s)
        self.txm = TxManager(
            self.rpc,
            signer,
            config.chain_id,
            config.fee_policy,
            gas_buffer_pct=config.gas_buffer_pct,
            poll_interval_s=config.poll_interval_s,
            sim_block="pending",  # the next block's environment: what inclusion will see
            on_signed=journal_hook(journal, config.chain_id, signer.address, self.reports),
            on_sent=sent_hook(self.reports),
        )
        self.relay: RelayClient | None = None
        if config.relay_url is not None:
            if relay_signer is None:
                raise ValueError("a relay needs an auth signer (a key holding no funds)")
            self.relay = RelayClient(config.relay_url, relay_signer)
        self._notify = notify or (lambda: None)
        self._done: queue.SimpleQueue[TxResult] = queue.SimpleQueue()
        self._deadlines: dict[str, float] = {}
        self._unresolved: list[TxResult] = []
        self._base_fees: dict[int, int] = {}
        # write-ahead gates (``submit(journaled=False)``): True = journaled, False = withdrawn
        self._gates: dict[str, concurrent.futures.Future[bool]] = {}
        self._withdrawn: set[str] = set()

    # --- ExecutionClient ------------------------------------------------------------------

    def submit(self, intent: OrderIntent, sent_at: float, *, journaled: bool = True) -> float:
        """Execute ``intent``; returns the time by which its outcome should be known. The call
        is priced from ``self.market``, the state the engine just saw (same thread).

        ``journaled=True``: the intent is already in the ledger. ``journaled=False``: the caller
        journals it now, concurrently with the simulation, then calls :meth:`journaled` (or
        :meth:`withdraw` if that failed); nothing is signed or sent before."""
        if intent.intent_id in self._deadlines:
            raise ValueError(f"intent {intent.intent_id} is already in flight")
        gate: concurrent.futures.Future[bool] | None = None
        if not journaled:
            gate = self._gates[intent.intent_id] = concurrent.futures.Future()
        report = TxReport(intent.intent_id, intent.route.value, t_submit=time.perf_counter())
        self.reports[intent.intent_id] = report
        deadline = sent_at + 2 * self.config.receipt_timeout_s + 30.0
        self._deadlines[intent.intent_id] = deadline
        try:
            if self.market is None:
                raise UnsupportedIntent("no market state to price the call")
            call = build_arb_call(
                intent, self.config.arb_contract, self.config.pair_address, self.market
            )
        except UnsupportedIntent as exc:
            self._finish(TxResult(intent, "refused", f"unsupported: {exc}", sent_at=sent_at))
            return deadline
        report.predicted_profit = call.predicted_profit
        report.min_profit = call.min_profit
        self.bridge.spawn(self._run(intent, call, sent_at, gate))
        return deadline

    def journaled(self, intent_id: str) -> None:
        """The intent of a ``submit(journaled=False)`` is committed: it may be signed and sent."""
        gate = self._gates.pop(intent_id, None)
        if gate is not None:
            gate.set_result(True)

    def withdraw(self, intent_id: str) -> None:
        """Journaling the intent of a ``submit(journaled=False)`` failed: sign and send nothing
        for it, and report no outcome (it is not in the ledger). Caller's thread."""
        self._withdrawn.add(intent_id)
        self._deadlines.pop(intent_id, None)
        gate = self._gates.pop(intent_id, None)
        if gate is not None:
            gate.set_result(False)

    def next_due(self) -> float | None:
        return min(self._deadlines.values(), default=None)

    def in_flight(self) -> int:
        return len(self._deadlines)

    def due(self, now: float, market: MarketView) -> list[ExecutionOutcome]:
        """Every execution that finished, as fills priced with ``market``; unresolved ones are
        kept for :meth:`take_unresolved`."""
        out: list[ExecutionOutcome] = []
        while True:
            try:
                result = self._done.get_nowait()
            except queue.Empty:
                return out
            if result.intent.intent_id in self._withdrawn:
                continue  # never journaled: nothing was signed, nothing to book
            self._deadlines.pop(result.intent.intent_id, None)
            if result.kind == "unresolved":
                self._unresolved.append(result)
                continue
            out.append(ExecutionOutcome(self.fill_for(result, market)))

    def take_unresolved(self) -> list[TxResult]:
        taken, self._unresolved = self._unresolved, []
        return taken

    # --- fills ----------------------------------------------------------------------------

    def receipt_context(self, market: MarketView, base_fee_wei: int) -> ReceiptContext:
        return ReceiptContext(
            owner=self.owner,
            arb_contract=self.config.arb_contract,
            tokens=self.config.tokens,
            native=self.config.native,
            market=market,
            base_fee_wei=base_fee_wei,
        )

    def fill_for(self, result: TxResult, market: MarketView) -> Fill:
        """The fill of a finished execution, priced with ``market`` (see ``evm_fills``)."""
        ctx = self.receipt_context(market, result.base_fee_wei)
        return fill_from_result(result, ctx, self.reports.get(result.intent.intent_id))

    # --- the venue loop -------------------------------------------------------------------

    def _finish(self, result: TxResult) -> None:
        self._done.put(result)
        self._notify()

    async def _run(
        self,
        intent: OrderIntent,
        call: ArbCall,
        sent_at: float,
        gate: concurrent.futures.Future[bool] | None = None,
    ) -> None:
        set_signing(intent.intent_id, intent.route.value, "intent")
        try:
            result = await self._pipeline(intent, call, sent_at, gate)
        except _Withdrawn:
            return  # not in the ledger: no outcome to report
        except Exception as exc:  # a bug or an unexpected venue failure: never lose the intent
            signed = bool(self.journal.txs_for(intent.intent_id))
            kind: ResultKind = "unresolved" if signed else "refused"
            result = TxResult(intent, kind, f"error: {type(exc).__name__}: {exc}", sent_at=sent_at)
        self._finish(result)

    async def _pipeline(
        self,
        intent: OrderIntent,
        call: ArbCall,
        sent_at: float,
        gate: concurrent.futures.Future[bool] | None = None,
    ) -> TxResult:
        report = self.reports[intent.intent_id]
        notes: tuple[str, ...] = (
            f"call: borrow {call.amount_borrow} {call.token_borrow.symbol} on {call.pair_borrow},"
            f" sell on {call.pair_sell}, min_profit {call.min_profit},"
            f" predicted_profit {call.predicted_profit} {call.token_profit.symbol}",
        )

        def refused(reason: str) -> TxResult:
            return TxResult(
                intent, "refused", reason, sent_at=sent_at, arrived_at=time.time(), notes=notes
            )

        fixed = self.config.fixed_gas_limit
        estimate = self.txm.estimate_gas(call.request) if fixed is None else _const(fixed)
        sim, gas, _ = await asyncio.gather(
            self.txm.simulate(call.request),
            estimate,
            self.rpc.prime_pending_count(self.owner),  # the nonce read, off the critical path
            return_exceptions=True,
        )
        for item in (sim, gas):
            if isinstance(item, SimulationReverted):
                return refused(f"simulation: {item.reason}")
        for item in (sim, gas):
            if isinstance(item, EvmError):
                return refused(f"rpc: {item}")
            if isinstance(item, BaseException):
                raise item
        assert isinstance(sim, bytes) and isinstance(gas, int)
        report.simulated_profit = decode_profit(sim)
        report.t_simulated = time.perf_counter()
        notes += (f"simulated_profit={report.simulated_profit} gas_limit={gas}",)
        gas = max(gas, self.config.min_gas_limit)
        request = replace(call.request, gas_limit=gas)
        if gate is not None:  # write ahead: the intent is committed before anything is signed
            accepted = gate.result() if gate.done() else await asyncio.wrap_future(gate)
            if not accepted:
                raise _Withdrawn(intent.intent_id)
        private = intent.route is Route.PRIVATE
        try:
            if private:
                if self.relay is None:
                    return refused("route: private requested but no relay is configured")
                sent = await self.txm.prepare(request, simulate=False)
                if not await self._relay_send(sent):
                    return refused("relay: refused the transaction and the chain never saw it")
                report.t_sent = time.perf_counter()
            else:
                sent = await self.txm.submit(request, simulate=False)
        except BroadcastUncertain as exc:
            sent = exc.sent
            notes += (f"broadcast uncertain ({exc.cause}); waiting for the receipt",)
        except BroadcastFailed as exc:
            return refused(f"broadcast: {exc.cause.message}")
        except EvmError as exc:  # fee caps, nonce or signing: nothing reached the node
            return refused(f"send: {exc}")
        report.tx_hash, report.nonce = sent.tx_hash, sent.nonce
        return await self._await_receipt(intent, sent, sent_at, notes)

    async def _relay_send(self, sent: SentTx) -> bool:
        """True if the transaction reached the chain (the relay took it, or it is known)."""
        assert self.relay is not None
        try:
            await self.relay.send_private_transaction(sent.raw)
            return True
        except RelayError:
            known = await self.rpc.get_transaction(sent.tx_hash)
            if known is not None:
                return True
            self.txm.abandon(sent)
            self.journal.mark_tx(sent.tx_hash, "abandoned", "relay refused; never broadcast")
            return False

    async def _await_receipt(
        self, intent: OrderIntent, sent: SentTx, sent_at: float, notes: tuple[str, ...]
    ) -> TxResult:
        timeout = self.config.receipt_timeout_s
        cancel_hash: str | None = None
        try:
            outcome = await self.txm.wait(sent, timeout_s=timeout)
        except TxDropped as exc:
            return TxResult(intent, "refused", f"dropped: {exc}", sent_at=sent_at, notes=notes)
        except ReceiptTimeout:
            cancel_hash = await self._cancel(intent, sent)
            try:
                outcome = await self.txm.wait(sent, timeout_s=timeout)
            except TxDropped as exc:
                return TxResult(intent, "refused", f"dropped: {exc}", sent_at=sent_at, notes=notes)
            except ReceiptTimeout:
                return TxResult(
                    intent,
                    "unresolved",
                    f"timeout: no receipt for nonce {sent.nonce} within {2 * timeout:g}s",
                    sent_at=sent_at,
                    notes=notes,
                )
        return await self.result_from_outcome(intent, outcome, cancel_hash, sent_at, notes)

    async def _cancel(self, intent: OrderIntent, sent: SentTx) -> str | None:
        set_signing(intent.intent_id, intent.route.value, "cancel")
        try:
            return (await self.txm.cancel(sent, bump_pct=self.config.cancel_bump_pct)).tx_hash
        except EvmError:
            return None  # e.g. the fee cap forbids the bump: keep waiting on the original

    async def result_from_outcome(
        self,
        intent: OrderIntent,
        outcome: TxOutcome,
        cancel_hash: str | None,
        sent_at: float,
        notes: tuple[str, ...] = (),
    ) -> TxResult:
        report = self.reports.get(intent.intent_id)
        if report is not None:
            report.t_receipt = time.perf_counter()
        kind: ResultKind
        if cancel_hash is not None and outcome.tx_hash == cancel_hash:
            kind = "cancelled"
            reason = f"timeout: no receipt within {self.config.receipt_timeout_s:g}s, cancelled"
        elif outcome.ok:
            kind, reason = "landed", ""
        else:
            kind, reason = "reverted", f"reverted: {outcome.reason}"
        return TxResult(
            intent,
            kind,
            reason,
            receipt=outcome.receipt,
            base_fee_wei=await self.base_fee(outcome.receipt.block_number),
            sent_at=sent_at,
            arrived_at=time.time(),
            notes=notes,
        )

    async def base_fee(self, block_number: int) -> int:
        if block_number not in self._base_fees:
            header = await self.rpc.get_block(block_number)
            self._base_fees[block_number] = (
                header.base_fee_per_gas or 0 if header is not None else 0
            )
        return self._base_fees[block_number]

    async def aclose(self) -> None:
        if self.relay is not None:
            await self.relay.aclose()
        await self.rpc.aclose()
        await self._http.aclose()


async def _const(value: int) -> int:
    return value
