"""``verify``: replay the journal and check the ledger's invariants, naming each broken one.

Invariants (the names are stable; tests and the CLI rely on them):

- ``records_decode``: every stored row parses (fill and intent bodies, amounts, prices, tokens),
  and a fill body agrees with its indexed columns;
- ``fills_sum_to_positions``: for every vault and non-cash token, deposits + the sum of all fill
  deltas == the stored balance == the stored position quantity;
- ``no_duplicate_fill``: no fill id twice, at most one fill per intent;
- ``no_duplicate_intent``: no intent id journaled twice;
- ``cash_reconciles``: cash tokens' balances == deposits + deltas, cash has no position row, and
  no balance is negative;
- ``fills_have_intents``: every fill refers to a journaled intent of its engine whose status
  matches the fill's status;
- ``outcomes_have_fills``: every intent marked filled / partial / failed has a fill;
- ``realized_pnl_reconciles`` / ``avg_entry_reconciles``: the stored realized PnL and average
  entry of every position == recomputed from deposits and fills in booking order;
- ``counters_reconcile``: the per-vault counters (fills by status, costs by kind) == recomputed.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from phantom.core.token import Token
from phantom.portfolio.accounting import (
    EMPTY_HOLDING,
    Holding,
    apply_change,
    count_fill,
    net_deltas,
)
from phantom.portfolio.codec import dec_dec, dec_int, fill_from_json, intent_from_json
from phantom.portfolio.codec import prices_from_json as decode_prices
from phantom.portfolio.errors import InsufficientBalance, LedgerError
from phantom.portfolio.models import FILL_OUTCOMES, IntentStatus, VerifyReport
from phantom.portfolio.schema import read_tx
from phantom.portfolio.store import load_tokens

Key = tuple[str, str]  # (engine, token key)


@dataclass
class _Replay:
    """What the journal says the vaults should hold."""

    expected: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    holdings: dict[Key, Holding | None] = field(default_factory=dict)  # None: replay broken
    counters: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    fill_ids: Counter[str] = field(default_factory=Counter)
    fills_by_intent: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    symbols: dict[str, str] = field(default_factory=dict)  # token key -> symbol


def verify_ledger(conn: sqlite3.Connection, cash_symbols: frozenset[str]) -> VerifyReport:
    report = VerifyReport()
    with read_tx(conn):
        tokens = load_tokens(conn)
        report.vaults_checked = conn.execute("SELECT COUNT(*) FROM vaults").fetchone()[0]
        intents = _check_intents(conn, report)
        replay = _Replay()
        deposits = conn.execute(
            "SELECT seq, engine, token_id, amount, price_usd FROM deposits"
        ).fetchall()
        fills = conn.execute(
            "SELECT seq, engine, fill_id, intent_id, status, body, prices FROM fills"
        ).fetchall()
        entries = sorted(
            [(row[0], 0, row) for row in deposits] + [(row[0], 1, row) for row in fills],
            key=lambda e: (e[0], e[1]),
        )
        for _, kind, row in entries:
            if kind == 0:
                _replay_deposit(report, replay, tokens, cash_symbols, row)
            else:
                report.fills_checked += 1
                _replay_fill(report, replay, intents, cash_symbols, row)
        _check_duplicates(report, replay)
        _check_outcomes(report, replay, intents)
        _check_holdings(conn, report, replay, tokens, cash_symbols)
        _check_counters(conn, report, replay)
    return report


def _book(
    report: VerifyReport,
    replay: _Replay,
    cash_symbols: frozenset[str],
    engine: str,
    token: Token,
    amount: int,
    price: Decimal | None,
    where: str,
) -> None:
    key = (engine, token.key)
    replay.expected[key] += amount
    replay.symbols[token.key] = token.symbol
    if token.symbol in cash_symbols:
        return
    holding = replay.holdings.get(key, EMPTY_HOLDING)
    if holding is None:
        return
    if price is None:
        report.add("realized_pnl_reconciles", f"{where}: no stored price for {token.symbol}")
        replay.holdings[key] = None
        return
    try:
        replay.holdings[key] = apply_change(holding, token, amount, price)
    except InsufficientBalance as exc:
        report.add("realized_pnl_reconciles", f"{where}: cannot replay {engine}: {exc}")
        replay.holdings[key] = None


def _replay_deposit(
    report: VerifyReport,
    replay: _Replay,
    tokens: dict[int, Token],
    cash_symbols: frozenset[str],
    row: tuple[int, str, int, str, str],
) -> None:
    seq, engine, tid, amount, price = row
    where = f"deposit #{seq}"
    token = tokens.get(tid)
    if token is None:
        report.add("records_decode", f"{where}: unknown token id {tid}")
        return
    try:
        units, usd = dec_int(amount, where), dec_dec(price, where)
    except LedgerError as exc:
        report.add("records_decode", str(exc))
        return
    _book(report, replay, cash_symbols, engine, token, units, usd, where)


def _replay_fill(
    report: VerifyReport,
    replay: _Replay,
    intents: dict[str, tuple[str, str]],
    cash_symbols: frozenset[str],
    row: tuple[int, str, str, str, str, str, str],
) -> None:
    seq, engine, fill_id, intent_id, status, body, prices_text = row
    where = f"fill {fill_id} (#{seq})"
    replay.fill_ids[fill_id] += 1
    replay.fills_by_intent[intent_id].append(fill_id)
    try:
        fill = fill_from_json(body)
        prices = decode_prices(prices_text)
        changes = net_deltas(fill.deltas)
    except LedgerError as exc:
        report.add("records_decode", f"{where}: {exc}")
        return
    columns = (fill_id, intent_id, engine, status)
    decoded = (fill.fill_id, fill.intent_id, fill.engine, fill.status.value)
    if columns != decoded:
        report.add("records_decode", f"{where}: columns {columns} but body says {decoded}")
    owner = intents.get(intent_id)
    if owner is None:
        report.add("fills_have_intents", f"{where}: intent {intent_id} was never journaled")
    elif owner[0] != engine:
        report.add("fills_have_intents", f"{where}: engine {engine}, intent's {owner[0]}")
    elif owner[1] != fill.status.value:
        report.add(
            "fills_have_intents",
            f"{where} is {fill.status.value}, intent {intent_id} is {owner[1]}",
        )
    for token, amount in changes:
        _book(report, replay, cash_symbols, engine, token, amount, prices.get(token.symbol), where)
    replay.counters[engine].update(count_fill(replay.counters[engine], fill.status, fill.costs))


def _check_intents(conn: sqlite3.Connection, report: VerifyReport) -> dict[str, tuple[str, str]]:
    """Decode every intent; returns intent id -> (engine, status)."""
    out: dict[str, tuple[str, str]] = {}
    rows = conn.execute("SELECT seq, intent_id, engine, status, body FROM intents ORDER BY seq")
    for seq, intent_id, engine, status, body in rows:
        report.intents_checked += 1
        where = f"intent {intent_id} (#{seq})"
        if intent_id in out:
            report.add("no_duplicate_intent", f"{where}: intent id journaled twice")
        out[intent_id] = (engine, status)
        try:
            IntentStatus(status)
            intent = intent_from_json(body)
        except (LedgerError, ValueError) as exc:
            report.add("records_decode", f"{where}: {exc}")
            continue
        if (intent.intent_id, intent.engine) != (intent_id, engine):
            report.add(
                "records_decode",
                f"{where}: columns ({intent_id}, {engine}) but body says "
                f"({intent.intent_id}, {intent.engine})",
            )
    return out


def _check_duplicates(report: VerifyReport, replay: _Replay) -> None:
    for fill_id, n in sorted(replay.fill_ids.items()):
        if n > 1:
            report.add("no_duplicate_fill", f"fill id {fill_id} recorded {n} times")
    for intent_id, fill_ids in sorted(replay.fills_by_intent.items()):
        if len(fill_ids) > 1:
            report.add(
                "no_duplicate_fill", f"intent {intent_id} has {len(fill_ids)} fills: {fill_ids}"
            )


def _check_outcomes(
    report: VerifyReport, replay: _Replay, intents: dict[str, tuple[str, str]]
) -> None:
    outcomes = {s.value for s in FILL_OUTCOMES}
    for intent_id, (_, status) in intents.items():
        if status in outcomes and intent_id not in replay.fills_by_intent:
            report.add("outcomes_have_fills", f"intent {intent_id} is {status} but has no fill")


def _check_holdings(
    conn: sqlite3.Connection,
    report: VerifyReport,
    replay: _Replay,
    tokens: dict[int, Token],
    cash_symbols: frozenset[str],
) -> None:
    balances: dict[Key, int] = {}
    for engine, tid, amount in conn.execute("SELECT engine, token_id, amount FROM balances"):
        token = tokens.get(tid)
        if token is None:
            report.add("records_decode", f"balance of {engine}: unknown token id {tid}")
            continue
        replay.symbols[token.key] = token.symbol
        try:
            balances[(engine, token.key)] = dec_int(amount, f"balance {engine}/{token.key}")
        except LedgerError as exc:
            report.add("records_decode", str(exc))
    stored: dict[Key, Holding] = {}
    rows = conn.execute(
        "SELECT engine, token_id, quantity, avg_entry_usd, realized_pnl_usd FROM positions"
    )
    for engine, tid, qty, avg, realized in rows:
        token = tokens.get(tid)
        if token is None:
            report.add("records_decode", f"position of {engine}: unknown token id {tid}")
            continue
        replay.symbols[token.key] = token.symbol
        what = f"position {engine}/{token.key}"
        try:
            stored[(engine, token.key)] = Holding(
                dec_int(qty, what), dec_dec(avg, what), dec_dec(realized, what)
            )
        except LedgerError as exc:
            report.add("records_decode", str(exc))
    for key in sorted(set(replay.expected) | set(balances) | set(stored)):
        engine, tkey = key
        expected, balance = replay.expected.get(key, 0), balances.get(key, 0)
        name = f"{engine} {tkey}"
        if balance < 0:
            report.add("cash_reconciles", f"{name}: negative balance {balance}")
        if replay.symbols.get(tkey) in cash_symbols:
            if balance != expected:
                report.add("cash_reconciles", f"{name}: balance {balance}, journal says {expected}")
            if key in stored:
                report.add("cash_reconciles", f"{name}: a cash token has a position row")
            continue
        if balance != expected:
            report.add(
                "fills_sum_to_positions", f"{name}: balance {balance}, journal says {expected}"
            )
        held = stored.get(key, EMPTY_HOLDING)
        if held.quantity != expected:
            report.add(
                "fills_sum_to_positions",
                f"{name}: position quantity {held.quantity}, journal says {expected}",
            )
        replayed = replay.holdings.get(key, EMPTY_HOLDING)
        if replayed is None:
            continue
        if held.realized_pnl_usd != replayed.realized_pnl_usd:
            report.add(
                "realized_pnl_reconciles",
                f"{name}: realized {held.realized_pnl_usd}, replay {replayed.realized_pnl_usd}",
            )
        if held.avg_entry_usd != replayed.avg_entry_usd:
            report.add(
                "avg_entry_reconciles",
                f"{name}: avg entry {held.avg_entry_usd}, replay {replayed.avg_entry_usd}",
            )


def _check_counters(conn: sqlite3.Connection, report: VerifyReport, replay: _Replay) -> None:
    stored: dict[str, dict[str, str]] = defaultdict(dict)
    for engine, name, value in conn.execute("SELECT engine, name, value FROM vault_counters"):
        stored[engine][name] = value
    for engine in sorted(set(stored) | set(replay.counters)):
        have, want = stored.get(engine, {}), replay.counters.get(engine, {})
        for name in sorted(set(have) | set(want)):
            try:
                same = dec_dec(have.get(name, "0"), name) == dec_dec(want.get(name, "0"), name)
            except LedgerError as exc:
                report.add("records_decode", f"counter {engine}/{name}: {exc}")
                continue
            if not same:
                report.add(
                    "counters_reconcile",
                    f"{engine} {name}: stored {have.get(name, '0')}, replay {want.get(name, '0')}",
                )
