"""Live Solana execution: an arbitrage cycle as Jupiter swaps landed together in one Jito bundle
(a directional engine's one-leg swap is a bundle of one; its bound is its own ``min_amount_out``).

An :class:`~phantom.execution.client.ExecutionClient` for a synchronous loop, like the EVM
client: ``submit`` hands the work to the venue's asyncio loop (``AsyncBridge``), ``due`` turns
what finished into fills on the caller's thread with the caller's prices. Jupiter quotes
single-hop ExactIn swaps, so a cycle of ``n`` legs is ``n`` swap transactions in **one Jito
bundle** (in order, all-or-nothing: the cycle is atomic). Per intent and slippage tier: quote
leg by leg (the quoted cycle must still return ``min_amount_out``, which is also the last leg's
on-chain bound), build, check and sign every leg, simulate every leg (slippage -> next tier),
**journal every signature** (write ahead), then send the same bundle until confirmed, expired
(re-sign) or reported ``Failed`` by the block engine (simulate again: slippage -> next tier).
The fill is read from the landed transactions' balances over every signature journaled for the
intent. Anything unexpected once a signature is journaled leaves the intent *unresolved* for
restart reconciliation. The whole story: ``docs/live-solana.md``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field
from solders.transaction import VersionedTransaction

from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.execution.client import ExecutionOutcome
from phantom.execution.evm_bridge import AsyncBridge
from phantom.execution.solana_journal import (
    ROUTE,
    ResultKind,
    SignedTx,
    SolanaReport,
    SolanaResult,
    SolanaTxJournal,
)
from phantom.execution.solana_reconcile import (
    BookContext,
    LandedTx,
    await_outcome,
    fill_from_landed,
)
from phantom.market.solana_source import SolanaVenue
from phantom.market.state import MarketView
from phantom.venues.solana.errors import (
    JitoError,
    JupiterError,
    NoHealthyEndpoint,
    RpcTransportError,
    SolanaError,
    TransactionRejected,
)
from phantom.venues.solana.jito import MIN_TIP_LAMPORTS, JitoClient
from phantom.venues.solana.jupiter import JupiterClient
from phantom.venues.solana.jupiter_models import (
    PrioritizationFee,
    QuoteRequest,
    QuoteResponse,
    SwapRequest,
)
from phantom.venues.solana.keystore import SolanaSigner
from phantom.venues.solana.router import EndpointConfig, RouterPolicy, SmartRouter
from phantom.venues.solana.rpc import Commitment, SolanaRpc
from phantom.venues.solana.txtools import (
    compute_budget,
    fee_payer,
    is_slippage_failure,
    sign_own_slot,
    signer_index,
    tips_to,
)

log = logging.getLogger(__name__)


class SolanaExecConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    slippage_tiers_bps: tuple[int, ...] = (100, 300, 500, 1000)
    compute_unit_price_micro_lamports: int = Field(default=10_000, ge=0)
    max_compute_unit_limit: int = Field(default=1_400_000, gt=0)
    jito_tip_lamports: int = Field(default=MIN_TIP_LAMPORTS, ge=MIN_TIP_LAMPORTS)
    max_resigns: int = Field(default=2, ge=0)
    rebroadcast_interval_s: float = Field(default=2.0, gt=0)
    poll_interval_s: float = Field(default=0.2, gt=0)
    commitment: Commitment = "confirmed"
    failed_grace_blocks: int = Field(default=2, ge=1)
    rpc_timeout_s: float = Field(default=10.0, gt=0)
    deadline_s: float = Field(default=600.0, gt=0)


@dataclass(frozen=True, slots=True)
class _Bundle:
    tier: int
    txs: tuple[VersionedTransaction, ...]
    raws: tuple[bytes, ...]
    sigs: tuple[str, ...]
    last_valid_block_height: int
    tip: int


class SolanaLiveClient:
    """Live execution of arbitrage cycles as Jito bundles of Jupiter swaps (module docstring)."""

    def __init__(
        self,
        venue: SolanaVenue,
        config: SolanaExecConfig,
        signer: SolanaSigner,
        journal: SolanaTxJournal,
        bridge: AsyncBridge,
        *,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.venue, self.config, self.journal, self.bridge = venue, config, journal, bridge
        self._signer = signer
        self.owner = str(signer.pubkey)
        policy = RouterPolicy(timeout_s=config.rpc_timeout_s)
        self.router = SmartRouter([EndpointConfig(url=u) for u in venue.rpc_urls], policy)
        self.rpc = SolanaRpc(self.router, commitment=config.commitment)
        self.jupiter = JupiterClient(venue.jupiter_url)
        self.jito = JitoClient(venue.jito_url)
        self._http = httpx.AsyncClient(timeout=config.rpc_timeout_s)
        self._ids = itertools.count(1)
        self.tip_accounts: frozenset[str] = frozenset()
        self.reports: dict[str, SolanaReport] = {}
        self.results: dict[str, SolanaResult] = {}  # finished, by intent id (until taken)
        self._notify = notify or (lambda: None)
        self._done: queue.SimpleQueue[SolanaResult] = queue.SimpleQueue()
        self._deadlines: dict[str, float] = {}
        self._unresolved: list[SolanaResult] = []

    async def prepare(self) -> None:
        """Fetch the block engine's tip accounts (once, before the first intent)."""
        self.tip_accounts = frozenset(await self.jito.get_tip_accounts())

    async def aclose(self) -> None:
        await self.router.aclose()
        await self.jupiter.aclose()
        await self.jito.aclose()
        await self._http.aclose()

    # --- ExecutionClient ------------------------------------------------------------------

    def submit(self, intent: OrderIntent, sent_at: float) -> float:
        if intent.intent_id in self._deadlines:
            raise ValueError(f"intent {intent.intent_id} is already in flight")
        self.reports[intent.intent_id] = SolanaReport(intent.intent_id, time.perf_counter())
        deadline = sent_at + self.config.deadline_s
        self._deadlines[intent.intent_id] = deadline
        self.bridge.spawn(self._run(intent, sent_at))
        return deadline

    def next_due(self) -> float | None:
        return min(self._deadlines.values(), default=None)

    def in_flight(self) -> int:
        return len(self._deadlines)

    def due(self, now: float, market: MarketView) -> list[ExecutionOutcome]:
        out: list[ExecutionOutcome] = []
        while True:
            try:
                result = self._done.get_nowait()
            except queue.Empty:
                return out
            self._deadlines.pop(result.intent.intent_id, None)
            if result.kind == "unresolved":
                self._unresolved.append(result)
                continue
            self.results[result.intent.intent_id] = result
            out.append(ExecutionOutcome(self.fill_for(result, market)))

    def take_unresolved(self) -> list[SolanaResult]:
        taken, self._unresolved = self._unresolved, []
        return taken

    def book_context(self, market: MarketView) -> BookContext:
        return BookContext.of(self.venue, self.owner, self.tip_accounts, market)

    def fill_for(self, result: SolanaResult, market: MarketView) -> Fill:
        reason = "" if result.kind == "landed" else result.reason
        return fill_from_landed(
            result.intent, result.landed, self.book_context(market), sent_at=result.sent_at,
            arrived_at=result.arrived_at, reason=reason, notes=result.notes,
        )  # fmt: skip

    # --- the venue loop -------------------------------------------------------------------

    async def _run(self, intent: OrderIntent, sent_at: float) -> None:
        try:
            kind, reason = await self._pipeline(intent)
            result = await self._final(intent, kind, reason, sent_at)
        except Exception as exc:  # a bug or an unexpected venue failure: never lose the intent
            signed = bool(self.journal.txs_for(intent.intent_id))
            reason = refused_reason(exc)
            kind = "unresolved" if signed else "refused"
            result = SolanaResult(intent, kind, reason, sent_at, time.time())
            log.warning("intent %s %s: %s", intent.intent_id, kind, reason)
        self.reports[intent.intent_id].t_settled = time.perf_counter()
        self._done.put(result)
        self._notify()

    async def _pipeline(self, intent: OrderIntent) -> tuple[ResultKind, str]:
        cfg, report = self.config, self.reports[intent.intent_id]
        for tier in cfg.slippage_tiers_bps:
            report.tiers_tried.append(tier)
            resigns = 0
            while True:
                bundle = await self._prepare(intent, tier)
                if isinstance(bundle, str):
                    return "refused", bundle
                sim = await self._simulate(bundle)
                if sim == "slippage":
                    break
                if sim:
                    return "refused", sim
                report.attempts += 1
                self.journal.record_attempt(
                    intent_id=intent.intent_id, attempt=report.attempts, tier_bps=tier,
                    last_valid_block_height=bundle.last_valid_block_height, route=ROUTE,
                    signer=self.owner, tip_lamports=bundle.tip,
                    txs=[SignedTx(s, k, r) for k, (s, r) in
                         enumerate(zip(bundle.sigs, bundle.raws, strict=True))],
                )  # fmt: skip
                report.t_journaled = report.t_journaled or time.perf_counter()
                report.signatures += bundle.sigs
                outcome = await self._land(bundle, report)
                if outcome == "confirmed":
                    report.tier_bps, report.tip_lamports = tier, bundle.tip
                    return "landed", ""
                if outcome == "expired":
                    resigns += 1
                    if resigns > cfg.max_resigns:
                        return "failed", f"expired: the blockhash expired {resigns} times unlanded"
                    log.warning("%s: bundle expired unlanded; re-quoting", intent.intent_id)
                    continue
                sim = await self._simulate(bundle)  # the bundle failed on landing: why?
                if sim == "slippage":
                    break
                return "failed", "bundle_failed: the bundle reverted on landing" + (
                    f" ({sim})" if sim else ""
                )
            log.warning("%s: slippage at %d bps; escalating", intent.intent_id, tier)
        tiers = list(cfg.slippage_tiers_bps)
        return "failed", f"slippage_exhausted: slippage at every tier {tiers} bps"

    async def _quote(self, leg_in: Token, leg_out: Token, amount: int, bps: int) -> QuoteResponse:
        request = QuoteRequest(
            input_mint=leg_in.address, output_mint=leg_out.address, amount=amount,
            slippage_bps=bps,
        )  # fmt: skip
        return await self.jupiter.quote(request)

    async def _prepare(self, intent: OrderIntent, tier: int) -> _Bundle | str:
        """Quotes, swaps, checks and signatures; a string is why the intent is refused."""
        cfg = self.config
        quotes: list[QuoteResponse] = []
        amount, bound = intent.amount_in, intent.min_amount_out
        expected = max(intent.expected_amount_out, 1)
        # the last leg's bound is the cycle's: ask for the engine's tolerance up front (re-quoted
        # below only when the quote comes out under the engine's expectation)
        last_bps = min(tier, max(0, (expected - bound) * 10_000 // expected))
        for k, leg in enumerate(intent.legs):
            bps = last_bps if k == len(intent.legs) - 1 else tier
            quote = await self._quote(leg.token_in, leg.token_out, amount, bps)
            plan = quote.route_plan
            if len(plan) != 1 or plan[0].swap_info.amm_key != self.venue.pool(leg.pool_id).amm_key:
                return f"route: the quote for {leg.pool_id} does not route through that pool"
            quotes.append(quote)
            amount = quote.out_amount
        if amount < bound:
            return f"unprofitable: the quoted route returns {amount} < min_amount_out {bound}"
        if quotes[-1].other_amount_threshold < bound:
            leg = intent.legs[-1]
            tight = (amount - bound) * 10_000 // amount
            quotes[-1] = await self._quote(leg.token_in, leg.token_out, quotes[-1].in_amount, tight)
            floor = quotes[-1].other_amount_threshold
            if floor < bound:
                return f"unprofitable: the last leg's bound {floor} < min_amount_out {bound}"
        last = len(quotes) - 1
        tip_fee = PrioritizationFee(jito_tip_lamports=cfg.jito_tip_lamports)
        requests = [
            SwapRequest(
                user_public_key=self.owner, quote_response=q, wrap_and_unwrap_sol=False,
                compute_unit_price_micro_lamports=(
                    None if k == last else cfg.compute_unit_price_micro_lamports
                ),
                prioritization_fee_lamports=tip_fee if k == last else None,
            )
            for k, q in enumerate(quotes)
        ]  # fmt: skip
        built = await asyncio.gather(*(self.jupiter.swap(r) for r in requests))
        txs = [VersionedTransaction.from_bytes(b.transaction_bytes()) for b in built]
        for tx in txs:
            self._check(tx)
        tip = tips_to(txs[-1], self.tip_accounts)
        if tip < cfg.jito_tip_lamports:
            raise TransactionRejected(
                f"the bundle tips {tip} lamports to tip accounts; {cfg.jito_tip_lamports} required"
            )
        signed = tuple(sign_own_slot(tx, self._signer) for tx in txs)
        report = self.reports[intent.intent_id]
        report.t_signed = report.t_signed or time.perf_counter()
        raws = tuple(bytes(s) for s in signed)
        sigs = tuple(str(s.signatures[0]) for s in signed)
        valid = min(b.last_valid_block_height for b in built)
        return _Bundle(tier, signed, raws, sigs, valid, tip)

    def _check(self, tx: VersionedTransaction) -> None:
        if fee_payer(tx) != self.owner:
            raise TransactionRejected("the built transaction is not paid by the wallet")
        if signer_index(tx, self._signer) != 0:
            raise TransactionRejected("the wallet's signature is not the transaction's first")
        limit = compute_budget(tx).unit_limit
        if limit is not None and limit > self.config.max_compute_unit_limit:
            raise TransactionRejected(
                f"the built transaction asks {limit} compute units "
                f"(max {self.config.max_compute_unit_limit})"
            )

    async def _simulate(self, bundle: _Bundle) -> str:
        """Simulate every leg: ``""`` when all pass, ``"slippage"``, or why one failed."""
        sims = await asyncio.gather(
            *(self.rpc.simulate_transaction(raw, sig_verify=True) for raw in bundle.raws)
        )
        failures = [(k, s) for k, s in enumerate(sims) if s.err is not None]
        if any(is_slippage_failure(s.err, s.logs or ()) for _, s in failures):
            return "slippage"
        if failures:
            k, sim = failures[0]
            return f"simulation: leg {k} failed: {sim.err}"
        return ""

    async def _inflight(self, bundle_id: str) -> str:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": "getInflightBundleStatuses",
                "params": [[bundle_id]]}  # fmt: skip
        try:
            resp = await self._http.post(
                self.venue.jito_url.rstrip("/") + "/api/v1/getInflightBundleStatuses",
                content=orjson.dumps(body), headers={"content-type": "application/json"},
            )  # fmt: skip
            value = orjson.loads(resp.content)["result"]["value"]
            return str(value[0]["status"]) if value and value[0] else "Invalid"
        except (httpx.HTTPError, orjson.JSONDecodeError, KeyError, TypeError, IndexError):
            return "Unknown"

    async def _land(self, bundle: _Bundle, report: SolanaReport) -> str:
        """``confirmed``, ``expired`` or ``failed`` (see the module docstring). Never re-signs."""
        cfg = self.config
        sends, last_send, sending = 0, -float("inf"), True
        bundle_id: str | None = None
        failed_at: int | None = None
        while True:
            if sending and time.monotonic() - last_send >= cfg.rebroadcast_interval_s:
                last_send = time.monotonic()
                sends += 1
                try:
                    bundle_id = await self.jito.send_bundle(list(bundle.raws))
                    report.t_sent = report.t_sent or time.perf_counter()
                except JitoError as exc:  # the next rebroadcast tries again
                    log.warning("bundle delivery %d failed: %s", sends, exc)
                report.rebroadcasts += 1 if sends > 1 else 0
            try:
                state, failed_at = await self._look(bundle, bundle_id, sending, failed_at)
            except (RpcTransportError, NoHealthyEndpoint) as exc:  # unknown: never assume
                log.warning("landing status unavailable: %s", exc)
                state = "waiting"
            if state in ("confirmed", "expired", "failed"):
                return state
            if state == "landed" or failed_at is not None:
                sending = False  # landed, or the engine dropped it: never resend these bytes
            await asyncio.sleep(cfg.poll_interval_s)

    async def _look(
        self, bundle: _Bundle, bundle_id: str | None, sending: bool, failed_at: int | None
    ) -> tuple[str, int | None]:
        """One look at the chain: ``(confirmed | expired | failed | landed | waiting, failed_at)``
        (``landed``: seen below the commitment, stop sending)."""
        rpc, cfg = self.rpc, self.config
        statuses = await rpc.get_signature_statuses(list(bundle.sigs))
        if any(statuses):
            if all(s is not None and s.reached(cfg.commitment) for s in statuses):
                return "confirmed", failed_at
            return "landed", failed_at
        height = await rpc.get_block_height()
        if height > bundle.last_valid_block_height or (
            failed_at is not None and height >= failed_at + cfg.failed_grace_blocks
        ):
            found = await rpc.get_signature_statuses(list(bundle.sigs), search_history=True)
            if not any(found):
                return ("expired" if failed_at is None else "failed"), failed_at
        elif sending and bundle_id is not None and await self._inflight(bundle_id) == "Failed":
            return "waiting", height
        return "waiting", failed_at

    async def _final(
        self, intent: OrderIntent, kind: ResultKind, reason: str, sent_at: float
    ) -> SolanaResult:
        """The outcome over every signature journaled for the intent (an earlier attempt could
        only land before it expired; this books whatever did, exactly once)."""
        records = self.journal.txs_for(intent.intent_id)
        landed: tuple[LandedTx, ...] = ()
        if records:
            cfg = self.config
            outcome = await await_outcome(
                self.rpc, records, cfg.commitment, wait_s=cfg.deadline_s,
                poll_s=cfg.poll_interval_s, settle_on=frozenset({"landed", "expired", "unknown"}),
            )  # fmt: skip
            if outcome.state == "pending":
                return SolanaResult(intent, "unresolved", "landed, never confirmed", sent_at,
                                    time.time())  # fmt: skip
            landed = outcome.landed
        if landed:
            errs = [t for t in landed if t.record.meta.err is not None]
            kind = "failed" if errs else "landed"
            reason = "landed_with_error: a leg landed with an error" if errs else ""
        elif kind == "landed":  # confirmed, then not found: should never happen
            return SolanaResult(
                intent, "unresolved", "confirmed but unreadable", sent_at, time.time()
            )
        report = self.reports[intent.intent_id]
        notes = (f"tiers tried {report.tiers_tried}; attempts {report.attempts}; "
                 f"rebroadcasts {report.rebroadcasts}",)  # fmt: skip
        return SolanaResult(intent, kind, reason, sent_at, time.time(), landed, notes)


def refused_reason(exc: BaseException) -> str:
    """A short reason for an exception that stopped an intent (``label: detail``)."""
    labels = ((TransactionRejected, "rejected"), (JupiterError, "jupiter"), (SolanaError, "venue"))
    label = next((name for kind, name in labels if isinstance(exc, kind)), "error")
    return f"{label}: {type(exc).__name__}: {exc}"
