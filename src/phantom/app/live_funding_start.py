"""Start-up of a live funding run, after the first market snapshot and before anything is sent:

1. the vault: on the first start, the wallet's tracked balances (SOL, USDC, the spot token) and
   the perp account's cash as the **reserve** (the account must hold no position: one the ledger
   does not know is not the engine's to touch), plus the opening marker of the funding payments
   already in that cash (``live_funding_perp``);
2. reconciliation of pending intents: swaps by signature, perp-account entries by client id;
3. the engine: parameters from the spot pool and the fee schedule, its legs rebuilt from the
   ledger and the venue (``restore_engine``), then the venue's last prints as its look-back;
4. funding payments the venue made since the last booked one; any other change of the account's
   cash since the last run is booked as a venue change (logged and counted).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from phantom.app import wiring
from phantom.app.live_funding_config import funding_params
from phantom.app.live_funding_perp import restore_engine
from phantom.app.live_funding_spot import ENGINE, log
from phantom.app.live_run import LiveRefused
from phantom.core.pool import ConstantProductPool
from phantom.engines.funding.engine import FundingEngine
from phantom.venues.perps.base import PerpAccount

if TYPE_CHECKING:
    from phantom.app.live_funding_loop import FundingLiveRun

OPENING_TRIES = 5


def _opening_account(run: FundingLiveRun) -> tuple[PerpAccount, float]:
    """The account and the last payment already in its cash, read so that no payment can land
    between the two (the payments are read before and after the account and must agree)."""
    perp, market = run.perp, run.market_symbol
    for _ in range(OPENING_TRIES):
        before = perp.funding_payments(market)
        acct = perp.account()
        after = perp.funding_payments(market)
        if [p.payment_id for p in before] == [p.payment_id for p in after]:
            return acct, max((p.ts for p in after), default=0.0)
    raise LiveRefused("the perp venue's funding payments kept changing while opening the vault")


def open_vault(run: FundingLiveRun) -> None:
    if ENGINE in run.ledger.vaults():
        return
    acct, paid_at = _opening_account(run)
    pos = acct.position(run.market_symbol)
    if pos is not None and pos.size != 0:
        raise LiveRefused(
            f"the perp account already holds a {run.market_symbol} position the ledger does not "
            "know; close it or use another account"
        )
    balances = run.bridge.run(run.chain_balances(), timeout=30)
    deposits = [(t, u, run.price(t)) for t, u in balances.items() if u > 0]
    cash = run.book.venue_cash(acct)
    if cash > 0:
        deposits.append((run.reserve, cash, Decimal(1)))
    run.ledger.open_vault(ENGINE, deposits)
    run.leg.mark_opening(paid_at)
    log.info("vault_opened", balances={t.key: str(u) for t, u, _ in deposits})


def start_run(run: FundingLiveRun) -> None:
    """See the module docstring."""
    open_vault(run)
    run.leg.load_since()
    pending = [j.intent for j in run.ledger.pending_intents(ENGINE)]
    spot = [i for i in pending if "perp_account" not in i.tags]
    for item in run.reconcile(spot):
        run.leg.reconciled[f"spot_{item.action}"] += 1
    run.leg.reconcile([i for i in pending if "perp_account" in i.tags])
    run.capital.restore()
    acct = run.perp.account()
    pos = acct.position(run.market_symbol)
    run.book.position = 0 if pos is None else pos.size
    pool = run.market.pool(run.spot_pool.pool_id)
    if not isinstance(pool, ConstantProductPool):
        raise LiveRefused(f"the spot pool {pool.pool_id} is not a constant-product pool")
    params = funding_params(
        run.settings, run.options, run.base, run.usdc, run.market_symbol, pool,
        wiring.fee_schedule(run.settings, run.native), run.native, run.price(run.native),
        run.available(run.usdc),
    )  # fmt: skip
    run.engine = engine = FundingEngine(params, id_prefix=run.prefix)
    restore_engine(engine, run.ledger, run.base, run.book.position)
    for p in run.leg.lookback(params.lookback_prints):
        engine.on_event(p, run.context())
    run.leg.sync_payments()
    book = run.book
    away = book.venue_cash() - book.balance() - book.reserve_balance()
    if away:  # the account's cash moved while no run was watching: the venue is the truth
        run.leg.external_changes += 1
        book.external(f"the account's cash moved by {away} units while the engine was away")
        log.warning("perp_cash_moved_while_away", units=away)
    log.info("funding_start", spot_units=engine.spot_units, perp_units=engine.perp_units,
             holding=engine.want_open, reconciled=dict(run.leg.reconciled))  # fmt: skip
