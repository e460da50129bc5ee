"""What the chain says about an intent's signatures, the fill built from it, and restart
reconciliation. The live client settles every execution with the same code a restart uses.

**Reading the outcome** (:func:`read_outcome`) of the journaled signatures of one intent: the
block height first, then ``getSignatureStatuses`` with ``searchTransactionHistory``:

- some signature has a status: it *landed*; once every landed one reached the target commitment
  its ``getTransaction`` records are read (``landed``), until then ``pending``;
- none has a status and the height read *before* the statuses is past the highest
  ``lastValidBlockHeight``: nothing can land any more (``expired``);
- otherwise ``unknown``: it may still land.

**The fill** (:func:`fill_from_landed`) comes from the landed transactions' ``meta`` only:
the wallet's pre/post token balances per mint and its pre/post lamports (fee, priority fee, tip),
never a quote. ``fee`` is each leg's LP fee (``floor(in * fee_bps / 10_000)`` of its realized
input); ``slippage`` is the value lost against the pools' mid prices just before each leg (their
vaults' pre-balances in the same ``meta``): ``ideal - out - fee``, as in paper fills, so
``pnl_usd == edge_usd - costs.total``. A landed transaction with an error makes the fill FAILED
and it still books what was paid. Nothing landed: a FAILED fill with no delta and no cost (a
Jito bundle that does not land pays nothing).

**Restart** (:func:`reconcile_pending`): for each pending intent of the ledger, no journaled
signature -> *abandon* (nothing was sent); ``landed`` -> *book* (``Ledger.record_fill`` refuses a
second fill, so booking is exactly once); ``expired`` -> *abandon*; ``pending``/``unknown`` ->
poll until one of those or ``wait_s`` (then *unresolved*: the intent stays pending for the next
start). Reconciliation never re-broadcasts.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from solders.transaction import VersionedTransaction

from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.execution.fill_builder import fill_id_for, net_deltas, usd
from phantom.execution.solana_journal import SolanaTxJournal, SolanaTxRecord
from phantom.market.solana_source import SolanaVenue
from phantom.market.state import MarketView
from phantom.venues.solana.errors import MalformedResponse, NoHealthyEndpoint, RpcTransportError
from phantom.venues.solana.rpc import Commitment, SolanaRpc, TransactionRecord
from phantom.venues.solana.txtools import compute_budget, tips_to

State = Literal["landed", "pending", "expired", "unknown"]
Action = Literal["book", "abandon", "unresolved"]
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LandedTx:
    signature: str
    attempt: int
    leg: int
    tier_bps: int
    record: TransactionRecord
    tx: VersionedTransaction


@dataclass(frozen=True, slots=True)
class ChainOutcome:
    state: State
    landed: tuple[LandedTx, ...] = ()
    height: int = 0


@dataclass(frozen=True, slots=True)
class BookContext:
    """What turning landed transactions into a fill needs besides the intent."""

    owner: str  # the wallet's public key
    tokens: Mapping[str, Token]  # mint -> token
    native: Token
    pool_fee_bps: Mapping[str, int]  # pool id -> LP fee in bps
    vaults: Mapping[str, Mapping[str, str]]  # pool id -> mint -> vault address
    tip_accounts: frozenset[str]
    market: MarketView  # reference USD prices at booking time

    @classmethod
    def of(
        cls, venue: SolanaVenue, owner: str, tip_accounts: frozenset[str], market: MarketView
    ) -> BookContext:
        return cls(
            owner=owner,
            tokens=venue.tokens(),
            native=venue.native,
            pool_fee_bps={p.pool_id: p.fee_bps for p in venue.pools},
            vaults={
                p.pool_id: {p.token0.address: p.vault0, p.token1.address: p.vault1}
                for p in venue.pools
            },
            tip_accounts=tip_accounts,
            market=market,
        )


def decode_tx(record: TransactionRecord) -> VersionedTransaction:
    blob = record.transaction
    if isinstance(blob, list) and blob and isinstance(blob[0], str):
        return VersionedTransaction.from_bytes(base64.b64decode(blob[0]))
    raise MalformedResponse("the transaction is not base64 encoded", method="getTransaction")


async def read_outcome(
    rpc: SolanaRpc, records: Sequence[SolanaTxRecord], commitment: Commitment
) -> ChainOutcome:
    """The chain's view of ``records`` (one intent's signatures; see the module docstring)."""
    if not records:
        return ChainOutcome("expired")
    height = await rpc.get_block_height()  # first: a landing after this read shows below
    found: list[tuple[SolanaTxRecord, bool]] = []
    for start in range(0, len(records), 256):
        chunk = list(records[start : start + 256])
        statuses = await rpc.get_signature_statuses(
            [r.signature for r in chunk], search_history=True
        )
        found += [(r, s.reached(commitment)) for r, s in zip(chunk, statuses, strict=True) if s]
    if not found:
        if height > max(r.last_valid_block_height for r in records):
            return ChainOutcome("expired", height=height)
        return ChainOutcome("unknown", height=height)
    if not all(reached for _, reached in found):
        return ChainOutcome("pending", height=height)
    got = await asyncio.gather(*(rpc.get_transaction(r.signature) for r, _ in found))
    landed: list[LandedTx] = []
    for (rec, _), tx_record in zip(found, got, strict=True):
        if tx_record is None:
            return ChainOutcome("pending", height=height)
        landed.append(
            LandedTx(rec.signature, rec.attempt, rec.leg, rec.tier_bps, tx_record,
                     decode_tx(tx_record))
        )  # fmt: skip
    return ChainOutcome("landed", tuple(landed), height)


# --- fills ---------------------------------------------------------------------------------


def _account_index(tx: VersionedTransaction, key: str) -> int | None:
    keys = [str(k) for k in tx.message.account_keys]
    return keys.index(key) if key in keys else None


def _wallet_changes(landed: LandedTx, ctx: BookContext) -> tuple[list[tuple[Token, int]], str]:
    meta = landed.record.meta
    changes: list[tuple[Token, int]] = []
    untracked = ""
    mints = {
        row.mint
        for row in (*meta.pre_token_balances, *meta.post_token_balances)
        if row.owner == ctx.owner
    }
    for mint in sorted(mints):
        delta = meta.token_delta(ctx.owner, mint)
        token = ctx.tokens.get(mint)
        if token is None:
            untracked += f" untracked mint {mint} delta {delta};"
        elif delta:
            changes.append((token, delta))
    index = _account_index(landed.tx, ctx.owner)
    if index is not None:
        lamports = meta.post_balances[index] - meta.pre_balances[index]
        if lamports:
            changes.append((ctx.native, lamports))
    return changes, untracked


def _vault_balance(landed: LandedTx, vault: str) -> int | None:
    index = _account_index(landed.tx, vault)
    for row in landed.record.meta.pre_token_balances:
        if row.account_index == index:
            return row.ui_token_amount.amount
    return None


def _ideal_out(intent: OrderIntent, legs: Mapping[int, LandedTx], ctx: BookContext) -> Decimal:
    """The realized input carried through the legs at each pool's mid price just before its
    leg (vault pre-balances), in base units of the output token; 0 when it cannot be read."""
    first = legs.get(0)
    if first is None:
        return _ZERO
    amount = Decimal(-first.record.meta.token_delta(ctx.owner, intent.legs[0].token_in.address))
    for k, leg in enumerate(intent.legs):
        landed = legs.get(k)
        vaults = ctx.vaults.get(leg.pool_id, {})
        if landed is None:
            return _ZERO
        r_in = _vault_balance(landed, vaults.get(leg.token_in.address, ""))
        r_out = _vault_balance(landed, vaults.get(leg.token_out.address, ""))
        if not r_in or r_out is None:
            return _ZERO
        amount = amount * r_out / r_in
    return amount


def fill_from_landed(
    intent: OrderIntent,
    landed: Sequence[LandedTx],
    ctx: BookContext,
    *,
    sent_at: float,
    arrived_at: float,
    reason: str = "",
    notes: Sequence[str] = (),
) -> Fill:
    """The fill of ``intent`` from what landed (see the module docstring)."""
    market = ctx.market
    if not landed:
        return Fill(
            fill_id_for(intent.intent_id), intent.intent_id, intent.engine, FillStatus.FAILED,
            intent.route, sent_at, arrived_at, 0, 0, (), CostBreakdown(), _ZERO,
            fill_fraction=_ZERO, failure_reason=reason or "not landed",
            notes=(*notes, f"failed: {reason or 'not landed'}; nothing landed, nothing paid"),
        )  # fmt: skip
    changes: list[tuple[Token, int]] = []
    amount_in = amount_out = 0
    fee = gas = priority = tip = _ZERO
    lamports = {"fee": 0, "priority": 0, "tip": 0}
    errors: list[str] = []
    ideal_usd = _ZERO
    out_notes = list(notes)
    by_attempt: dict[int, dict[int, LandedTx]] = {}
    for tx in sorted(landed, key=lambda t: (t.attempt, t.leg)):
        by_attempt.setdefault(tx.attempt, {})[tx.leg] = tx
        meta = tx.record.meta
        tx_changes, untracked = _wallet_changes(tx, ctx)
        changes += tx_changes
        leg = intent.legs[tx.leg]
        leg_in = -meta.token_delta(ctx.owner, leg.token_in.address)
        if tx.leg == 0:
            amount_in += leg_in
        if tx.leg == len(intent.legs) - 1:
            amount_out += meta.token_delta(ctx.owner, leg.token_out.address)
        if meta.err is None and leg_in > 0:
            lp_fee = leg_in * ctx.pool_fee_bps.get(leg.pool_id, 0) // 10_000
            fee += usd(leg.token_in, lp_fee, market)
        prio = min(compute_budget(tx.tx).priority_fee_lamports, meta.fee)
        paid_tip = tips_to(tx.tx, ctx.tip_accounts)
        lamports["fee"] += meta.fee
        lamports["priority"] += prio
        lamports["tip"] += paid_tip
        gas += usd(ctx.native, meta.fee - prio, market)
        priority += usd(ctx.native, prio, market)
        tip += usd(ctx.native, paid_tip, market)
        if meta.err is not None:
            errors.append(f"leg {tx.leg}: {meta.err}")
        out_notes.append(
            f"tx {tx.signature} attempt {tx.attempt} leg {tx.leg} tier {tx.tier_bps} bps slot "
            f"{tx.record.slot} fee {meta.fee} tip {paid_tip}"
            + (f" err {meta.err}" if meta.err is not None else "")
            + untracked
        )
    for legs in by_attempt.values():
        ideal_usd += usd(intent.token_out, int(_ideal_out(intent, legs, ctx)), market)
    deltas: tuple[BalanceDelta, ...] = net_deltas(changes)
    pnl = sum((usd(d.token, d.amount, market) for d in deltas), _ZERO)
    value_in = usd(intent.token_in, amount_in, market)
    value_out = usd(intent.token_out, amount_out, market)
    status = FillStatus.FAILED if errors else FillStatus.FILLED
    slippage = _ZERO if errors or not ideal_usd else ideal_usd - value_out - fee
    costs = CostBreakdown(fee=fee, slippage=slippage, gas=gas, priority_fee=priority, tip=tip)
    if not errors and ideal_usd:
        out_notes.append(f"edge_usd={ideal_usd - value_in}")
    out_notes.append(
        f"network: fee {lamports['fee']} (priority {lamports['priority']}) + tip "
        f"{lamports['tip']} lamports"
    )
    failure = ""
    if errors:
        failure = reason or f"landed_with_error: {'; '.join(errors)}"
    return Fill(
        fill_id_for(intent.intent_id), intent.intent_id, intent.engine, status, intent.route,
        sent_at, arrived_at, amount_in, amount_out, deltas, costs, pnl,
        fill_fraction=_ZERO if errors else Decimal(1), failure_reason=failure,
        notes=tuple(out_notes),
    )  # fmt: skip


# --- restart -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reconciled:
    intent: OrderIntent
    action: Action
    reason: str
    landed: tuple[LandedTx, ...] = ()
    sent_at: float = 0.0


async def await_outcome(
    rpc: SolanaRpc,
    records: Sequence[SolanaTxRecord],
    commitment: Commitment,
    *,
    wait_s: float,
    poll_s: float,
    settle_on: frozenset[State] = frozenset({"landed", "expired"}),
) -> ChainOutcome:
    """Poll :func:`read_outcome` until its state is in ``settle_on`` or ``wait_s`` passed (then
    the last state). A transport failure counts as ``pending``: never assume."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            outcome = await read_outcome(rpc, records, commitment)
        except (RpcTransportError, NoHealthyEndpoint):
            outcome = ChainOutcome("pending")
        if outcome.state in settle_on or time.monotonic() >= deadline:
            return outcome
        await asyncio.sleep(poll_s)


async def reconcile_one(
    rpc: SolanaRpc,
    journal: SolanaTxJournal,
    intent: OrderIntent,
    *,
    commitment: Commitment,
    wait_s: float,
    poll_s: float = 0.2,
) -> Reconciled:
    records = journal.txs_for(intent.intent_id)
    if not records:
        reason = "restart: no signature was journaled for it, nothing was sent"
        return Reconciled(intent, "abandon", reason)
    sent_at = records[0].recorded_at
    outcome = await await_outcome(rpc, records, commitment, wait_s=wait_s, poll_s=poll_s)
    if outcome.state == "landed":
        sigs = ", ".join(t.signature[:12] for t in outcome.landed)
        reason = f"restart: landed ({sigs}), booked from its balances"
        return Reconciled(intent, "book", reason, outcome.landed, sent_at)
    if outcome.state == "expired":
        top = max(r.last_valid_block_height for r in records)
        reason = f"restart: never landed; block height {outcome.height} > {top}, expired"
        return Reconciled(intent, "abandon", reason, (), sent_at)
    reason = f"restart: still {outcome.state} after {wait_s:g}s"
    return Reconciled(intent, "unresolved", reason, (), sent_at)


async def reconcile_pending(
    rpc: SolanaRpc,
    journal: SolanaTxJournal,
    pending: Sequence[OrderIntent],
    *,
    commitment: Commitment,
    wait_s: float,
    poll_s: float = 0.2,
) -> list[Reconciled]:
    """Decide every pending intent (see the module docstring), concurrently."""
    return list(
        await asyncio.gather(
            *(
                reconcile_one(rpc, journal, i, commitment=commitment, wait_s=wait_s, poll_s=poll_s)
                for i in pending
            )
        )
    )
