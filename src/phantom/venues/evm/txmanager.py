"""The transaction manager: simulate, price, sign locally, broadcast, wait, replace, cancel.

``send`` = ``submit`` + ``wait``. ``submit`` runs, in order, and sends nothing if a step fails:

1. ``eth_call`` simulation (unless ``simulate=False``): a revert raises
   :class:`SimulationReverted` with the decoded reason; no nonce is taken.
2. gas: ``eth_estimateGas`` × (1 + ``gas_buffer_pct``/100), unless the request fixes it.
3. fees: ``eth_feeHistory`` priced under the caps (:class:`FeeCapExceeded` aborts).
4. nonce from the :class:`NonceManager`; type-2 transaction signed locally.
5. ``on_signed(tx_hash, nonce, raw)`` (write-ahead journal hook), ``eth_sendRawTransaction``,
   then ``on_sent(tx_hash, nonce, raw)``. A definite rejection releases the nonce
   (:class:`BroadcastFailed`); a transport error/timeout keeps it and raises
   :class:`BroadcastUncertain` carrying the :class:`SentTx` (the node may have it: wait on it,
   replace it, or reconcile).

``wait`` polls receipts of every transaction sent at that nonce (original and replacements),
raises :class:`ReceiptTimeout` (with hash and nonce) or :class:`TxDropped` (the nonce was used
and the node knows none of them; a node that still knows one, e.g. anvil for the moment between
counting a mined nonce and serving its receipt, gets ``DROP_GRACE_S`` more), and turns status 0
into ``TxOutcome(status="reverted", reason=...)``, the reason found by replaying the call with
``eth_call`` at the mined block (then its parent); a receipt that used all its gas says
"out of gas".
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from phantom.venues.evm.chains import Chain
from phantom.venues.evm.errors import (
    BroadcastFailed,
    BroadcastUncertain,
    EvmError,
    ReceiptTimeout,
    RpcError,
    RpcTransportError,
    SimulationReverted,
    TxDropped,
)
from phantom.venues.evm.fees import FeePolicy, FeeQuote, fetch_fees, replacement_fees
from phantom.venues.evm.models import Receipt, Transaction
from phantom.venues.evm.nonces import NonceManager
from phantom.venues.evm.revert import RevertReason, reason_from_error
from phantom.venues.evm.rpc import BlockRef, RpcClient, call_object
from phantom.venues.evm.signer import Signer
from phantom.venues.evm.txtypes import TRANSFER_GAS, SentTx, TxOutcome, TxRequest

log = logging.getLogger(__name__)

TxHook = Callable[[str, int, bytes], Awaitable[None] | None]

#: How long ``wait`` keeps polling when the nonce is used, no receipt is served yet, but the node
#: still knows one of the transactions (anvil counts a mined nonce a moment before it serves the
#: receipt); a transaction the node does not know is reported dropped at once.
DROP_GRACE_S = 2.0


class TxManager:
    """Sends transactions for one signer on one chain. Safe for concurrent ``send`` calls."""

    def __init__(
        self,
        rpc: RpcClient,
        signer: Signer,
        chain_id: int,
        fee_policy: FeePolicy,
        *,
        chain: Chain | None = None,
        nonces: NonceManager | None = None,
        gas_buffer_pct: int = 20,
        poll_interval_s: float = 0.2,
        sim_block: BlockRef = "latest",
        on_signed: TxHook | None = None,
        on_sent: TxHook | None = None,
    ) -> None:
        if chain is not None and chain.chain_id != chain_id:
            raise ValueError(f"chain {chain} does not match chain_id {chain_id}")
        if gas_buffer_pct < 0:
            raise ValueError(f"gas_buffer_pct must be >= 0, got {gas_buffer_pct}")
        self.rpc = rpc
        self.signer = signer
        self.chain_id = chain_id
        self.fee_policy = fee_policy
        self.chain = chain
        self.nonces = nonces if nonces is not None else NonceManager(rpc, signer.address)
        self.gas_buffer_pct = gas_buffer_pct
        self.poll_interval_s = poll_interval_s
        self.sim_block = sim_block
        self.on_signed = on_signed
        self.on_sent = on_sent
        self._inflight: dict[int, list[SentTx]] = {}
        self._chain_checked = False

    def __repr__(self) -> str:
        return f"TxManager({self.signer.address}, chain_id={self.chain_id})"

    @property
    def address(self) -> str:
        return self.signer.address

    def inflight(self) -> dict[int, list[SentTx]]:
        """Transactions sent and not yet resolved, by nonce (original first)."""
        return {n: list(txs) for n, txs in self._inflight.items()}

    # -- the main path --------------------------------------------------------------------------

    async def send(
        self, call: TxRequest, *, simulate: bool = True, receipt_timeout_s: float = 120.0
    ) -> TxOutcome:
        """Submit ``call`` and wait for its receipt (see the module docstring)."""
        sent = await self.submit(call, simulate=simulate)
        return await self.wait(sent, timeout_s=receipt_timeout_s)

    async def submit(self, call: TxRequest, *, simulate: bool = True) -> SentTx:
        """Simulate, price, sign and broadcast ``call``; returns without waiting."""
        return await self._prepare(call, simulate=simulate, broadcast=True)

    async def prepare(self, call: TxRequest, *, simulate: bool = True) -> SentTx:
        """Like :meth:`submit` but does not broadcast: for private submission (``relay.py``).
        The nonce stays reserved and :meth:`wait` works on the result; call :meth:`abandon`
        if the transaction is never sent."""
        return await self._prepare(call, simulate=simulate, broadcast=False)

    def abandon(self, sent: SentTx) -> None:
        """Forget a prepared (never broadcast) transaction and give its nonce back."""
        self._forget(sent.nonce)
        self.nonces.release(sent.nonce)

    async def _prepare(self, call: TxRequest, *, simulate: bool, broadcast: bool) -> SentTx:
        await self._check_chain()
        if simulate:
            await self.simulate(call)
        gas = call.gas_limit if call.gas_limit is not None else await self.estimate_gas(call)
        fees = await fetch_fees(self.rpc, self.fee_policy, self.chain)
        nonce = await self.nonces.reserve()
        try:
            sent = await self._sign(nonce, call, gas, fees)
            if broadcast:
                await self._broadcast(sent)
            else:
                self._record(sent)
            return sent
        except BroadcastUncertain:
            raise  # the node may have it: keep the nonce, the caller waits or reconciles
        except BaseException:
            self.nonces.release(nonce)  # nothing reached the node
            raise

    async def simulate(self, call: TxRequest) -> bytes:
        """``eth_call`` the request from this sender; returns the call's output bytes."""
        tx = call_object(to=call.to, data=call.data, value=call.value, sender=self.address)
        if call.gas_limit is not None:
            tx["gas"] = hex(call.gas_limit)
        try:
            return await self.rpc.call(tx, self.sim_block)
        except RpcError as err:
            reason = reason_from_error(err.data, err.message)
            if reason is None:
                raise
            raise SimulationReverted(reason, stage="eth_call") from None

    async def estimate_gas(self, call: TxRequest) -> int:
        """``eth_estimateGas`` plus the buffer, rounded up."""
        tx = call_object(to=call.to, data=call.data, value=call.value, sender=self.address)
        try:
            estimate = await self.rpc.estimate_gas(tx, self.sim_block)
        except RpcError as err:
            reason = reason_from_error(err.data, err.message)
            if reason is None:
                raise
            raise SimulationReverted(reason, stage="eth_estimateGas") from None
        return -(-estimate * (100 + self.gas_buffer_pct) // 100)

    async def wait(self, sent: SentTx, *, timeout_s: float = 120.0) -> TxOutcome:
        """The receipt of whichever transaction at ``sent.nonce`` was mined."""
        deadline = time.monotonic() + timeout_s
        used_since: float | None = None  # when the nonce was first seen used without a receipt
        while True:
            candidates = self._inflight.get(sent.nonce) or [sent]
            for cand in reversed(candidates):
                receipt = await self.rpc.get_transaction_receipt(cand.tx_hash)
                if receipt is not None:
                    return await self._outcome(cand, receipt)
            mined = await self.rpc.get_transaction_count(self.address, "latest")
            if mined > sent.nonce:
                # Re-check once: the receipt may have appeared between the two reads.
                for cand in reversed(candidates):
                    receipt = await self.rpc.get_transaction_receipt(cand.tx_hash)
                    if receipt is not None:
                        return await self._outcome(cand, receipt)
                now = time.monotonic()
                used_since = now if used_since is None else used_since
                if now - used_since >= DROP_GRACE_S or not await self._any_known(candidates):
                    self._forget(sent.nonce)
                    self.nonces.confirm(sent.nonce)
                    raise TxDropped(sent.tx_hash, sent.nonce)
            if time.monotonic() >= deadline:
                raise ReceiptTimeout(candidates[-1].tx_hash, sent.nonce, timeout_s)
            await asyncio.sleep(min(self.poll_interval_s, max(0.0, deadline - time.monotonic())))

    async def _any_known(self, candidates: list[SentTx]) -> bool:
        """True if the node knows one of ``candidates`` (mined, or still pending)."""
        for cand in reversed(candidates):
            if await self.rpc.get_transaction(cand.tx_hash) is not None:
                return True
        return False

    # -- replacement and cancellation ------------------------------------------------------------

    async def replace(
        self, sent: SentTx, *, bump_pct: int = 10, call: TxRequest | None = None
    ) -> SentTx:
        """Re-send at ``sent.nonce`` with both fee fields raised >= ``bump_pct``% (and +1 wei)
        over the highest fees already used at that nonce (and no lower than a fresh quote).
        ``call`` swaps the payload (same nonce); by default the original request is re-sent."""
        previous = self._inflight.get(sent.nonce) or [sent]
        old = max(previous, key=lambda s: (s.fees.max_fee_per_gas, s.fees.max_priority_fee_per_gas))
        fresh = await fetch_fees(self.rpc, self.fee_policy, self.chain)
        fees = replacement_fees(old.fees, self.fee_policy, bump_pct=bump_pct, fresh=fresh)
        request = call if call is not None else sent.request
        gas = request.gas_limit if request.gas_limit is not None else sent.gas_limit
        if call is not None and call.gas_limit is None:
            gas = await self.estimate_gas(call)
        return await self._broadcast(await self._sign(sent.nonce, request, gas, fees))

    async def cancel(self, target: int | SentTx, *, bump_pct: int = 10) -> SentTx:
        """Replace the nonce with a 0-value self-transfer (bumped fees). A nonce with nothing
        in flight here (e.g. a gap found by reconcile) is filled at fresh fees."""
        noop = TxRequest(to=self.address, data=b"", value=0, gas_limit=TRANSFER_GAS)
        if isinstance(target, SentTx):
            return await self.replace(target, bump_pct=bump_pct, call=noop)
        nonce = target
        previous = self._inflight.get(nonce)
        if previous:
            return await self.replace(previous[0], bump_pct=bump_pct, call=noop)
        fees = await fetch_fees(self.rpc, self.fee_policy, self.chain)
        return await self._broadcast(await self._sign(nonce, noop, TRANSFER_GAS, fees))

    async def adopt(self, tx_hash: str) -> SentTx:
        """Take over a pending transaction of this sender known only by hash (e.g. from the
        journal after a restart) so :meth:`wait`, :meth:`replace` and :meth:`cancel` work on it.
        Its raw bytes are not needed and stay empty."""
        tx = await self.rpc.get_transaction(tx_hash)
        if tx is None:
            raise EvmError(f"transaction {tx_hash} is unknown to the node")
        if tx.from_ != self.address:
            raise EvmError(f"transaction {tx_hash} was sent by {tx.from_}, not {self.address}")
        sent = SentTx(tx.hash, tx.nonce, b"", _request_of(tx), tx.gas, _fees_of(tx), tx.from_)
        if tx.block_number is None:
            self._record(sent)
        return sent

    # -- internals ----------------------------------------------------------------------------

    async def _check_chain(self) -> None:
        if self._chain_checked:
            return
        actual = await self.rpc.chain_id()
        if actual != self.chain_id:
            raise EvmError(
                f"node at {self.rpc.endpoint} is on chain {actual}, expected {self.chain_id}"
            )
        self._chain_checked = True

    def _tx_dict(self, nonce: int, call: TxRequest, gas: int, fees: FeeQuote) -> dict[str, Any]:
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": nonce,
            "value": call.value,
            "data": call.data,
            "gas": gas,
            "maxFeePerGas": fees.max_fee_per_gas,
            "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
            "accessList": [],
        }
        if call.to is not None:
            tx["to"] = call.to
        return tx

    async def _sign(self, nonce: int, call: TxRequest, gas: int, fees: FeeQuote) -> SentTx:
        signed = self.signer.sign_transaction(self._tx_dict(nonce, call, gas, fees))
        sent = SentTx(signed.tx_hash, nonce, signed.raw, call, gas, fees, self.address)
        await _run_hook(self.on_signed, sent)
        return sent

    async def _broadcast(self, sent: SentTx) -> SentTx:
        nonce, call, gas, fees = sent.nonce, sent.request, sent.gas_limit, sent.fees
        try:
            await self.rpc.send_raw_transaction(sent.raw)
        except RpcError as err:
            if "already known" not in err.message.lower():
                raise BroadcastFailed(nonce, err) from None
            log.info("tx %s already known to the node", sent.tx_hash)
        except RpcTransportError as err:
            self._record(sent)
            raise BroadcastUncertain(sent, err) from None
        self._record(sent)
        await _run_hook(self.on_sent, sent)  # first: it timestamps the node's acknowledgement
        log.info(
            "tx sent hash=%s nonce=%d to=%s gas=%d maxFee=%d tip=%d",
            sent.tx_hash,
            nonce,
            call.to,
            gas,
            fees.max_fee_per_gas,
            fees.max_priority_fee_per_gas,
        )
        return sent

    async def _outcome(self, sent: SentTx, receipt: Receipt) -> TxOutcome:
        self._forget(sent.nonce)
        self.nonces.confirm(sent.nonce)
        if receipt.status == 1:
            return TxOutcome("success", sent.tx_hash, sent.nonce, receipt)
        reason = await self._revert_reason(sent, receipt)
        log.warning("tx %s reverted on-chain: %s", sent.tx_hash, reason)
        return TxOutcome("reverted", sent.tx_hash, sent.nonce, receipt, reason)

    async def _revert_reason(self, sent: SentTx, receipt: Receipt) -> RevertReason:
        if receipt.gas_used >= sent.gas_limit:
            return RevertReason("empty", f"out of gas (used all {sent.gas_limit})")
        req = sent.request
        tx = call_object(
            to=req.to, data=req.data, value=req.value, sender=sent.sender, gas=sent.gas_limit
        )
        for block in (receipt.block_number, max(receipt.block_number - 1, 0)):
            try:
                await self.rpc.call(tx, block)
            except RpcError as err:
                reason = reason_from_error(err.data, err.message)
                if reason is not None:
                    return reason
        return RevertReason("empty", "reverted on-chain; replaying the call did not revert")

    def _record(self, sent: SentTx) -> None:
        self.nonces.mark_sent(sent.nonce, sent.tx_hash)
        self._inflight.setdefault(sent.nonce, []).append(sent)

    def _forget(self, nonce: int) -> None:
        self._inflight.pop(nonce, None)


def _request_of(tx: Transaction) -> TxRequest:
    return TxRequest(to=tx.to, data=tx.input, value=tx.value, gas_limit=max(tx.gas, TRANSFER_GAS))


def _fees_of(tx: Transaction) -> FeeQuote:
    max_fee = tx.max_fee_per_gas if tx.max_fee_per_gas is not None else tx.gas_price or 0
    tip = tx.max_priority_fee_per_gas if tx.max_priority_fee_per_gas is not None else max_fee
    return FeeQuote(max_fee_per_gas=max_fee, max_priority_fee_per_gas=min(tip, max_fee))


async def _run_hook(hook: TxHook | None, sent: SentTx) -> None:
    if hook is None:
        return
    result = hook(sent.tx_hash, sent.nonce, sent.raw)
    if inspect.isawaitable(result):
        await result


__all__ = ["TRANSFER_GAS", "SentTx", "TxHook", "TxManager", "TxOutcome", "TxRequest"]
