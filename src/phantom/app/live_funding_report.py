"""The summary of a live funding run: the paper summary's keys (``RunStats``), the engine figures
paper gives (``paper_funding.FundingSlot.figures``), and the live checks:

- ``chain_minus_ledger``: the wallet's SOL, USDC and spot token on chain less the vault's;
- ``venue_minus_ledger``: the perp account's cash at the venue less the vault's perp cash and
  reserve; ``ledger_matches_venue`` when it is zero;
- ``apr_on_capital_pct``: funding earned over the USDC capital (the wallet's USDC deposit and the
  perp account's cash at the start), annualised over the time the funding covered: the wall time,
  or the venue's funding intervals settled during the run when that is longer (a local exchange
  compresses an 8 h interval into seconds);
- ``pnl_usd``: what the engine's own activity made: every booked change (swaps, gas, perp cash,
  funding) valued at the pool price now, plus the perp's unrealized PnL; ``vault.pnl_usd`` is the
  whole vault's equity less its deposits, which also moves with the price of the SOL and WSOL the
  wallet held before the run.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from phantom.app.live_funding_spot import ENGINE
from phantom.app.paper_funding import engine_counts, engine_status
from phantom.app.stats import vault_figures
from phantom.core.token import Token
from phantom.engines.funding.engine import YEAR_S

TOP_FIGURES = (
    "funding_earned_usd",
    "apr_on_capital_pct",
    "max_abs_delta_drift_pct",
    "min_health_pct",
    "rebalances",
    "entries",
    "exits",
)

if TYPE_CHECKING:
    from phantom.app.live_funding_loop import FundingLiveRun


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _engine_figures(run: FundingLiveRun, capital: Decimal) -> dict[str, Any]:
    e, book, q = run.engine, run.book, run.cash
    assert e is not None
    earned = q.to_decimal(book.funding_earned)
    elapsed = max(1.0, time.time() - run.started_at)
    covered = max(elapsed, run.prints_seen * run.leg.interval_s)
    apr = float(earned / capital) * YEAR_S / covered * 100.0 if capital > 0 else 0.0
    acct = run.perp.account()
    pos = acct.position(run.market_symbol)
    unrealized = 0 if pos is None else pos.unrealized_pnl
    return {
        "market": run.market_symbol,
        "spot_pool": run.spot_pool.pool_id,
        "prints_settled": run.prints_seen,
        "prints_paid_or_earned": book.settlements,
        "funding_earned_usd": str(earned),
        "apr_on_capital_pct": round(apr, 4),
        "funding_covered_s": round(covered, 1),
        "perp_fees_usd": str(q.to_decimal(book.fees)),
        "perp_orders": run.perp_orders,
        "margin_moves": book.margin_moves,
        **engine_counts(e),
        "max_abs_delta_drift_pct": round(run.max_drift_pct, 4),
        "min_health_pct": None if run.min_health_pct is None else round(run.min_health_pct, 2),
        "liquidations": book.liquidations,
        "perp_rejections": run.perp_rejections,
        "perp_account": {
            "cash_usd": str(q.to_decimal(book.venue_cash(acct))),
            "engine_collateral_usd": str(q.to_decimal(book.balance())),
            "reserve_usd": str(q.to_decimal(book.reserve_balance())),
            "position": 0 if pos is None else pos.size,
            "unrealized_usd": str(q.to_decimal(unrealized)),
            "health_pct": round(float(acct.health) * 100.0, 2),
        },
        "status": engine_status(e),
    }


def summary(run: FundingLiveRun) -> dict[str, Any]:
    """See the module docstring."""
    ledger, book = run.ledger, run.book
    chain = run.bridge.run(run.chain_balances(), timeout=30)
    for _ in range(3):  # a payment the venue makes between its two reads: book it, read again
        run.leg.sync_payments()
        held = ledger.balances(ENGINE)
        acct = run.perp.account()
        venue_minus = book.venue_cash(acct) - held.get(run.cash, 0) - held.get(run.reserve, 0)
        if venue_minus == 0:
            break
    chain_minus = {t.symbol: u - held.get(t, 0) for t, u in chain.items()}
    deposits = ledger.deposits(ENGINE)
    capital = sum((d.value_usd for d in deposits if d.token in (run.usdc, run.reserve)), Decimal(0))
    pos = acct.position(run.market_symbol)
    unrealized = run.cash.to_decimal(0 if pos is None else pos.unrealized_pnl)
    prices = {t.symbol: run.price(t) for t in run.tracked}
    equity = sum(
        (t.to_decimal(u) * (Decimal(1) if ledger.is_cash(t) else prices.get(t.symbol, Decimal(0)))
         for t, u in held.items()),
        Decimal(0),
    )  # fmt: skip
    positions = {t.key: t.to_decimal(u) for t, u in held.items()}

    def usd(token: Token, units: int) -> Decimal:
        price = Decimal(1) if ledger.is_cash(token) else prices.get(token.symbol, Decimal(0))
        return token.to_decimal(units) * price

    booked = sum(
        (usd(d.token, d.amount) for f in ledger.fills(ENGINE) for d in f.deltas), Decimal(0)
    )
    pnl = (booked + unrealized).quantize(Decimal("0.000001"))
    vault = vault_figures(sum((d.value_usd for d in deposits), Decimal(0)), equity, unrealized,
                          positions)  # fmt: skip
    figures = _engine_figures(run, capital) if run.engine is not None else {}
    return run.stats.summary(
        {
            "mode": "live",
            "chain": "solana-local",
            "engine": ENGINE,
            "perp_venue": run.perp.name,
            "address": run.client.owner,
            "session": run.session.session_id,
            "seed": run.settings.seed,
            "sim_start": _iso(run.started_at),
            "sim_end": _iso(time.time()),
            "circuit_breaker_trips": run.breaker.trips,
            "engines": {ENGINE: {**figures, "vault": vault}},
            "funding": figures,
            **{k: figures.get(k) for k in TOP_FIGURES},
            "capital_usd": str(capital),
            "pnl_usd": str(pnl),
            "spot_trades": run.spot_trades,
            "perp_trades": run.perp_trades,
            "tips_paid_lamports": run.tips_paid,
            "reconciled": dict(sorted(run.leg.reconciled.items())),
            "venue_changes": run.leg.external_changes,
            "venue_failures": run.venue_failures,
            "unresolved": run.unresolved + len(run.leg.unresolved),
            "chain_minus_ledger": {k: str(v) for k, v in sorted(chain_minus.items())},
            "venue_minus_ledger": str(venue_minus),
            "ledger_matches_venue": venue_minus == 0,
            "ledger_ok": ledger.verify().ok,
        }
    )
