"""The embedded replay world: a recorded price path (SOL, ETH, BTC through the FTX crash) drives
simulated Solana pools whose prices follow it with lag and noise. See docs/replay-world.md."""

from phantom.market.replay.layout import DEFAULT_POOLS, MINTS, TOKENS, PoolSpec, RangeSpec
from phantom.market.replay.params import WorldParams
from phantom.market.replay.path import (
    SAMPLE_FILE,
    Bars,
    PathError,
    PricePath,
    load_feather,
    load_npz,
    load_sample,
)
from phantom.market.replay.world import ReplayWorld

__all__ = [
    "DEFAULT_POOLS",
    "MINTS",
    "SAMPLE_FILE",
    "TOKENS",
    "Bars",
    "PathError",
    "PoolSpec",
    "PricePath",
    "RangeSpec",
    "ReplayWorld",
    "WorldParams",
    "load_feather",
    "load_npz",
    "load_sample",
]
