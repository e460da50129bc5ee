"""The delta-neutral funding engine: spot long + perp short, collecting funding.

``engine``, ``gate``, ``table``, ``params`` and ``events`` are pure (no I/O, no clock);
``data`` and ``backtest`` are the driver that runs the engine over recorded files.
"""

from phantom.engines.funding.engine import FundingEngine
from phantom.engines.funding.events import (
    FundingEvent,
    FundingIntent,
    FundingRatePrint,
    MarginIntent,
    MarginOutcome,
    PerpAccountState,
    PerpIntent,
    PerpOutcome,
    PerpSide,
    PriceSnapshot,
)
from phantom.engines.funding.gate import CostEstimate, GateDecision, round_trip_costs, safety_gate
from phantom.engines.funding.params import FundingCosts, FundingParams
from phantom.engines.funding.stats import FundingStats, FundingStatus
from phantom.engines.funding.table import FundingTable, FundingTableRow, build_funding_table

__all__ = [
    "CostEstimate",
    "FundingCosts",
    "FundingEngine",
    "FundingEvent",
    "FundingIntent",
    "FundingParams",
    "FundingRatePrint",
    "FundingStats",
    "FundingStatus",
    "FundingTable",
    "FundingTableRow",
    "GateDecision",
    "MarginIntent",
    "MarginOutcome",
    "PerpAccountState",
    "PerpIntent",
    "PerpOutcome",
    "PerpSide",
    "PriceSnapshot",
    "build_funding_table",
    "round_trip_costs",
    "safety_gate",
]
