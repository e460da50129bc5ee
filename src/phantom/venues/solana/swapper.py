"""The Jupiter swapper: quote, build, check, sign, simulate, land; adaptive slippage tiers.

- ``enable_trading = False``: logs what it would do and sends nothing (result ``disabled``).
  No signer: result ``monitor_only``.
- Tiers (default 100, 300, 500, 1000 bps): each tier takes a **fresh quote**. The swapper moves to
  the next tier **only** on a slippage failure (custom error 6001 / 0x1771 in simulation, a
  preflight error or the landed transaction's error or logs); after the last tier the result is
  ``slippage_exhausted``. Any other error stops at once (``failed``).
- Before signing it checks the Jupiter-built transaction: the wallet pays the fee and holds a
  signature slot; through Jito the transaction itself tips at least ``jito_tip_lamports`` to an
  account from ``getTipAccounts`` (a static key, never through a lookup table); the compute-unit
  limit is within ``max_compute_unit_limit``.
- Landing (:class:`TransactionSender`): the same signed bytes are rebroadcast until confirmed or
  expired; only an expired transaction is re-quoted and re-signed (same tier, up to
  ``max_resigns`` times): an expired transaction can no longer land, so nothing executes twice.
- Realized amounts come from the landed transaction's pre/post token balances, never the quote.
- ``before_send(signature, last_valid_block_height, tier_bps)`` (optional) is called after signing
  and before the first broadcast: the place to journal the intent (write ahead, then act).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from solders.transaction import VersionedTransaction

from phantom.venues.solana.errors import RpcError, SolanaError
from phantom.venues.solana.jito import MIN_TIP_LAMPORTS, JitoClient
from phantom.venues.solana.jupiter import JupiterClient
from phantom.venues.solana.jupiter_models import PrioritizationFee, QuoteRequest, SwapRequest
from phantom.venues.solana.keystore import SolanaSigner
from phantom.venues.solana.rpc import SolanaRpc
from phantom.venues.solana.sender import LandingResult, TransactionSender
from phantom.venues.solana.txtools import (
    compute_budget,
    fee_payer,
    is_slippage_failure,
    sign_own_slot,
    signer_index,
    tips_to,
)

log = logging.getLogger(__name__)

SwapStatus = Literal[
    "disabled", "monitor_only", "landed", "slippage_exhausted", "failed", "expired"
]
BeforeSend = Callable[[str, int, int], Awaitable[None]]


class SwapperSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    enable_trading: bool = False
    slippage_tiers_bps: tuple[int, ...] = (100, 300, 500, 1000)
    compute_unit_price_micro_lamports: int = Field(default=10_000, ge=0)
    max_compute_unit_limit: int = Field(default=1_400_000, gt=0)
    use_jito: bool = False
    jito_tip_lamports: int = Field(default=MIN_TIP_LAMPORTS, ge=MIN_TIP_LAMPORTS)
    max_resigns: int = Field(default=2, ge=0)
    simulate_first: bool = True
    wrap_and_unwrap_sol: bool = True

    @field_validator("slippage_tiers_bps")
    @classmethod
    def _tiers(cls, tiers: tuple[int, ...]) -> tuple[int, ...]:
        if (
            not tiers
            or any(not 0 < t <= 10_000 for t in tiers)
            or list(tiers) != sorted(set(tiers))
        ):
            raise ValueError("slippage tiers must be increasing bps in (0, 10000]")
        return tiers


@dataclass(frozen=True, slots=True)
class SwapOrder:
    input_mint: str
    output_mint: str
    amount: int  # input atoms (exact in)
    reason: str = ""


@dataclass
class Attempt:
    tier_bps: int
    stage: str  # "quote", "simulate", "land"
    signature: str | None = None
    outcome: str = ""
    error: str = ""
    rebroadcasts: int = 0


@dataclass
class SwapResult:
    status: SwapStatus
    order: SwapOrder
    tier_bps: int | None = None
    signature: str | None = None
    in_amount: int = 0  # realized, from token balances
    out_amount: int = 0  # realized, from token balances
    quoted_out_amount: int = 0
    fee_lamports: int = 0
    priority_fee_lamports: int = 0
    tip_lamports: int = 0
    rebroadcasts: int = 0
    resigns: int = 0
    error: str = ""
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def tiers_tried(self) -> list[int]:
        return sorted({a.tier_bps for a in self.attempts})


class _Slippage(Exception):
    pass


class JupiterSwapper:
    def __init__(
        self,
        settings: SwapperSettings,
        *,
        jupiter: JupiterClient,
        rpc: SolanaRpc,
        sender: TransactionSender,
        signer: SolanaSigner | None,
        jito: JitoClient | None = None,
        before_send: BeforeSend | None = None,
    ) -> None:
        if settings.use_jito and jito is None:
            raise ValueError("use_jito needs a Jito client")
        self.settings = settings
        self.jupiter, self.rpc, self.sender, self.jito = jupiter, rpc, sender, jito
        self.signer = signer
        self.before_send = before_send

    def __repr__(self) -> str:
        who = self.signer.pubkey if self.signer else "monitor-only"
        return f"JupiterSwapper({who}, trading={'on' if self.settings.enable_trading else 'off'})"

    async def execute_swap(self, order: SwapOrder) -> SwapResult:
        cfg = self.settings
        if order.amount <= 0:
            return SwapResult("failed", order, error="the swap amount must be positive")
        if not cfg.enable_trading:
            log.info(
                "TRADING DISABLED: would swap %d atoms of %s for %s (%s); nothing sent",
                order.amount,
                order.input_mint,
                order.output_mint,
                order.reason or "no reason",
            )
            return SwapResult("disabled", order)
        if self.signer is None:
            log.warning("monitor-only (no Solana key): not swapping %s", order.reason)
            return SwapResult("monitor_only", order, error="no signing key configured")
        result = SwapResult("failed", order)
        try:
            tips = await self.jito.get_tip_accounts() if cfg.use_jito and self.jito else []
            for tier in cfg.slippage_tiers_bps:
                try:
                    done = await self._tier(order, tier, tips, result)
                except _Slippage:
                    log.warning("slippage at tier %d bps; escalating with a fresh quote", tier)
                    continue
                if done:
                    return result
            result.status = "slippage_exhausted"
            result.error = f"slippage exceeded at every tier {list(cfg.slippage_tiers_bps)} bps"
            log.error("all slippage tiers exhausted for %s", order.reason or order)
        except SolanaError as exc:
            result.status, result.error = "failed", str(exc)
            log.error("swap failed, not retrying: %s", exc)
        return result

    async def _tier(self, order: SwapOrder, tier: int, tips: list[str], result: SwapResult) -> bool:
        """One tier; True when the swap ended (landed, failed, expired), raises on slippage."""
        assert self.signer is not None
        cfg = self.settings
        resigns = 0
        while True:
            attempt = Attempt(tier, "quote")
            result.attempts.append(attempt)
            quote = await self.jupiter.quote(
                QuoteRequest(
                    input_mint=order.input_mint,
                    output_mint=order.output_mint,
                    amount=order.amount,
                    slippage_bps=tier,
                )
            )
            jito_fee = PrioritizationFee(jito_tip_lamports=cfg.jito_tip_lamports)
            request = SwapRequest(
                user_public_key=str(self.signer.pubkey),
                quote_response=quote,
                wrap_and_unwrap_sol=cfg.wrap_and_unwrap_sol,
                compute_unit_price_micro_lamports=(
                    None if cfg.use_jito else cfg.compute_unit_price_micro_lamports
                ),
                prioritization_fee_lamports=jito_fee if cfg.use_jito else None,
            )
            built = await self.jupiter.swap(request)
            tx = VersionedTransaction.from_bytes(built.transaction_bytes())
            tip = self._check(tx, tips)
            signed = sign_own_slot(tx, self.signer)
            raw, sig = bytes(signed), str(signed.signatures[signer_index(signed, self.signer)])
            attempt.signature = sig
            if cfg.simulate_first:
                attempt.stage = "simulate"
                sim = await self.rpc.simulate_transaction(raw, sig_verify=True)
                if sim.err is not None:
                    attempt.outcome, attempt.error = "simulation_failed", str(sim.err)
                    if is_slippage_failure(sim.err, sim.logs or ()):
                        raise _Slippage
                    result.status, result.error = "failed", f"simulation failed: {sim.err}"
                    return True
            if self.before_send is not None:
                await self.before_send(sig, built.last_valid_block_height, tier)
            attempt.stage = "land"
            try:
                landing = await self.sender.land(raw, sig, built.last_valid_block_height)
            except RpcError as exc:
                attempt.outcome, attempt.error = "rejected", str(exc)
                if is_slippage_failure(exc.data, exc.logs, exc.message):
                    raise _Slippage from None
                raise
            attempt.outcome, attempt.rebroadcasts = landing.outcome, landing.rebroadcasts
            result.rebroadcasts += landing.rebroadcasts
            if landing.outcome == "expired":
                resigns += 1
                result.resigns += 1
                if resigns > cfg.max_resigns:
                    result.status, result.signature = "expired", sig
                    result.error = f"blockhash expired {resigns} times; giving up"
                    return True
                log.warning("%s expired unlanded; re-quoting and re-signing", sig[:12])
                continue
            await self._settle(landing, tier, tip, quote.out_amount, result, attempt)
            return True

    def _check(self, tx: VersionedTransaction, tips: list[str]) -> int:
        from phantom.venues.solana.errors import TransactionRejected

        assert self.signer is not None
        cfg = self.settings
        if fee_payer(tx) != str(self.signer.pubkey):
            raise TransactionRejected("the built transaction is not paid by the wallet")
        signer_index(tx, self.signer)
        budget = compute_budget(tx)
        if budget.unit_limit is not None and budget.unit_limit > cfg.max_compute_unit_limit:
            raise TransactionRejected(
                f"the built transaction asks {budget.unit_limit} compute units "
                f"(max {cfg.max_compute_unit_limit})"
            )
        if not cfg.use_jito:
            return 0
        tip = tips_to(tx, tips)
        if tip < cfg.jito_tip_lamports:
            raise TransactionRejected(
                f"the built transaction tips {tip} lamports to Jito tip accounts; "
                f"{cfg.jito_tip_lamports} required in the same transaction"
            )
        return tip

    async def _settle(
        self,
        landing: LandingResult,
        tier: int,
        tip: int,
        quoted_out: int,
        result: SwapResult,
        attempt: Attempt,
    ) -> None:
        assert self.signer is not None
        record = await self.rpc.get_transaction(landing.signature)
        owner = str(self.signer.pubkey)
        logs = record.meta.log_messages if record else []
        if landing.outcome == "failed":
            attempt.error = str(landing.err)
            if is_slippage_failure(landing.err, logs):
                raise _Slippage
        result.tier_bps, result.signature = tier, landing.signature
        result.quoted_out_amount = quoted_out
        if record is not None:
            order = result.order
            result.fee_lamports = record.meta.fee
            result.in_amount = -record.meta.token_delta(owner, order.input_mint)
            result.out_amount = record.meta.token_delta(owner, order.output_mint)
            tx = VersionedTransaction.from_bytes(_tx_bytes(record.transaction))
            result.priority_fee_lamports = compute_budget(tx).priority_fee_lamports
        if landing.outcome == "failed":
            result.status, result.error = "failed", f"landed with error {landing.err}"
            return
        result.status, result.tip_lamports = "landed", tip
        log.info(
            "swap landed %s at tier %d bps: in %d, out %d (quoted %d), %d rebroadcasts",
            landing.signature[:12],
            tier,
            result.in_amount,
            result.out_amount,
            quoted_out,
            landing.rebroadcasts,
        )


def _tx_bytes(field_value: object) -> bytes:
    import base64

    if isinstance(field_value, list) and field_value and isinstance(field_value[0], str):
        return base64.b64decode(field_value[0])
    raise SolanaError("getTransaction did not return the transaction as base64")


async def maybe_refuel(
    swapper: JupiterSwapper,
    rpc: SolanaRpc,
    *,
    critical_lamports: int,
    replenish_atoms: int,
    usdc_mint: str,
    sol_mint: str,
) -> SwapResult | None:
    """Gas refuel: below ``critical_lamports`` of SOL, swap ``replenish_atoms`` USDC into SOL."""
    if swapper.signer is None:
        return None
    lamports = await rpc.get_balance(str(swapper.signer.pubkey))
    if lamports >= critical_lamports:
        return None
    log.warning("SOL critical (%d lamports < %d): refuelling", lamports, critical_lamports)
    order = SwapOrder(usdc_mint, sol_mint, replenish_atoms, reason="Gas Refuel")
    return await swapper.execute_swap(order)
