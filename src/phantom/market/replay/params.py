"""Every tunable of the replay world, with its default."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from phantom.market.replay.layout import ALL_TOKENS, DEFAULT_POOLS, PoolSpec
from phantom.market.replay.lst import DEFAULT_LSTS, DepegModel, LstSpec


@dataclass(frozen=True, slots=True)
class WorldParams:
    """Tunables of :class:`~phantom.market.replay.world.ReplayWorld` (see docs/replay-world.md).

    Rates are mean seconds between Poisson arrivals; the ``*_scale`` factors multiply the
    per-pool values in ``pools`` so one knob makes the whole world busier, deeper or faster.
    """

    tick_interval_s: float = 5.0
    """Simulated seconds between reference PriceTicks of each volatile symbol."""
    pools: tuple[PoolSpec, ...] = DEFAULT_POOLS
    """The pools, their depths and their per-pool flow (see ``layout.DEFAULT_POOLS``)."""
    depth_scale: float = 1.0
    """Multiplies every pool's USD depth."""
    noise_rate_scale: float = 1.0
    """Multiplies every pool's noise arrival rate (2.0 = twice as many noise trades)."""
    activity_exponent: float = 0.5
    """Noise arrival rates scale with ``activity ** activity_exponent``, activity being the
    current 5-minute bar's range relative to the path's median bar (0 = constant rates)."""
    activity_floor: float = 0.5
    """Lower clamp of that multiplier (quiet hours)."""
    activity_cap: float = 4.0
    """Upper clamp of that multiplier (crash hours)."""
    noise_size_scale: float = 1.0
    """Multiplies every pool's median noise trade size."""
    noise_size_sigma: float = 0.8
    """Log-normal sigma of noise trade sizes (median stays ``noise_median_usd``)."""
    noise_buy_probability: float = 0.5
    """Chance that a noise trade buys the pool's base token."""
    max_trade_fraction: float = 0.005
    """A noise trade's input is capped at this fraction of the pool's (virtual) input reserve."""
    arb_rate_scale: float = 1.0
    """Multiplies every pool's arbitrage arrival rate (higher = pools re-align faster)."""
    arb_fraction_jitter: float = 0.3
    """Each arbitrage closes ``arb_fraction * U(1 - jitter, 1 + jitter)`` (capped at 1)."""
    arb_edge_bps: float = 3.0
    """Arbitrage only trades a gap wider than the pool's fee plus this edge, in basis points."""
    lp_interval_s: float = 300.0
    """Mean seconds between liquidity checks of a concentrated pool's LPs."""
    lp_min_ratio: float = 0.7
    """LPs re-centre a concentrated pool when its in-range liquidity falls below this share of
    the liquidity a fresh deposit of the pool's depth around the current price would give..."""
    lp_max_ratio: float = 1.6
    """...or rises above this share (the price ran far from where the USD depth was set)."""
    usdc_usd: float = 1.0
    """USDC's reference price in USD."""
    usdt_usd: float = 1.0
    """USDT's reference price in USD (the candles are quoted in USDT and read as USD)."""
    lsts: tuple[LstSpec, ...] = DEFAULT_LSTS
    """The liquid staking tokens' rate models (priced only when a pool trades them)."""
    epoch_s: float = 216_000.0
    """Seconds per staking epoch: an LST's on-chain rate moves once per epoch (about 2.5 days
    in November 2022)."""
    lst_apr_pct: float | None = None
    """Overrides every LST's ``apr_pct`` when set."""
    depeg: DepegModel = field(default_factory=DepegModel)
    """The LSTs' de-peg stress model (see ``replay.lst``)."""
    depeg_scale: float = 1.0
    """Multiplies every LST's de-peg discount (0: no de-peg)."""

    def __post_init__(self) -> None:
        positive = (
            "tick_interval_s",
            "depth_scale",
            "noise_rate_scale",
            "noise_size_scale",
            "max_trade_fraction",
            "arb_rate_scale",
            "lp_interval_s",
            "usdc_usd",
            "usdt_usd",
            "epoch_s",
        )
        for name in positive:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"WorldParams.{name} must be a finite number > 0, got {value!r}")
        checks = (
            ("noise_size_sigma", 0 <= self.noise_size_sigma <= 5, "in [0, 5]"),
            ("noise_buy_probability", 0 <= self.noise_buy_probability <= 1, "in [0, 1]"),
            ("max_trade_fraction", self.max_trade_fraction < 1, "below 1"),
            ("arb_fraction_jitter", 0 <= self.arb_fraction_jitter < 1, "in [0, 1)"),
            ("arb_edge_bps", 0 <= self.arb_edge_bps < 10_000, "in [0, 10000)"),
            ("lp_min_ratio", 0 < self.lp_min_ratio < 1, "in (0, 1)"),
            ("lp_max_ratio", self.lp_max_ratio > 1, "above 1"),
            ("activity_exponent", 0 <= self.activity_exponent <= 3, "in [0, 3]"),
            ("activity_floor", 0 < self.activity_floor <= 1, "in (0, 1]"),
            ("activity_cap", self.activity_cap >= 1, "at least 1"),
            ("depeg_scale", 0 <= self.depeg_scale <= 10, "in [0, 10]"),
            (
                "lst_apr_pct",
                self.lst_apr_pct is None or 0 <= self.lst_apr_pct <= 100,
                "in [0, 100] or None",
            ),
        )
        for name, ok, what in checks:
            if not ok:
                raise ValueError(f"WorldParams.{name} must be {what}, got {getattr(self, name)!r}")
        if not self.pools:
            raise ValueError("WorldParams.pools must name at least one pool")
        lst_symbols = [s.symbol for s in self.lsts]
        if len(set(lst_symbols)) != len(lst_symbols):
            raise ValueError(f"WorldParams.lsts: duplicate LST in {lst_symbols}")
        seen: set[str] = set()
        for spec in self.pools:
            if spec.pool_id in seen:
                raise ValueError(f"WorldParams.pools: duplicate pool id {spec.pool_id}")
            seen.add(spec.pool_id)
            for symbol in (spec.base, spec.quote):
                if symbol not in ALL_TOKENS:
                    raise ValueError(
                        f"WorldParams.pools: pool {spec.pool_id} uses unknown token {symbol}; "
                        f"known: {', '.join(ALL_TOKENS)}"
                    )
