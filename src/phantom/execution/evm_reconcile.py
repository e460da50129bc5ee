"""Restart reconciliation of live EVM intents: the journal against the chain.

After a crash the ledger lists the intents that were pending. For each, the EVM transaction
journal holds every transaction signed for it (hash, nonce, purpose). The chain decides:

1. **no transaction was signed**: nothing can have been sent -> *abandon*;
2. **a receipt exists** for one of them (the order, a replacement or a cancellation) -> *book* the
   fill from that receipt (``Ledger.record_fill`` refuses a second fill for the intent, so a
   repeated reconciliation books it exactly once);
3. **no receipt, but the node still has one pending** -> take it over (``TxManager.adopt``), wait
   up to ``wait_s``; if it is still not mined, cancel it (same nonce, bumped fees) and wait again;
   book whichever lands. Still nothing: *unresolved*, the intent stays pending for the next start;
4. **unknown to the node, and its nonce already used by another transaction** -> *abandon*: it
   can never land;
5. **unknown to the node, nonce unused** -> *abandon*: the crash came between signing and the
   broadcast (or the node dropped it). Only this process holds the raw bytes and it never
   re-broadcasts them, and its next send reuses the nonce, which invalidates them for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from phantom.core.orders import OrderIntent
from phantom.execution.evm_journal import TxRecord
from phantom.execution.evm_live import EvmLiveClient
from phantom.execution.evm_types import TxResult, set_signing
from phantom.venues.evm.errors import EvmError, ReceiptTimeout, RpcError, TxDropped
from phantom.venues.evm.models import Receipt
from phantom.venues.evm.revert import RevertReason, reason_from_error
from phantom.venues.evm.rpc import call_object
from phantom.venues.evm.txtypes import TxOutcome

Action = Literal["book", "abandon", "unresolved"]


@dataclass(frozen=True, slots=True)
class Reconciled:
    intent: OrderIntent
    action: Action
    reason: str
    result: TxResult | None = None  # set when action == "book"
    tx_hash: str | None = None


async def reconcile_pending(
    client: EvmLiveClient, pending: Sequence[OrderIntent], *, wait_s: float
) -> list[Reconciled]:
    """Decide every pending intent (see the module docstring). Runs on the venue loop."""
    records = {i.intent_id: client.journal.txs_for(i.intent_id) for i in pending}
    ours = {
        r.nonce: r.tx_hash
        for recs in records.values()
        for r in recs
        if r.sender.lower() == client.owner.lower()
    }
    if ours:
        await client.txm.nonces.reconcile(ours)
    out: list[Reconciled] = []
    for intent in pending:
        recs = records[intent.intent_id]
        if not recs:
            reason = "restart: no transaction was signed for it, nothing was sent"
            out.append(Reconciled(intent, "abandon", reason))
            continue
        out.append(await _reconcile_one(client, intent, recs, wait_s))
    return out


async def _reconcile_one(
    client: EvmLiveClient, intent: OrderIntent, recs: list[TxRecord], wait_s: float
) -> Reconciled:
    rpc = client.rpc
    for rec in reversed(recs):
        receipt = await rpc.get_transaction_receipt(rec.tx_hash)
        if receipt is not None:
            return await _book(client, intent, rec, receipt)
    known = [rec for rec in recs if await rpc.get_transaction(rec.tx_hash) is not None]
    if known:
        return await _wait_pending(client, intent, recs, known, wait_s)
    nonce, sender = recs[0].nonce, recs[0].sender
    mined = await rpc.get_transaction_count(sender, "latest")
    if mined > nonce:
        reason = f"restart: nonce {nonce} was used by another transaction; ours never landed"
    else:
        reason = "restart: the transaction never reached the node (not in its pool, nonce unused)"
    return Reconciled(intent, "abandon", reason, tx_hash=recs[-1].tx_hash)


async def _wait_pending(
    client: EvmLiveClient,
    intent: OrderIntent,
    recs: list[TxRecord],
    known: list[TxRecord],
    wait_s: float,
) -> Reconciled:
    txm = client.txm
    sent = None
    for rec in known:
        sent = await txm.adopt(rec.tx_hash)
    assert sent is not None
    by_hash = {rec.tx_hash: rec for rec in recs}
    cancel_hash: str | None = None
    try:
        try:
            outcome = await txm.wait(sent, timeout_s=wait_s)
        except ReceiptTimeout:
            set_signing(intent.intent_id, intent.route.value, "cancel")
            try:
                cancel_hash = (await txm.cancel(sent)).tx_hash
            except EvmError:
                cancel_hash = None
            outcome = await txm.wait(sent, timeout_s=wait_s)
    except ReceiptTimeout:
        reason = f"restart: nonce {sent.nonce} still pending after {2 * wait_s:g}s"
        return Reconciled(intent, "unresolved", reason, tx_hash=sent.tx_hash)
    except TxDropped:
        reason = f"restart: nonce {sent.nonce} was used by another transaction"
        return Reconciled(intent, "abandon", reason, tx_hash=sent.tx_hash)
    landed = by_hash.get(outcome.tx_hash)
    if landed is not None and landed.purpose == "cancel":
        cancel_hash = outcome.tx_hash
    result = await client.result_from_outcome(
        intent, outcome, cancel_hash, recs[0].recorded_at, ("booked after a restart",)
    )
    return Reconciled(intent, "book", "restart: landed after a wait", result, outcome.tx_hash)


async def _book(
    client: EvmLiveClient, intent: OrderIntent, rec: TxRecord, receipt: Receipt
) -> Reconciled:
    reason: RevertReason | None = None
    if receipt.status == 0:
        reason = await _replay_reason(client, rec, receipt)
    outcome = TxOutcome(
        "success" if receipt.status == 1 else "reverted",
        receipt.transaction_hash,
        rec.nonce,
        receipt,
        reason,
    )
    cancel_hash = rec.tx_hash if rec.purpose == "cancel" else None
    result = await client.result_from_outcome(
        intent, outcome, cancel_hash, rec.recorded_at, ("booked from its receipt after a restart",)
    )
    return Reconciled(intent, "book", "restart: receipt found", result, rec.tx_hash)


async def _replay_reason(client: EvmLiveClient, rec: TxRecord, receipt: Receipt) -> RevertReason:
    """Why a mined transaction reverted: replay it with ``eth_call`` at its block's parent."""
    tx = await client.rpc.get_transaction(rec.tx_hash)
    if tx is not None:
        call = call_object(to=tx.to, data=tx.input, value=tx.value, sender=tx.from_, gas=tx.gas)
        try:
            await client.rpc.call(call, max(receipt.block_number - 1, 0))
        except RpcError as err:
            found = reason_from_error(err.data, err.message)
            if found is not None:
                return found
    return RevertReason("empty", "reverted on-chain (status 0); replay gave no reason")
