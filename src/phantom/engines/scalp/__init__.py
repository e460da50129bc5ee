"""Multi-pod meme scalping: momentum entries with take-profit, stop-loss and time stops."""

from phantom.engines.scalp.engine import ScalpEngine, ScalpStats
from phantom.engines.scalp.params import DEFAULT_PODS, PodParams, ScalpParams
from phantom.engines.scalp.pods import PodState, PodTrade

__all__ = [
    "DEFAULT_PODS",
    "PodParams",
    "PodState",
    "PodTrade",
    "ScalpEngine",
    "ScalpParams",
    "ScalpStats",
]
