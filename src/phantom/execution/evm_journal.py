"""The EVM transaction journal: which signed transaction belongs to which intent.

The ledger journals every intent before it is sent (``Ledger.journal_intent``). Between that and
the receipt, the venue adds what a restart needs to find the outcome on chain: the transaction
hash and nonce of every transaction signed for the intent (the original, a fee-bumped
replacement, a cancellation). :class:`EvmTxJournal` records them from ``TxManager``'s
``on_signed`` hook, i.e. after signing and **before** the broadcast, in its own SQLite file next
to the ledger (WAL, ``synchronous=FULL``: committed when the hook returns).

One commit is one ``fdatasync`` of the WAL, the least a durable commit needs. Checkpoints (which
copy the WAL into the database file, with two more syncs) are kept off the send path: SQLite's
automatic checkpoint would run inside whichever commit crosses its threshold, often
:meth:`EvmTxJournal.record_signed` between signing and broadcasting. Here :meth:`mark` /
:meth:`mark_tx` (called once an outcome is known) checkpoint every ``CHECKPOINT_WRITES`` commits,
so the WAL also stays small and is rewritten in place, which syncs faster than a growing file
(no size change to journal). SQLite's own automatic checkpoint stays as a backstop for a journal
that is never marked, at ``AUTOCHECKPOINT_PAGES``.

The raw signed bytes are stored too. They are not secret (they are public once broadcast) and
let an operator re-broadcast by hand; reconciliation never re-broadcasts on its own.

Statuses: ``signed`` (recorded, outcome unknown), ``resolved`` (the intent's outcome was booked,
or the transaction provably never landed), ``abandoned`` (prepared but never broadcast).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from phantom.execution.evm_types import TxReport, current_signing
from phantom.execution.tx_journal import STATUSES as STATUSES
from phantom.execution.tx_journal import SqliteTxJournal

_DDL = """
CREATE TABLE IF NOT EXISTS evm_txs (
    tx_hash TEXT PRIMARY KEY,
    intent_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    route TEXT NOT NULL,
    chain_id INTEGER NOT NULL,
    sender TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    raw TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'signed',
    note TEXT NOT NULL DEFAULT '',
    recorded_at REAL NOT NULL,
    updated_at REAL
);
CREATE INDEX IF NOT EXISTS evm_txs_intent ON evm_txs(intent_id);
CREATE INDEX IF NOT EXISTS evm_txs_status ON evm_txs(status);
"""

CHECKPOINT_WRITES = 64  # commits between the checkpoints that mark()/mark_tx() run
AUTOCHECKPOINT_PAGES = 4000  # SQLite's own, as a backstop (the default is 1000)

PURPOSES = frozenset({"intent", "replace", "cancel"})


@dataclass(frozen=True, slots=True)
class TxRecord:
    tx_hash: str
    intent_id: str
    purpose: str  # "intent" (the order itself), "replace" (same payload, bumped) or "cancel"
    route: str
    chain_id: int
    sender: str
    nonce: int
    raw: bytes
    status: str
    note: str
    recorded_at: float


class EvmTxJournal(SqliteTxJournal[TxRecord]):
    """One SQLite file; safe to use from several threads (one connection, one lock)."""

    label = "EVM transaction journal"
    table = "evm_txs"
    ddl = _DDL
    columns = (
        "tx_hash",
        "intent_id",
        "purpose",
        "route",
        "chain_id",
        "sender",
        "nonce",
        "raw",
        "status",
        "note",
        "recorded_at",
    )
    checkpoint_writes = CHECKPOINT_WRITES
    autocheckpoint_pages = AUTOCHECKPOINT_PAGES

    def record_signed(
        self,
        *,
        tx_hash: str,
        intent_id: str,
        purpose: str,
        route: str,
        chain_id: int,
        sender: str,
        nonce: int,
        raw: bytes,
    ) -> None:
        """Write ahead: committed (fsync) when this returns. A repeat of the same hash is a
        no-op (a re-signed identical transaction has the same hash)."""
        if purpose not in PURPOSES:
            raise ValueError(f"purpose must be one of {sorted(PURPOSES)}, got {purpose!r}")
        with self._lock:
            self.conn.execute(
                "INSERT OR IGNORE INTO evm_txs (tx_hash, intent_id, purpose, route, chain_id,"
                " sender, nonce, raw, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tx_hash,
                    intent_id,
                    purpose,
                    route,
                    chain_id,
                    sender,
                    nonce,
                    raw.hex(),
                    time.time(),
                ),
            )
            self._writes += 1

    def mark(self, intent_id: str, status: str, note: str = "") -> int:
        """Set the status of every transaction of ``intent_id``; returns how many rows."""
        return self._update("intent_id = ?", (intent_id,), status, note)

    def mark_tx(self, tx_hash: str, status: str, note: str = "") -> None:
        self._update("tx_hash = ?", (tx_hash,), status, note)

    def _record(self, row: Sequence[Any]) -> TxRecord:
        return TxRecord(
            tx_hash=str(row[0]),
            intent_id=str(row[1]),
            purpose=str(row[2]),
            route=str(row[3]),
            chain_id=int(row[4]),
            sender=str(row[5]),
            nonce=int(row[6]),
            raw=bytes.fromhex(str(row[7])),
            status=str(row[8]),
            note=str(row[9]),
            recorded_at=float(row[10]),
        )


def journal_hook(
    journal: EvmTxJournal, chain_id: int, sender: str, reports: Mapping[str, TxReport]
) -> Callable[[str, int, bytes], None]:
    """``TxManager``'s ``on_signed``: record the transaction for the intent being executed
    (:func:`~phantom.execution.evm_types.set_signing`) before it is broadcast. A transaction
    signed outside an intent is refused (the hook raises, so nothing is sent)."""

    def on_signed(tx_hash: str, nonce: int, raw: bytes) -> None:
        signing = current_signing()
        if signing is None:
            raise RuntimeError("transaction signed outside an intent: refusing to send it")
        journal.record_signed(
            tx_hash=tx_hash,
            intent_id=signing.intent_id,
            purpose=signing.purpose,
            route=signing.route,
            chain_id=chain_id,
            sender=sender,
            nonce=nonce,
            raw=raw,
        )
        report = reports.get(signing.intent_id)
        if report is not None and report.t_signed is None:
            report.t_signed = time.perf_counter()

    return on_signed


def sent_hook(reports: Mapping[str, TxReport]) -> Callable[[str, int, bytes], None]:
    """``on_sent``: timestamp the broadcast (never raises: the transaction is out)."""

    def on_sent(tx_hash: str, nonce: int, raw: bytes) -> None:
        signing = current_signing()
        report = reports.get(signing.intent_id) if signing is not None else None
        if report is not None and report.t_sent is None:
            report.t_sent = time.perf_counter()

    return on_sent
