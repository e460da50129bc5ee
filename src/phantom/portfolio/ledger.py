"""The ledger: per-engine vaults in SQLite with a write-ahead journal of order intents.

Every state change is one SQLite transaction (WAL, ``synchronous=FULL``), so a process killed at
any moment leaves either all of an operation or none of it:

- ``journal_intent`` commits the intent (status ``pending``) before it returns, i.e. before the
  order is sent;
- ``record_fill`` commits the fill, its balance deltas, the positions and realized PnL, the vault
  counters and the intent's outcome together; a repeat is ``DuplicateFill`` and changes nothing;
- on restart, ``pending_intents`` lists what was in flight. Paper intents never reached a venue and
  are closed with ``abandon_pending``; live venues reconcile them by signature or receipt first.

See ``phantom.portfolio.accounting`` for the position accounting conventions and
``docs/ledger.md`` for the schema and the invariants ``verify`` checks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType

from phantom.core.clock import Clock, WallClock
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.portfolio import queries
from phantom.portfolio.accounting import (
    apply_change,
    check_deposit,
    check_engine,
    check_price,
    count_fill,
    net_deltas,
)
from phantom.portfolio.codec import fill_to_json, intent_to_json, prices_to_json
from phantom.portfolio.errors import (
    DuplicateFill,
    DuplicateIntent,
    FillMismatch,
    InsufficientBalance,
    IntentClosed,
    MissingPrice,
    UnknownIntent,
)
from phantom.portfolio.models import (
    RESOLUTIONS,
    Deposit,
    IntentStatus,
    JournaledIntent,
    Position,
    VaultSummary,
    VerifyReport,
    intent_status_of,
)
from phantom.portfolio.schema import connect, init_schema, read_tx, write_tx
from phantom.portfolio.store import (
    get_balance,
    get_counters,
    get_holding,
    next_seq,
    require_vault,
    set_balance,
    set_counters,
    set_holding,
    token_id,
)
from phantom.portfolio.verify import verify_ledger

DEFAULT_CASH_SYMBOLS: frozenset[str] = frozenset({"USDC", "USDT", "USD"})
DEFAULT_NATIVE_SYMBOLS: Mapping[str, str] = {
    "solana": "SOL",
    "ethereum": "ETH",
    "evm": "ETH",
    "anvil": "ETH",
    "base": "ETH",
    "arbitrum": "ETH",
    "optimism": "ETH",
    "bsc": "BNB",
    "polygon": "POL",
    "avalanche": "AVAX",
    "sonic": "S",
}


class Ledger:
    """Per-engine vaults and the intent journal in one SQLite file.

    ``cash_symbols``: symbols valued as USD cash (fixed when the database is created; reopening
    with another set is a ``SchemaMismatch``). ``native_symbols``: the gas token of each chain,
    by chain name, for the gas figures of summaries. ``clock`` stamps journal rows.
    """

    def __init__(
        self,
        path: Path,
        *,
        cash_symbols: Iterable[str] = DEFAULT_CASH_SYMBOLS,
        native_symbols: Mapping[str, str] = DEFAULT_NATIVE_SYMBOLS,
        clock: Clock | None = None,
    ) -> None:
        self.path = Path(path)
        self.cash_symbols = frozenset(cash_symbols)
        self.native_symbols = dict(native_symbols)
        self._clock: Clock = clock if clock is not None else WallClock()
        self._conn: sqlite3.Connection | None = connect(self.path)
        try:
            init_schema(self._conn, self.cash_symbols)
        except BaseException:
            self.close()
            raise

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"ledger {self.path} is closed")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def is_cash(self, token: Token) -> bool:
        return token.symbol in self.cash_symbols

    def is_native(self, token: Token) -> bool:
        return self.native_symbols.get(token.chain) == token.symbol

    # --- vaults -------------------------------------------------------------------------------

    def open_vault(self, engine: str, deposits: Sequence[tuple[Token, int, Decimal]]) -> bool:
        """Create ``engine``'s vault with its initial deposits, unless it exists. True if created.

        Each deposit is (token, base units > 0, USD price per whole token).
        """
        check_engine(engine)
        checked = [check_deposit(token, amount, price) for token, amount, price in deposits]
        with write_tx(self.conn) as conn:
            if conn.execute("SELECT 1 FROM vaults WHERE engine = ?", (engine,)).fetchone():
                return False
            now = self._clock.now()
            conn.execute("INSERT INTO vaults (engine, created_at) VALUES (?, ?)", (engine, now))
            for token, amount, price in checked:
                self._book_deposit(conn, engine, token, amount, price, now)
            return True

    def deposit(self, engine: str, token: Token, amount: int, price_usd: Decimal) -> None:
        """Add capital to an existing vault (e.g. an external gas top-up)."""
        token, amount, price_usd = check_deposit(token, amount, price_usd)
        with write_tx(self.conn) as conn:
            require_vault(conn, engine)
            self._book_deposit(conn, engine, token, amount, price_usd, self._clock.now())

    def _book_deposit(
        self,
        conn: sqlite3.Connection,
        engine: str,
        token: Token,
        amount: int,
        price: Decimal,
        now: float,
    ) -> None:
        tid = token_id(conn, token)
        conn.execute(
            "INSERT INTO deposits (seq, engine, token_id, amount, price_usd, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (next_seq(conn), engine, tid, str(amount), str(price), now),
        )
        set_balance(conn, engine, tid, get_balance(conn, engine, tid) + amount)
        if not self.is_cash(token):
            holding = apply_change(get_holding(conn, engine, tid), token, amount, price)
            set_holding(conn, engine, tid, holding)

    def vaults(self) -> list[str]:
        """Engines that have a vault, by name."""
        return [r[0] for r in self.conn.execute("SELECT engine FROM vaults ORDER BY engine")]

    engines = vaults

    def last_activity_ts(self) -> float | None:
        """The latest domain timestamp booked (an intent's ``created_at``, a fill's
        ``arrived_at``), in the clock of the mode that produced them; None if nothing was."""
        found = [
            row[0]
            for row in self.conn.execute(
                "SELECT MAX(json_extract(body, '$.created_at')) FROM intents UNION ALL"
                " SELECT MAX(json_extract(body, '$.arrived_at')) FROM fills"
            )
            if row[0] is not None
        ]
        return float(max(found)) if found else None

    # --- journal ------------------------------------------------------------------------------

    def journal_intent(self, intent: OrderIntent) -> None:
        """Write ahead: the intent is committed as ``pending`` when this returns."""
        body = intent_to_json(intent)
        with write_tx(self.conn) as conn:
            require_vault(conn, intent.engine)
            if conn.execute(
                "SELECT 1 FROM intents WHERE intent_id = ?", (intent.intent_id,)
            ).fetchone():
                raise DuplicateIntent(f"intent {intent.intent_id} is already journaled")
            conn.execute(
                "INSERT INTO intents (intent_id, engine, kind, status, body, journaled_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    intent.intent_id,
                    intent.engine,
                    intent.kind.value,
                    IntentStatus.PENDING.value,
                    body,
                    self._clock.now(),
                ),
            )

    def resolve_intent(self, intent_id: str, status: IntentStatus, reason: str) -> None:
        """Close a pending intent without a fill: ``rejected`` (never sent) or ``abandoned``."""
        status = IntentStatus(status)
        if status not in RESOLUTIONS:
            raise ValueError(
                f"resolve_intent takes {sorted(s.value for s in RESOLUTIONS)}, "
                f"got {status.value!r}; fill outcomes are booked by record_fill"
            )
        with write_tx(self.conn) as conn:
            row = conn.execute(
                "SELECT status FROM intents WHERE intent_id = ?", (intent_id,)
            ).fetchone()
            if row is None:
                raise UnknownIntent(f"intent {intent_id} was never journaled")
            if row[0] != IntentStatus.PENDING.value:
                raise IntentClosed(f"intent {intent_id} is already {row[0]}")
            conn.execute(
                "UPDATE intents SET status = ?, reason = ?, resolved_at = ? WHERE intent_id = ?",
                (status.value, reason, self._clock.now(), intent_id),
            )

    def abandon_pending(self, reason: str, engine: str | None = None) -> int:
        """Close every pending intent (of one engine, or all) as ``abandoned``. Returns how many.

        For paper execution after a restart: an intent with no outcome never reached a venue.
        """
        sql = "UPDATE intents SET status = ?, reason = ?, resolved_at = ? WHERE status = ?"
        params: list[str | float] = [
            IntentStatus.ABANDONED.value,
            reason,
            self._clock.now(),
            IntentStatus.PENDING.value,
        ]
        if engine is not None:
            sql += " AND engine = ?"
            params.append(engine)
        with write_tx(self.conn) as conn:
            return conn.execute(sql, params).rowcount

    def pending_intents(self, engine: str | None = None) -> list[JournaledIntent]:
        """Journaled intents with no outcome yet, in journal order."""
        return queries.intents(self.conn, engine, IntentStatus.PENDING)

    def intents(
        self, engine: str | None = None, status: IntentStatus | None = None
    ) -> list[JournaledIntent]:
        return queries.intents(self.conn, engine, status)

    def intent(self, intent_id: str) -> JournaledIntent | None:
        return queries.intent(self.conn, intent_id)

    # --- fills --------------------------------------------------------------------------------

    def record_fill(self, fill: Fill, prices_usd: Mapping[str, Decimal]) -> None:
        """Book a fill atomically with everything it changes (see the module docstring).

        ``prices_usd``: USD price per whole token by symbol, needed for every non-cash token the
        fill changes. Raises ``UnknownIntent``, ``DuplicateFill``, ``IntentClosed``,
        ``FillMismatch``, ``MissingPrice`` or ``InsufficientBalance``; then nothing changed.
        """
        changes = net_deltas(fill.deltas)
        body = fill_to_json(fill)
        with write_tx(self.conn) as conn:
            self._check_fill_is_new(conn, fill)  # a repeat is DuplicateFill whatever its prices
            prices = self._fill_prices(fill, changes, prices_usd)
            for token, amount in changes:
                tid = token_id(conn, token)
                balance = get_balance(conn, fill.engine, tid) + amount
                if balance < 0:
                    raise InsufficientBalance(
                        f"fill {fill.fill_id}: {fill.engine} {token.key} balance would be "
                        f"{balance} base units"
                    )
                set_balance(conn, fill.engine, tid, balance)
                if not self.is_cash(token):
                    holding = get_holding(conn, fill.engine, tid)
                    holding = apply_change(holding, token, amount, prices[token.symbol])
                    set_holding(conn, fill.engine, tid, holding)
            now = self._clock.now()
            conn.execute(
                "INSERT INTO fills (seq, fill_id, intent_id, engine, status, body, prices,"
                " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    next_seq(conn),
                    fill.fill_id,
                    fill.intent_id,
                    fill.engine,
                    fill.status.value,
                    body,
                    prices_to_json(prices),
                    now,
                ),
            )
            counters = get_counters(conn, fill.engine)
            set_counters(conn, fill.engine, count_fill(counters, fill.status, fill.costs))
            conn.execute(
                "UPDATE intents SET status = ?, reason = ?, resolved_at = ? WHERE intent_id = ?",
                (intent_status_of(fill.status).value, fill.failure_reason, now, fill.intent_id),
            )

    def _fill_prices(
        self, fill: Fill, changes: list[tuple[Token, int]], prices_usd: Mapping[str, Decimal]
    ) -> dict[str, Decimal]:
        """The price of every non-cash token the fill changes (stored with the fill)."""
        prices: dict[str, Decimal] = {}
        for token, _ in changes:
            if self.is_cash(token):
                continue
            if token.symbol not in prices_usd:
                raise MissingPrice(f"fill {fill.fill_id}: no USD price for {token.symbol}")
            prices[token.symbol] = check_price(token.symbol, prices_usd[token.symbol])
        return prices

    @staticmethod
    def _check_fill_is_new(conn: sqlite3.Connection, fill: Fill) -> None:
        row = conn.execute(
            "SELECT engine, status FROM intents WHERE intent_id = ?", (fill.intent_id,)
        ).fetchone()
        if row is None:
            raise UnknownIntent(f"fill {fill.fill_id}: intent {fill.intent_id} was never journaled")
        if conn.execute("SELECT 1 FROM fills WHERE fill_id = ?", (fill.fill_id,)).fetchone():
            raise DuplicateFill(f"fill {fill.fill_id} is already recorded")
        prior = conn.execute(
            "SELECT fill_id FROM fills WHERE intent_id = ?", (fill.intent_id,)
        ).fetchone()
        if prior is not None:
            raise DuplicateFill(
                f"fill {fill.fill_id}: intent {fill.intent_id} already has fill {prior[0]}"
            )
        engine, status = row
        if status != IntentStatus.PENDING.value:
            if IntentStatus(status).is_fill_outcome:
                raise DuplicateFill(f"fill {fill.fill_id}: intent {fill.intent_id} is {status}")
            raise IntentClosed(f"fill {fill.fill_id}: intent {fill.intent_id} is {status}")
        if engine != fill.engine:
            raise FillMismatch(
                f"fill {fill.fill_id} is for engine {fill.engine!r}, "
                f"its intent {fill.intent_id} for {engine!r}"
            )

    def fills(self, engine: str | None = None) -> list[Fill]:
        """Decoded fills, in the order they were recorded."""
        return queries.fills(self.conn, engine)

    # --- reads --------------------------------------------------------------------------------

    def balances(self, engine: str) -> dict[Token, int]:
        """Non-zero balances of every token, cash included, in base units."""
        return queries.balances(self.conn, engine)

    def positions(self, engine: str) -> list[Position]:
        return queries.positions(self.conn, engine)

    def deposits(self, engine: str) -> list[Deposit]:
        return queries.deposits(self.conn, engine)

    def summary(self, engine: str) -> VaultSummary:
        with read_tx(self.conn) as conn:
            return queries.summary(conn, engine, self.is_cash, self.is_native)

    def verify(self) -> VerifyReport:
        """Check the ledger's invariants; each broken one is named in the report."""
        return verify_ledger(self.conn, self.cash_symbols)
