"""The funding engine's perp leg on a perp venue: shared by the funding backtest driver and the
paper run (``phantom.app``), so both translate intents and read the account the same way."""

from __future__ import annotations

from dataclasses import replace

from phantom.core.token import Token
from phantom.engines.funding.events import PerpAccountState, PerpIntent, PerpOutcome
from phantom.venues.perps.base import PerpAccount, PerpFill, PerpOrder, PerpVenue
from phantom.venues.perps.base import PerpSide as VenueSide


def perp_order(intent: PerpIntent) -> PerpOrder:
    """The market order a :class:`PerpIntent` asks for (its id is the client id)."""
    return PerpOrder(
        client_id=intent.intent_id,
        market=intent.market,
        side=VenueSide(intent.side.value),
        size=intent.size,
        reduce_only=intent.reduce_only,
    )


def perp_outcome(intent: PerpIntent, fill: PerpFill, quote: Token) -> PerpOutcome:
    """What the engine learns of the venue's fill (the fee in USD, quote taken at 1 USD)."""
    fee_usd = quote.to_decimal(fill.fee)
    return PerpOutcome(intent.intent_id, fill.filled, fill.avg_price, fee_usd, fill.reason)


def account_state(venue: PerpVenue, market: str, ts: float, reserve: int = 0) -> PerpAccountState:
    """The perp account as the engine sees it: collateral, maintenance, position, health.
    ``reserve``: cash of the account that is not the engine's (a live account funded ahead):
    left out of the collateral, so health is counted on the engine's share alone."""
    return state_of(venue.account(), market, ts, reserve)


def state_of(a: PerpAccount, market: str, ts: float, reserve: int = 0) -> PerpAccountState:
    """:func:`account_state` of an account already read."""
    pos = a.position(market)
    if reserve:
        a = replace(a, collateral=a.collateral - reserve)
    size = 0 if pos is None else pos.size
    return PerpAccountState(ts, a.collateral, a.maintenance_margin, size, a.health)
