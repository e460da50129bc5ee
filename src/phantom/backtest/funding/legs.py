"""The funding engine's perp leg on a perp venue: shared by the funding backtest driver and the
paper run (``phantom.app``), so both translate intents and read the account the same way."""

from __future__ import annotations

from phantom.core.token import Token
from phantom.engines.funding.events import PerpAccountState, PerpIntent, PerpOutcome
from phantom.venues.perps.base import PerpFill, PerpOrder
from phantom.venues.perps.base import PerpSide as VenueSide
from phantom.venues.perps.paper import PaperPerpVenue


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


def account_state(venue: PaperPerpVenue, market: str, ts: float) -> PerpAccountState:
    """The perp account as the engine sees it: collateral, maintenance, position, health."""
    a = venue.account()
    size = venue.position_size(market)
    return PerpAccountState(ts, a.collateral, a.maintenance_margin, size, a.health)
