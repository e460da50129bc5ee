"""Perpetual-futures venues: the interface, the paper simulator and a ccxt adapter.

Import the ccxt adapter from :mod:`phantom.venues.perps.ccxt_adapter` directly; this package
does not import ccxt.
"""

from phantom.venues.perps.base import (
    FundingPayment,
    FundingPrint,
    FundingRow,
    NotSupported,
    OrderType,
    PerpAccount,
    PerpFill,
    PerpMarket,
    PerpOrder,
    PerpOrderStatus,
    PerpPosition,
    PerpSide,
    PerpVenue,
    PerpVenueError,
    funding_apr,
)
from phantom.venues.perps.paper import PaperPerpVenue
from phantom.venues.perps.paper_params import FundingSettlement, Liquidation, PaperPerpParams

__all__ = [
    "FundingPayment",
    "FundingPrint",
    "FundingRow",
    "FundingSettlement",
    "Liquidation",
    "NotSupported",
    "OrderType",
    "PaperPerpParams",
    "PaperPerpVenue",
    "PerpAccount",
    "PerpFill",
    "PerpMarket",
    "PerpOrder",
    "PerpOrderStatus",
    "PerpPosition",
    "PerpSide",
    "PerpVenue",
    "PerpVenueError",
    "funding_apr",
]
