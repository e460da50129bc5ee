"""Row-level reads and writes of the ledger tables. Callers own the transaction."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from phantom.core.token import Token
from phantom.portfolio.accounting import EMPTY_HOLDING, Holding
from phantom.portfolio.codec import dec_dec, dec_int
from phantom.portfolio.errors import TokenConflict, UnknownVault

TOKEN_COLUMNS = "t.symbol, t.decimals, t.chain, t.address"


def token_from_row(symbol: str, decimals: int, chain: str, address: str) -> Token:
    return Token(symbol=symbol, decimals=int(decimals), chain=chain, address=address)


def token_id(conn: sqlite3.Connection, token: Token) -> int:
    """The id of ``token``, registering it if new. A different token with its key is refused."""
    row = conn.execute(
        "SELECT id, symbol, decimals, chain, address FROM tokens WHERE chain = ? AND symbol = ?",
        (token.chain, token.symbol),
    ).fetchone()
    if row is None:
        cur = conn.execute(
            "INSERT INTO tokens (chain, symbol, decimals, address) VALUES (?, ?, ?, ?)",
            (token.chain, token.symbol, token.decimals, token.address),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid
    known = token_from_row(row[1], row[2], row[3], row[4])
    if known != token:
        raise TokenConflict(f"{token.key}: the ledger knows {known!r}, got {token!r}")
    return int(row[0])


def load_tokens(conn: sqlite3.Connection) -> dict[int, Token]:
    rows = conn.execute("SELECT id, symbol, decimals, chain, address FROM tokens").fetchall()
    return {int(r[0]): token_from_row(r[1], r[2], r[3], r[4]) for r in rows}


def require_vault(conn: sqlite3.Connection, engine: str) -> None:
    if conn.execute("SELECT 1 FROM vaults WHERE engine = ?", (engine,)).fetchone() is None:
        raise UnknownVault(f"no vault for engine {engine!r}")


def next_seq(conn: sqlite3.Connection) -> int:
    """The next entry number shared by deposits and fills (call inside a write transaction)."""
    row = conn.execute(
        "SELECT MAX((SELECT COALESCE(MAX(seq), 0) FROM deposits),"
        " (SELECT COALESCE(MAX(seq), 0) FROM fills))"
    ).fetchone()
    return int(row[0]) + 1


def get_balance(conn: sqlite3.Connection, engine: str, tid: int) -> int:
    row = conn.execute(
        "SELECT amount FROM balances WHERE engine = ? AND token_id = ?", (engine, tid)
    ).fetchone()
    return 0 if row is None else dec_int(row[0], f"balance of {engine}/{tid}")


def set_balance(conn: sqlite3.Connection, engine: str, tid: int, amount: int) -> None:
    conn.execute(
        "INSERT INTO balances (engine, token_id, amount) VALUES (?, ?, ?)"
        " ON CONFLICT (engine, token_id) DO UPDATE SET amount = excluded.amount",
        (engine, tid, str(amount)),
    )


def get_holding(conn: sqlite3.Connection, engine: str, tid: int) -> Holding:
    row = conn.execute(
        "SELECT quantity, avg_entry_usd, realized_pnl_usd FROM positions"
        " WHERE engine = ? AND token_id = ?",
        (engine, tid),
    ).fetchone()
    if row is None:
        return EMPTY_HOLDING
    what = f"position {engine}/{tid}"
    return Holding(dec_int(row[0], what), dec_dec(row[1], what), dec_dec(row[2], what))


def set_holding(conn: sqlite3.Connection, engine: str, tid: int, holding: Holding) -> None:
    conn.execute(
        "INSERT INTO positions (engine, token_id, quantity, avg_entry_usd, realized_pnl_usd)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (engine, token_id) DO UPDATE SET"
        " quantity = excluded.quantity, avg_entry_usd = excluded.avg_entry_usd,"
        " realized_pnl_usd = excluded.realized_pnl_usd",
        (
            engine,
            tid,
            str(holding.quantity),
            str(holding.avg_entry_usd),
            str(holding.realized_pnl_usd),
        ),
    )


def get_counters(conn: sqlite3.Connection, engine: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT name, value FROM vault_counters WHERE engine = ?", (engine,)
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def set_counters(conn: sqlite3.Connection, engine: str, values: dict[str, str]) -> None:
    conn.executemany(
        "INSERT INTO vault_counters (engine, name, value) VALUES (?, ?, ?)"
        " ON CONFLICT (engine, name) DO UPDATE SET value = excluded.value",
        [(engine, name, value) for name, value in values.items()],
    )


def counter_decimal(counters: dict[str, str], name: str) -> Decimal:
    return dec_dec(counters.get(name, "0"), f"counter {name}")


def counter_int(counters: dict[str, str], name: str) -> int:
    return dec_int(counters.get(name, "0"), f"counter {name}")
