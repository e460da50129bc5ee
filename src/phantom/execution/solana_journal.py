"""The Solana transaction journal: every signature, written ahead of its broadcast.

The ledger journals the intent itself (``Ledger.journal_intent``) before the execution starts.
Between that and the outcome, the venue records what a restart needs to find the outcome on
chain: for each *attempt* (a set of signed transactions sent together as one Jito bundle: one
per leg of the cycle) the signatures, the ``lastValidBlockHeight`` of the blockhash they were
signed on, the slippage tier and the tip. :meth:`SolanaTxJournal.record_attempt` writes them in
one SQLite transaction (WAL, ``synchronous=FULL``), i.e. committed **before** the first
broadcast: a crash can never leave a sent transaction the journal does not know.

The raw signed bytes are stored too (base64). They are not secret (they are public once
broadcast) and let an operator inspect or re-broadcast by hand; reconciliation never
re-broadcasts on its own.

Statuses: ``signed`` (recorded, outcome unknown), ``resolved`` (the intent's outcome was booked,
or the transactions provably never landed), ``abandoned`` (never broadcast).

Also here, the in-memory records of one execution: :class:`SolanaReport` (timings, tiers,
attempts, rebroadcasts) and :class:`SolanaResult` (how it ended, what landed).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from phantom.execution.tx_journal import STATUSES as STATUSES
from phantom.execution.tx_journal import SqliteTxJournal

if TYPE_CHECKING:
    from phantom.core.orders import OrderIntent
    from phantom.execution.solana_reconcile import LandedTx

_DDL = """
CREATE TABLE IF NOT EXISTS solana_txs (
    signature TEXT PRIMARY KEY,
    intent_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    leg INTEGER NOT NULL,
    tier_bps INTEGER NOT NULL,
    last_valid_block_height INTEGER NOT NULL,
    route TEXT NOT NULL,
    signer TEXT NOT NULL,
    tip_lamports INTEGER NOT NULL,
    raw TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'signed',
    note TEXT NOT NULL DEFAULT '',
    recorded_at REAL NOT NULL,
    updated_at REAL
);
CREATE INDEX IF NOT EXISTS solana_txs_intent ON solana_txs(intent_id);
CREATE INDEX IF NOT EXISTS solana_txs_status ON solana_txs(status);
"""

ResultKind = Literal["landed", "failed", "refused", "unresolved"]
ROUTE = "jito_bundle"


@dataclass(frozen=True, slots=True)
class SolanaTxRecord:
    signature: str
    intent_id: str
    attempt: int  # 1, 2, ...: a new attempt is a new set of signatures (re-quoted, re-signed)
    leg: int  # index of the cycle leg this transaction executes
    tier_bps: int
    last_valid_block_height: int
    route: str  # "jito_bundle"
    signer: str  # the wallet's public key
    tip_lamports: int
    raw: bytes
    status: str
    note: str
    recorded_at: float


@dataclass(frozen=True, slots=True)
class SignedTx:
    """One signed transaction of an attempt, as handed to :meth:`SolanaTxJournal.record_attempt`."""

    signature: str
    leg: int
    raw: bytes


class SolanaTxJournal(SqliteTxJournal[SolanaTxRecord]):
    """One SQLite file; safe to use from several threads (one connection, one lock)."""

    label = "Solana transaction journal"
    table = "solana_txs"
    ddl = _DDL
    columns = (
        "signature",
        "intent_id",
        "attempt",
        "leg",
        "tier_bps",
        "last_valid_block_height",
        "route",
        "signer",
        "tip_lamports",
        "raw",
        "status",
        "note",
        "recorded_at",
    )

    def record_attempt(
        self,
        *,
        intent_id: str,
        attempt: int,
        tier_bps: int,
        last_valid_block_height: int,
        route: str,
        signer: str,
        tip_lamports: int,
        txs: Sequence[SignedTx],
    ) -> None:
        """Write ahead: every signature of the attempt, committed (fsync) when this returns.
        A repeat of a recorded signature is a no-op (the same bytes, the same signature)."""
        if not txs:
            raise ValueError("an attempt holds at least one transaction")
        now = time.time()
        rows = [
            (
                tx.signature,
                intent_id,
                attempt,
                tx.leg,
                tier_bps,
                last_valid_block_height,
                route,
                signer,
                tip_lamports,
                base64.b64encode(tx.raw).decode(),
                now,
            )
            for tx in txs
        ]
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR IGNORE INTO solana_txs (signature, intent_id, attempt, leg,"
                    " tier_bps, last_valid_block_height, route, signer, tip_lamports, raw,"
                    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def mark(self, intent_id: str, status: str, note: str = "") -> int:
        """Set the status of every transaction of ``intent_id``; returns how many rows."""
        return self._update("intent_id = ?", (intent_id,), status, note)

    def mark_attempt(self, intent_id: str, attempt: int, status: str, note: str = "") -> int:
        return self._update("intent_id = ? AND attempt = ?", (intent_id, attempt), status, note)

    def _record(self, row: Sequence[Any]) -> SolanaTxRecord:
        return SolanaTxRecord(
            signature=str(row[0]),
            intent_id=str(row[1]),
            attempt=int(row[2]),
            leg=int(row[3]),
            tier_bps=int(row[4]),
            last_valid_block_height=int(row[5]),
            route=str(row[6]),
            signer=str(row[7]),
            tip_lamports=int(row[8]),
            raw=base64.b64decode(str(row[9])),
            status=str(row[10]),
            note=str(row[11]),
            recorded_at=float(row[12]),
        )


@dataclass
class SolanaReport:
    """Timings (``time.perf_counter``) and landing figures of one intent."""

    intent_id: str
    t_submit: float
    t_signed: float | None = None
    t_journaled: float | None = None
    t_sent: float | None = None
    t_settled: float | None = None
    tier_bps: int | None = None
    tiers_tried: list[int] = field(default_factory=list)
    attempts: int = 0
    rebroadcasts: int = 0
    tip_lamports: int = 0
    signatures: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SolanaResult:
    intent: OrderIntent
    kind: ResultKind
    reason: str
    sent_at: float
    arrived_at: float
    landed: tuple[LandedTx, ...] = ()
    notes: tuple[str, ...] = ()
