"""The local Solana chain: one LiteSVM instance behaving like a validator seen through RPC.

- **Blocks.** :meth:`LocalChain.produce_block` advances the block height and the slot by one, makes
  a new blockhash and includes the queued transactions (FIFO). A ticker thread does it every
  ``block_interval_s`` (400 ms like mainnet by default), or tests call it directly.
- **Expiry.** A blockhash is valid for ``Faults.blockhash_validity_blocks`` blocks after the block
  that made it (mainnet: 150, so ``lastValidBlockHeight = height + 150``); a queued transaction
  whose blockhash expired is dropped, never executed. LiteSVM's own blockhash check is off: this
  queue replaces it (LiteSVM only knows a single "latest" blockhash).
- **Status cache.** Each signature executes at most once: a second delivery of the same bytes is
  ignored, as a validator's status cache does. Transaction-level failures (bad signature, no fee
  funds...) are dropped without a status; instruction failures land with ``err`` and pay the fee.
- **Commitment.** A landed transaction is ``processed`` in its block, ``confirmed`` after
  ``confirm_after_blocks`` more blocks and ``finalized`` after ``finalize_after_blocks``.
- **Bundles** execute all-or-nothing in one block: on any failure every account the bundle touched
  is restored from a snapshot taken before it ran (``set_account``), and no signature is recorded.

All access to LiteSVM goes through one lock; the RPC, Jupiter and Jito servers share the chain.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from solders.account import Account
from solders.hash import Hash
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from phantom.localsolana.encoding import error_landed, tx_error_json, ui_token_amount
from phantom.localsolana.faults import Faults
from phantom.venues.solana.spl import TOKEN_PROGRAMS, parse_mint_decimals, parse_token_account

log = logging.getLogger(__name__)

GENESIS_SLOT = 1_000
GENESIS_HEIGHT = 900


@dataclass
class Landed:
    """A transaction that was included in a block."""

    signature: str
    raw: bytes
    slot: int
    height: int
    err: Any
    meta: dict[str, Any]


@dataclass
class _Queued:
    txs: list[VersionedTransaction]
    raws: list[bytes]
    arrived: int
    bundle_id: str | None = None


@dataclass
class BundleResult:
    bundle_id: str
    signatures: list[str]
    slot: int | None = None
    err: Any = None
    landed: bool = False


@dataclass
class _Counters:
    sends: dict[str, int] = field(default_factory=dict)
    distinct: list[str] = field(default_factory=list)


class LocalChain:
    """A LiteSVM-backed chain. ``faults`` may be changed while it runs."""

    def __init__(self, faults: Faults | None = None, *, seed: int = 0) -> None:
        self.faults = faults or Faults()
        self.svm = LiteSVM().with_blockhash_check(False).with_transaction_history(0)
        self.lock = threading.RLock()
        self._seed = seed
        self.slot = GENESIS_SLOT
        self.height = GENESIS_HEIGHT
        self._hashes: dict[str, int] = {}
        self.blockhash = self._make_hash()
        self._queue: list[_Queued] = []
        self._queued_sigs: set[str] = set()
        self.landed: dict[str, Landed] = {}
        self.bundles: dict[str, BundleResult] = {}
        self._counters = _Counters()
        self._decimals: dict[str, int] = {}
        self.block_listeners: list[Callable[[int], None]] = []
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self.svm.warp_to_slot(self.slot)

    # -- blocks -----------------------------------------------------------------------------------

    def _make_hash(self) -> Hash:
        digest = hashlib.sha256(f"phantom-local:{self._seed}:{self.height}".encode()).digest()
        value = Hash(digest)
        self._hashes[str(value)] = self.height
        return value

    def last_valid_block_height(self, blockhash: str | None = None) -> int:
        made = self.height if blockhash is None else self._hashes.get(blockhash, -1)
        return made + self.faults.blockhash_validity_blocks

    def blockhash_valid(self, blockhash: str) -> bool:
        made = self._hashes.get(blockhash)
        return made is not None and self.height <= made + self.faults.blockhash_validity_blocks

    def latest_blockhash(self) -> tuple[str, int]:
        with self.lock:
            return str(self.blockhash), self.last_valid_block_height()

    def produce_block(self) -> int:
        """Advance one block and include the eligible queued transactions; returns the height."""
        with self.lock:
            self.height += 1
            self.slot += 1
            self.svm.warp_to_slot(self.slot)
            self.blockhash = self._make_hash()
            horizon = self.height - 2 * self.faults.blockhash_validity_blocks - 2
            self._hashes = {h: made for h, made in self._hashes.items() if made >= horizon}
            due = [
                q
                for q in self._queue
                if self.height - q.arrived > self.faults.inclusion_delay_blocks
            ]
            self._queue = [q for q in self._queue if q not in due]
            for item in due:
                for tx in item.txs:
                    self._queued_sigs.discard(str(tx.signatures[0]))
                if item.bundle_id is None:
                    self._include(item.txs[0], item.raws[0])
                else:
                    self._include_bundle(item)
            height = self.height
        for listener in list(self.block_listeners):
            listener(height)
        return height

    def start(self, block_interval_s: float) -> None:
        """Produce blocks in a background thread every ``block_interval_s`` seconds."""
        if self._ticker is not None:
            return
        self._stop.clear()

        def tick() -> None:
            while not self._stop.wait(block_interval_s):
                self.produce_block()

        self._ticker = threading.Thread(target=tick, name="local-solana-blocks", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
            self._ticker = None

    # -- submission -------------------------------------------------------------------------------

    def submit(self, tx: VersionedTransaction, raw: bytes) -> str:
        """Queue a transaction for the next block (or drop it, per the faults)."""
        sig = str(tx.signatures[0])
        with self.lock:
            if sig in self.landed or sig in self._queued_sigs:
                return sig
            if self._dropped(sig):
                return sig
            self._queue.append(_Queued([tx], [raw], self.height))
            self._queued_sigs.add(sig)
        return sig

    def submit_bundle(
        self, bundle_id: str, txs: list[VersionedTransaction], raws: list[bytes]
    ) -> None:
        with self.lock:
            known = self.bundles.get(bundle_id)
            queued = any(q.bundle_id == bundle_id for q in self._queue)
            if known is not None and (known.landed or queued):
                return
            if self._dropped(str(txs[0].signatures[0])):
                return
            sigs = [str(t.signatures[0]) for t in txs]
            self.bundles[bundle_id] = BundleResult(bundle_id, sigs)
            self._queue.append(_Queued(list(txs), list(raws), self.height, bundle_id))

    def _dropped(self, sig: str) -> bool:
        """Count a delivery of ``sig`` and apply the drop faults to it."""
        counters = self._counters
        if sig not in counters.sends:
            counters.distinct.append(sig)
        counters.sends[sig] = counters.sends.get(sig, 0) + 1
        if counters.distinct.index(sig) < self.faults.blackhole_first_txs:
            log.info("local chain: fault blackhole drops %s", sig[:12])
            return True
        if counters.sends[sig] <= self.faults.drop_first_sends:
            log.info("local chain: fault drops delivery %d of %s", counters.sends[sig], sig[:12])
            return True
        return False

    def deliveries(self) -> int:
        """How many transaction deliveries (sends, rebroadcasts, bundles) the chain received."""
        with self.lock:
            return sum(self._counters.sends.values())

    def sends_of(self, signature: str) -> int:
        with self.lock:
            return self._counters.sends.get(signature, 0)

    def execute_now(self, tx: VersionedTransaction) -> Landed | None:
        """Execute at once in the current block (world setup and scripted market moves)."""
        with self.lock:
            return self._include(tx, bytes(tx))

    # -- execution --------------------------------------------------------------------------------

    def _include(self, tx: VersionedTransaction, raw: bytes) -> Landed | None:
        sig = str(tx.signatures[0])
        if sig in self.landed:
            return None
        if not self.blockhash_valid(str(tx.message.recent_blockhash)):
            log.info("local chain: %s expired before inclusion; dropped", sig[:12])
            return None
        keys = list(tx.message.account_keys)
        pre_lamports = [self.svm.get_balance(k) or 0 for k in keys]
        pre_tokens = self._token_balances(keys)
        result = self.svm.send_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            err = tx_error_json(result.err())
            meta = result.meta()
        else:
            err, meta = None, result
        if not error_landed(err):
            log.info("local chain: %s dropped (%s)", sig[:12], err)
            return None
        record = Landed(
            signature=sig,
            raw=raw,
            slot=self.slot,
            height=self.height,
            err=err,
            meta={
                "err": err,
                "status": {"Ok": None} if err is None else {"Err": err},
                "fee": meta.fee(),
                "preBalances": pre_lamports,
                "postBalances": [self.svm.get_balance(k) or 0 for k in keys],
                "preTokenBalances": pre_tokens,
                "postTokenBalances": self._token_balances(keys),
                "logMessages": list(meta.logs()),
                "computeUnitsConsumed": meta.compute_units_consumed(),
                "innerInstructions": [],
                "loadedAddresses": {"writable": [], "readonly": []},
                "rewards": [],
            },
        )
        self.landed[sig] = record
        return record

    def _include_bundle(self, item: _Queued) -> None:
        assert item.bundle_id is not None
        result = self.bundles[item.bundle_id]
        keys = {k for tx in item.txs for k in tx.message.account_keys}
        snapshot: dict[Pubkey, Account | None] = {k: self.svm.get_account(k) for k in keys}
        records: list[Landed] = []
        failure: Any = None
        for tx, raw in zip(item.txs, item.raws, strict=True):
            record = self._include(tx, raw)
            if record is None:
                failure = "TransactionDropped"
                break
            records.append(record)
            if record.err is not None:
                failure = record.err
                break
        if failure is None:
            result.landed, result.slot = True, self.slot
            return
        for key, account in snapshot.items():
            self.svm.set_account(key, account or Account(0, b"", Pubkey.default(), False, 0))
        for record in records:
            self.landed.pop(record.signature, None)
        result.err = failure
        log.info("local chain: bundle %s reverted (%s)", item.bundle_id[:12], failure)

    def _token_balances(self, keys: list[Pubkey]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for index, key in enumerate(keys):
            account = self.svm.get_account(key)
            if account is None or account.owner not in TOKEN_PROGRAMS or len(account.data) < 165:
                continue
            info = parse_token_account(bytes(account.data))
            rows.append(
                {
                    "accountIndex": index,
                    "mint": str(info.mint),
                    "owner": str(info.owner),
                    "programId": str(account.owner),
                    "uiTokenAmount": ui_token_amount(info.amount, self.decimals(info.mint)),
                }
            )
        return rows

    def decimals(self, mint: Pubkey) -> int:
        cached = self._decimals.get(str(mint))
        if cached is None:
            account = self.svm.get_account(mint)
            cached = parse_mint_decimals(bytes(account.data)) if account is not None else 0
            self._decimals[str(mint)] = cached
        return cached

    # -- queries ----------------------------------------------------------------------------------

    def status(self, signature: str) -> dict[str, Any] | None:
        with self.lock:
            record = self.landed.get(signature)
            if record is None:
                return None
            depth = self.height - record.height
            if depth >= self.faults.finalize_after_blocks:
                level, confirmations = "finalized", None
            elif depth >= self.faults.confirm_after_blocks:
                level, confirmations = "confirmed", depth
            else:
                level, confirmations = "processed", depth
            return {
                "slot": record.slot,
                "confirmations": confirmations,
                "err": record.err,
                "status": record.meta["status"],
                "confirmationStatus": level,
            }

    def signature_of(self, tx: VersionedTransaction) -> Signature:
        return tx.signatures[0]
