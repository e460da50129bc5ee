"""The SQLite plumbing shared by the transaction journals (EVM and Solana).

One file per journal, one table of signed transactions keyed by hash or signature, with an
``intent_id``, a ``status`` and a ``note``. The connection runs in autocommit mode with WAL and
``synchronous=FULL``: a write is committed (``fdatasync``) when its call returns. A subclass names
its table, its DDL, its column list and how a row becomes a record, and writes its own rows;
this base opens and closes the file, updates statuses and reads records back.

Checkpoints: a journal that sets ``checkpoint_writes`` runs a passive checkpoint from
:meth:`SqliteTxJournal._update` every that many commits (counted in ``_writes``; a subclass's
own writes add to it), never from the write-ahead path; ``autocheckpoint_pages`` sets SQLite's
own automatic checkpoint as a backstop. Without them SQLite's defaults apply.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

STATUSES = frozenset({"signed", "resolved", "abandoned"})

R = TypeVar("R")


class SqliteTxJournal(ABC, Generic[R]):
    """One SQLite file; safe to use from several threads (one connection, one lock)."""

    label: ClassVar[str]  # "EVM transaction journal", for the closed-journal error
    table: ClassVar[str]
    ddl: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]  # what _select reads, in the order _record expects
    checkpoint_writes: ClassVar[int | None] = None  # commits between _update's checkpoints
    autocheckpoint_pages: ClassVar[int | None] = None  # PRAGMA wal_autocheckpoint

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            if self.autocheckpoint_pages is not None:
                conn.execute(f"PRAGMA wal_autocheckpoint={self.autocheckpoint_pages}")
            conn.executescript(self.ddl)
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn
        self._writes = 0  # commits since the last checkpoint (under the lock)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"{self.label} {self.path} is closed")
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _update(self, where: str, params: tuple[object, ...], status: str, note: str) -> int:
        """Set ``status`` and ``note`` of the rows ``where`` selects; returns how many rows."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, got {status!r}")
        with self._lock:
            self._checkpoint_if_due()
            cur = self.conn.execute(
                f"UPDATE {self.table} SET status = ?, note = ?, updated_at = ? WHERE {where}",
                (status, note, time.time(), *params),
            )
            self._writes += 1
            return cur.rowcount

    def _checkpoint_if_due(self) -> None:
        """A passive checkpoint (never waits for readers) every ``checkpoint_writes`` commits;
        the commit that follows restarts the WAL from its beginning. Lock held."""
        if self.checkpoint_writes is not None and self._writes >= self.checkpoint_writes:
            self._writes = 0
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def txs_for(self, intent_id: str) -> list[R]:
        """Every transaction signed for ``intent_id``, in the order they were recorded."""
        return self._select("WHERE intent_id = ? ORDER BY rowid", (intent_id,))

    def open_records(self) -> list[R]:
        """Transactions whose intent's outcome is not known yet (status ``signed``)."""
        return self._select("WHERE status = 'signed' ORDER BY rowid", ())

    def all(self) -> list[R]:
        return self._select("ORDER BY rowid", ())

    def _select(self, where: str, params: tuple[object, ...]) -> list[R]:
        sql = f"SELECT {', '.join(self.columns)} FROM {self.table} {where}"
        with self._lock:
            rows = self.conn.execute(sql, params).fetchall()
        return [self._record(r) for r in rows]

    @abstractmethod
    def _record(self, row: Sequence[Any]) -> R:
        """One row of :attr:`columns` as the journal's record type."""
