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

import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from phantom.execution.evm_types import TxReport, current_signing

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
STATUSES = frozenset({"signed", "resolved", "abandoned"})


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


class EvmTxJournal:
    """One SQLite file; safe to use from several threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
            conn.executescript(_DDL)
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn
        self._writes = 0  # commits since the last checkpoint (under the lock)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"EVM transaction journal {self.path} is closed")
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

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
        if status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, got {status!r}")
        with self._lock:
            self._checkpoint_if_due()
            cur = self.conn.execute(
                "UPDATE evm_txs SET status = ?, note = ?, updated_at = ? WHERE intent_id = ?",
                (status, note, time.time(), intent_id),
            )
            self._writes += 1
            return cur.rowcount

    def mark_tx(self, tx_hash: str, status: str, note: str = "") -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, got {status!r}")
        with self._lock:
            self._checkpoint_if_due()
            self.conn.execute(
                "UPDATE evm_txs SET status = ?, note = ?, updated_at = ? WHERE tx_hash = ?",
                (status, note, time.time(), tx_hash),
            )
            self._writes += 1

    def _checkpoint_if_due(self) -> None:
        """A passive checkpoint (never waits for readers) every ``CHECKPOINT_WRITES`` commits;
        the commit that follows restarts the WAL from its beginning. Lock held."""
        if self._writes >= CHECKPOINT_WRITES:
            self._writes = 0
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def txs_for(self, intent_id: str) -> list[TxRecord]:
        """Every transaction signed for ``intent_id``, in the order they were recorded."""
        return self._select("WHERE intent_id = ? ORDER BY rowid", (intent_id,))

    def open_records(self) -> list[TxRecord]:
        """Transactions whose intent's outcome is not known yet (status ``signed``)."""
        return self._select("WHERE status = 'signed' ORDER BY rowid", ())

    def all(self) -> list[TxRecord]:
        return self._select("ORDER BY rowid", ())

    def _select(self, where: str, params: tuple[object, ...]) -> list[TxRecord]:
        sql = (
            "SELECT tx_hash, intent_id, purpose, route, chain_id, sender, nonce, raw, status,"
            f" note, recorded_at FROM evm_txs {where}"
        )
        with self._lock:
            rows = self.conn.execute(sql, params).fetchall()
        return [
            TxRecord(
                tx_hash=str(r[0]),
                intent_id=str(r[1]),
                purpose=str(r[2]),
                route=str(r[3]),
                chain_id=int(r[4]),
                sender=str(r[5]),
                nonce=int(r[6]),
                raw=bytes.fromhex(str(r[7])),
                status=str(r[8]),
                note=str(r[9]),
                recorded_at=float(r[10]),
            )
            for r in rows
        ]


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
