"""The ledger's SQLite schema, connection settings and transaction helpers.

Amounts (int base units) and USD figures (``Decimal``) are stored as TEXT decimal strings: wei
exceeds SQLite's 64-bit integers and a REAL would round. Uniqueness that the ledger relies on
(one fill per fill id, one fill per intent, one row per intent id) is enforced by unique indexes
and checked again by ``verify``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from phantom.portfolio.errors import LedgerError, SchemaMismatch

SCHEMA_VERSION = "1"

DDL: tuple[str, ...] = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        chain TEXT NOT NULL,
        symbol TEXT NOT NULL,
        decimals INTEGER NOT NULL,
        address TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX tokens_key ON tokens(chain, symbol)",
    "CREATE TABLE vaults (engine TEXT PRIMARY KEY, created_at REAL NOT NULL)",
    # deposits and fills share one sequence (``seq``): the order entries were booked in
    """CREATE TABLE deposits (
        seq INTEGER PRIMARY KEY,
        engine TEXT NOT NULL REFERENCES vaults(engine),
        token_id INTEGER NOT NULL REFERENCES tokens(id),
        amount TEXT NOT NULL,
        price_usd TEXT NOT NULL,
        created_at REAL NOT NULL
    )""",
    """CREATE TABLE intents (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        intent_id TEXT NOT NULL,
        engine TEXT NOT NULL REFERENCES vaults(engine),
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        journaled_at REAL NOT NULL,
        resolved_at REAL
    )""",
    "CREATE UNIQUE INDEX intents_intent_id ON intents(intent_id)",
    "CREATE INDEX intents_status ON intents(status, seq)",
    "CREATE INDEX intents_engine ON intents(engine, status)",
    """CREATE TABLE fills (
        seq INTEGER PRIMARY KEY,
        fill_id TEXT NOT NULL,
        intent_id TEXT NOT NULL REFERENCES intents(intent_id),
        engine TEXT NOT NULL REFERENCES vaults(engine),
        status TEXT NOT NULL,
        body TEXT NOT NULL,
        prices TEXT NOT NULL,
        recorded_at REAL NOT NULL
    )""",
    "CREATE UNIQUE INDEX fills_fill_id ON fills(fill_id)",
    "CREATE UNIQUE INDEX fills_intent_id ON fills(intent_id)",
    "CREATE INDEX fills_engine ON fills(engine, seq)",
    """CREATE TABLE balances (
        engine TEXT NOT NULL REFERENCES vaults(engine),
        token_id INTEGER NOT NULL REFERENCES tokens(id),
        amount TEXT NOT NULL,
        PRIMARY KEY (engine, token_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE positions (
        engine TEXT NOT NULL REFERENCES vaults(engine),
        token_id INTEGER NOT NULL REFERENCES tokens(id),
        quantity TEXT NOT NULL,
        avg_entry_usd TEXT NOT NULL,
        realized_pnl_usd TEXT NOT NULL,
        PRIMARY KEY (engine, token_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE vault_counters (
        engine TEXT NOT NULL REFERENCES vaults(engine),
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (engine, name)
    ) WITHOUT ROWID""",
)


def connect(path: Path) -> sqlite3.Connection:
    """Open the database in autocommit mode; transactions are explicit (``write_tx``)."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(f"{path}: could not switch to WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def write_tx(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def read_tx(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A consistent snapshot for several reads."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _cash_text(cash_symbols: frozenset[str]) -> str:
    return orjson.dumps(sorted(cash_symbols)).decode()


def init_schema(conn: sqlite3.Connection, cash_symbols: frozenset[str]) -> bool:
    """Create the schema if the database is new; check it otherwise. True if created."""
    with write_tx(conn):
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if exists is None:
            for statement in DDL:
                conn.execute(statement)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("schema_version", SCHEMA_VERSION), ("cash_symbols", _cash_text(cash_symbols))],
            )
            return True
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"ledger schema version {meta.get('schema_version')!r}, "
                f"this code reads {SCHEMA_VERSION!r}"
            )
        if meta.get("cash_symbols") != _cash_text(cash_symbols):
            raise SchemaMismatch(
                f"ledger was created with cash symbols {meta.get('cash_symbols')}, "
                f"opened with {_cash_text(cash_symbols)}"
            )
        return False
