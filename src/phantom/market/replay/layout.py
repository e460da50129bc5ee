"""The replay world's tokens and pools: what exists, how deep, how busy, how fast it re-aligns.

Every pool is quoted base/quote with ``token0 = base`` and ``token1 = quote``, so a pool's price
is quote per base (the Uniswap V3 convention ``token1 per token0``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from phantom.amm.concentrated import from_positions
from phantom.amm.tick_math import MAX_TICK, get_sqrt_ratio_at_tick
from phantom.core.pool import ConcentratedPool, ConstantProductPool, Pool, PoolKind
from phantom.core.token import Token

_Q96 = float(1 << 96)
_LOG_TICK = math.log(1.0001)

TOKENS: dict[str, Token] = {
    "USDC": Token("USDC", 6),
    "USDT": Token("USDT", 6),
    "SOL": Token("SOL", 9),  # the native gas token (wrapped SOL in pools)
    "ETH": Token("ETH", 8),  # Wormhole (Portal) ETH on Solana
    "BTC": Token("BTC", 8),  # Wormhole (Portal) WBTC on Solana
}
"""The world's tokens. Addresses are left empty so that ``Token("SOL", 9)`` built anywhere else
equals the world's SOL; the mainnet mints they stand for are in :data:`MINTS`."""
MINTS: dict[str, str] = {
    "USDC": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    "USDT": "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
    "SOL": "So11111111111111111111111111111111111111112",
    "ETH": "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs",
    "BTC": "3NZ9JMVBmGAqocybic2c7LQCJScmgsAZ6vQqTDzcqmJh",
    "jitoSOL": "J1toso1uCk3RLmjorhTtrVwY9HJ7X8V9yYac6Y7kGCPn",
    "mSOL": "mSoLzYCxHdYgdzU16g5QSh3i5K3z3KZK7ytfqcJm7So",
}
LST_TOKENS: dict[str, Token] = {
    "jitoSOL": Token("jitoSOL", 9),
    "mSOL": Token("mSOL", 9),
}
"""Liquid staking tokens (priced by ``replay.lst``; in the world only when a pool trades them)."""
ALL_TOKENS: dict[str, Token] = {**TOKENS, **LST_TOKENS}
STABLES: tuple[str, ...] = ("USDC", "USDT")
NATIVE = "SOL"


@dataclass(frozen=True, slots=True)
class RangeSpec:
    """A concentrated-liquidity position: ``share`` of the pool's USD depth within
    ``price * (1 -/+ half_width)``; ``half_width=None`` is a full-range position."""

    share: float
    half_width: float | None = None


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """One simulated pool and its flow.

    ``arb_interval_s`` (mean seconds between arbitrage arrivals) and ``arb_fraction`` (share of
    the excess gap each arrival closes) set how fast the pool re-aligns with the reference;
    ``noise_interval_s`` and ``noise_median_usd`` set how busy its uninformed flow is.
    """

    pool_id: str
    venue: str
    base: str
    quote: str
    kind: PoolKind
    fee_ppm: int
    depth_usd: float
    arb_interval_s: float
    arb_fraction: float
    noise_interval_s: float
    noise_median_usd: float
    tick_spacing: int = 1
    ranges: tuple[RangeSpec, ...] = field(default=())

    def __post_init__(self) -> None:
        where = f"pool spec {self.pool_id}"
        if self.base == self.quote:
            raise ValueError(f"{where}: base and quote must differ")
        for name in ("depth_usd", "arb_interval_s", "noise_interval_s", "noise_median_usd"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{where}: {name} must be a finite number > 0, got {value}")
        if not 0 < self.arb_fraction <= 1:
            raise ValueError(f"{where}: arb_fraction must be in (0, 1], got {self.arb_fraction}")
        if self.kind is PoolKind.CONCENTRATED:
            if not self.ranges:
                raise ValueError(f"{where}: a concentrated pool needs at least one range")
            if self.tick_spacing <= 0:
                raise ValueError(f"{where}: tick_spacing must be positive")
            total = sum(r.share for r in self.ranges)
            if any(r.share <= 0 for r in self.ranges) or abs(total - 1.0) > 1e-9:
                raise ValueError(f"{where}: range shares must be > 0 and sum to 1, got {total}")
            if any(r.half_width is not None and not 0 < r.half_width < 1 for r in self.ranges):
                raise ValueError(f"{where}: range half_width must be in (0, 1)")

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"


def _cp(
    pool_id: str,
    base: str,
    quote: str,
    fee_ppm: int,
    depth_usd: float,
    arb: tuple[float, float],
    noise: tuple[float, float],
) -> PoolSpec:
    venue = pool_id.split("-")[0]
    return PoolSpec(
        pool_id, venue, base, quote, PoolKind.CONSTANT_PRODUCT, fee_ppm, depth_usd, *arb, *noise
    )


def _clmm(
    pool_id: str,
    base: str,
    quote: str,
    fee_ppm: int,
    tick_spacing: int,
    depth_usd: float,
    arb: tuple[float, float],
    noise: tuple[float, float],
    ranges: tuple[RangeSpec, ...],
) -> PoolSpec:
    venue = pool_id.split("-")[0]
    return PoolSpec(
        pool_id,
        venue,
        base,
        quote,
        PoolKind.CONCENTRATED,
        fee_ppm,
        depth_usd,
        *arb,
        *noise,
        tick_spacing=tick_spacing,
        ranges=ranges,
    )


_VOLATILE_RANGES = (RangeSpec(0.4, 0.02), RangeSpec(0.35, 0.08), RangeSpec(0.25))
_STABLE_RANGES = (RangeSpec(0.8, 0.002), RangeSpec(0.2))

# arb = (mean seconds between arbitrage arrivals, fraction of the excess gap closed)
# noise = (mean seconds between noise trades, median noise trade in USD)
DEFAULT_POOLS: tuple[PoolSpec, ...] = (
    _cp("raydium-SOL-USDC", "SOL", "USDC", 2500, 3_000_000, (6.0, 0.6), (5.0, 500)),
    _cp("orca-SOL-USDC", "SOL", "USDC", 3000, 1_200_000, (12.0, 0.5), (9.0, 180)),
    _clmm(
        "orca-wp-SOL-USDC",
        "SOL",
        "USDC",
        500,
        8,
        2_000_000,
        (4.0, 0.8),
        (4.0, 800),
        _VOLATILE_RANGES,
    ),
    _cp("raydium-SOL-USDT", "SOL", "USDT", 2500, 700_000, (12.0, 0.6), (10.0, 150)),
    _clmm(
        "orca-wp-SOL-USDT",
        "SOL",
        "USDT",
        3000,
        64,
        500_000,
        (20.0, 0.5),
        (14.0, 200),
        _VOLATILE_RANGES,
    ),
    _cp("meteora-USDT-USDC", "USDT", "USDC", 100, 6_000_000, (5.0, 0.8), (8.0, 300)),
    _clmm(
        "orca-wp-USDT-USDC",
        "USDT",
        "USDC",
        100,
        1,
        3_000_000,
        (4.0, 0.8),
        (6.0, 1_000),
        _STABLE_RANGES,
    ),
    _cp("raydium-ETH-USDC", "ETH", "USDC", 2500, 600_000, (12.0, 0.6), (12.0, 120)),
    _clmm(
        "orca-wp-ETH-USDC",
        "ETH",
        "USDC",
        500,
        8,
        800_000,
        (8.0, 0.7),
        (10.0, 300),
        _VOLATILE_RANGES,
    ),
    _cp("orca-ETH-SOL", "ETH", "SOL", 3000, 250_000, (25.0, 0.5), (20.0, 50)),
    _cp("raydium-BTC-USDC", "BTC", "USDC", 2500, 500_000, (12.0, 0.6), (12.0, 100)),
    _cp("lifinity-BTC-USDC", "BTC", "USDC", 3000, 300_000, (25.0, 0.5), (18.0, 60)),
    _cp("orca-BTC-SOL", "BTC", "SOL", 3000, 200_000, (30.0, 0.5), (25.0, 40)),
)

# LST/SOL pools (not in DEFAULT_POOLS: a paper run adds them when the lst engine is enabled).
# Depths and flow are modelled, not recorded: mSOL was the deep LST of 2022, jitoSOL a new one.
LST_POOLS: tuple[PoolSpec, ...] = (
    _cp("orca-mSOL-SOL", "mSOL", "SOL", 500, 4_000_000, (15.0, 0.5), (20.0, 400)),
    _cp("raydium-jitoSOL-SOL", "jitoSOL", "SOL", 500, 1_000_000, (25.0, 0.5), (30.0, 150)),
)


def raw_price(base: Token, quote: Token, price: float) -> float:
    """Whole-token price (quote per base) to base units of quote per base unit of base."""
    return price * 10.0 ** (quote.decimals - base.decimals)


def build_pool(
    spec: PoolSpec, tokens: Mapping[str, Token], usd: Mapping[str, float], depth_scale: float = 1.0
) -> Pool:
    """A fresh pool at the reference price holding ``spec.depth_usd * depth_scale`` of value."""
    base, quote = tokens[spec.base], tokens[spec.quote]
    price = usd[spec.base] / usd[spec.quote]
    if spec.kind is PoolKind.CONSTANT_PRODUCT:
        half = spec.depth_usd * depth_scale / 2.0
        return ConstantProductPool(
            pool_id=spec.pool_id,
            venue=spec.venue,
            token0=base,
            token1=quote,
            reserve0=round(half / usd[spec.base] * base.one),
            reserve1=round(half / usd[spec.quote] * quote.one),
            fee_ppm=spec.fee_ppm,
        )
    sqrt_price_x96 = int(math.sqrt(raw_price(base, quote, price)) * _Q96)
    return build_concentrated(spec, tokens, usd, sqrt_price_x96, depth_scale)


def build_concentrated(
    spec: PoolSpec,
    tokens: Mapping[str, Token],
    usd: Mapping[str, float],
    sqrt_price_x96: int,
    depth_scale: float = 1.0,
) -> ConcentratedPool:
    """A concentrated pool at ``sqrt_price_x96`` whose positions (centred on that price) hold
    ``spec.depth_usd * depth_scale`` of value at the ``usd`` prices."""
    base, quote = tokens[spec.base], tokens[spec.quote]
    sqrt_p = sqrt_price_x96 / _Q96
    spacing = spec.tick_spacing
    lowest = -(MAX_TICK // spacing) * spacing
    highest = (MAX_TICK // spacing) * spacing
    positions: list[tuple[int, int, int]] = []
    for band in spec.ranges:
        if band.half_width is None:
            lower, upper = lowest, highest
        else:
            p = sqrt_p * sqrt_p
            lower = math.floor(math.log(p * (1 - band.half_width)) / _LOG_TICK / spacing) * spacing
            upper = math.ceil(math.log(p * (1 + band.half_width)) / _LOG_TICK / spacing) * spacing
            lower, upper = max(lower, lowest), min(upper, highest)
        sa = get_sqrt_ratio_at_tick(lower) / _Q96
        sb = get_sqrt_ratio_at_tick(upper) / _Q96
        s = min(max(sqrt_p, sa), sb)
        # value of one unit of liquidity: token0 (1/s - 1/sb) and token1 (s - sa), base units
        per_l = (1 / s - 1 / sb) / base.one * usd[spec.base] + (s - sa) / quote.one * usd[
            spec.quote
        ]
        liquidity = int(spec.depth_usd * depth_scale * band.share / per_l)
        if liquidity > 0:
            positions.append((lower, upper, liquidity))
    return from_positions(
        spec.pool_id,
        spec.venue,
        base,
        quote,
        spec.fee_ppm,
        spacing,
        sqrt_price_x96,
        positions,
    )
