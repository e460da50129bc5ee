"""A paper-trading stand-in for the crash test: journals intents and books fills until killed.

Run as ``python crash_child.py LEDGER_PATH``. Every start abandons what the previous run left in
flight, then replays the same deterministic sequence of intents from the beginning: intents that
already have an outcome must be refused (``DuplicateFill`` / ``IntentClosed``) and change nothing,
new ones are journaled (write ahead) and then filled, failed or rejected.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

from ledger_support import ENGINE, SOL, USDC, buy_sol, fee_only, make_fill, make_intent, sell_sol

from phantom.core.fills import BalanceDelta, FillStatus
from phantom.portfolio.errors import DuplicateFill, IntentClosed
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus


def outcome(n: int) -> tuple[FillStatus | None, Decimal, tuple[BalanceDelta, ...]]:
    """(status or None for a rejection, SOL price, deltas) of the n-th intent."""
    price = Decimal(100 + n % 17)
    lamports = (n % 13 + 1) * 10_000_000
    usdc = lamports * (100 + n % 17) // 1000
    fee = 5_000 + (n % 3) * 1_000
    if n % 7 == 3:
        return None, price, ()
    if n % 5 == 4:
        return FillStatus.FAILED, price, fee_only(fee)
    status = FillStatus.PARTIAL if n % 11 == 0 else FillStatus.FILLED
    deltas = buy_sol(usdc, lamports, fee) if n % 2 == 0 else sell_sol(lamports, usdc, fee)
    return status, price, deltas


def main(path: Path) -> None:
    ledger = Ledger(path)
    ledger.open_vault(ENGINE, [(USDC, 10**15, Decimal(1)), (SOL, 10**15, Decimal(100))])
    ledger.abandon_pending("restart: a paper intent in flight never reached a venue")
    print("ready", flush=True)
    n = 0
    while True:
        intent = make_intent(f"i-{n:07d}", amount_in=1 + n)
        status, price, deltas = outcome(n)
        journaled = ledger.intent(intent.intent_id)
        if journaled is None:
            ledger.journal_intent(intent)
        fill = make_fill(intent, deltas, status=status or FillStatus.FILLED)
        if journaled is not None and journaled.status is not IntentStatus.PENDING:
            try:  # a replay of something already decided must be refused
                ledger.record_fill(fill, {"SOL": price})
            except (DuplicateFill, IntentClosed):
                pass
            else:
                raise AssertionError(f"replayed fill {fill.fill_id} was booked twice")
        elif status is None:
            ledger.resolve_intent(intent.intent_id, IntentStatus.REJECTED, "risk gate")
        else:
            ledger.record_fill(fill, {"SOL": price})
        n += 1


if __name__ == "__main__":
    main(Path(sys.argv[1]))
