"""LST de-peg: buy a liquid staking token below its fair value, sell on the re-peg."""

from phantom.engines.lst.engine import LstEngine, LstStats, LstTrade, StakeRate
from phantom.engines.lst.fair import TrendFairValue, robust_line
from phantom.engines.lst.params import DEFAULT_MARKETS, LstMarket, LstParams, RateSource

__all__ = [
    "DEFAULT_MARKETS",
    "LstEngine",
    "LstMarket",
    "LstParams",
    "LstStats",
    "LstTrade",
    "RateSource",
    "StakeRate",
    "TrendFairValue",
    "robust_line",
]
