"""The simulated flow that moves the replay world's pools.

Each agent owns one pool and one named rng stream. Its arrivals are a Poisson process drawn
ahead of time together with the trade's random parameters (the *intent*), so the arrival stream
never depends on the market state. Acting on an intent is then a pure function of the pool, the
reference prices and the intent: the world can re-run an arrival when someone else's trade
replaced the pool, and the draws of every stream stay the same.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import NamedTuple

from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.swap import spot_price, swap
from phantom.core.pool import FEE_DENOMINATOR, ConcentratedPool, ConstantProductPool, Pool
from phantom.core.rng import SeededRng
from phantom.core.token import Token
from phantom.market.replay.layout import PoolSpec, build_concentrated, raw_price
from phantom.market.replay.params import WorldParams

_Q96 = float(1 << 96)


class NoiseIntent(NamedTuple):
    buy_base: bool
    size_usd: float


class ArbIntent(NamedTuple):
    fraction: float


Intent = NoiseIntent | ArbIntent | None


def virtual_liquidity(pool: Pool) -> tuple[float, float]:
    """``(sqrt(price), L)``: price in token1 base units per token0 base unit and the
    liquidity around it (``sqrt(reserve0 * reserve1)`` for a constant-product pool)."""
    if isinstance(pool, ConstantProductPool):
        if pool.reserve0 == 0 or pool.reserve1 == 0:
            raise InsufficientLiquidity(f"pool {pool.pool_id}: empty reserves")
        r0, r1 = float(pool.reserve0), float(pool.reserve1)
        return math.sqrt(r1 / r0), math.sqrt(r0 * r1)
    return pool.sqrt_price_x96 / _Q96, float(pool.liquidity)


def virtual_reserve(pool: Pool, token: Token) -> float:
    """The reserve of ``token`` a full-range pool with the same price and liquidity would hold."""
    sqrt_p, liquidity = virtual_liquidity(pool)
    return liquidity / sqrt_p if token == pool.token0 else liquidity * sqrt_p


def input_for_price(pool: Pool, base: Token, target: float) -> tuple[Token, int]:
    """The token and gross input (fee included) that move the pool's price of ``base``
    (whole quote per whole base) to ``target``, using the liquidity at the current price."""
    quote = pool.other(base)
    price0 = target if base == pool.token0 else 1.0 / target
    if base == pool.token0:
        target_raw = raw_price(base, quote, price0)
    else:
        target_raw = raw_price(quote, base, price0)
    sqrt_p, liquidity = virtual_liquidity(pool)
    sqrt_t = math.sqrt(target_raw)
    keep = 1.0 - pool.fee_ppm / FEE_DENOMINATOR
    if sqrt_t > sqrt_p:  # token0 gets dearer: pay token1
        return pool.token1, int(liquidity * (sqrt_t - sqrt_p) / keep)
    return pool.token0, int(liquidity * (1.0 / sqrt_t - 1.0 / sqrt_p) / keep)


def _exp(rng: SeededRng, mean: float) -> float:
    return -mean * math.log(1.0 - rng.random())


class FlowAgent(ABC):
    """One kind of flow on one pool."""

    kind: str = "flow"

    def __init__(self, spec: PoolSpec, params: WorldParams, rng: SeededRng) -> None:
        self.spec = spec
        self.params = params
        self.rng = rng
        self.name = f"{self.kind}/{spec.pool_id}"

    @abstractmethod
    def next_arrival(self, t: float) -> tuple[float, Intent]:
        """The next arrival after ``t`` and its intent (all of this agent's draws happen here)."""

    @abstractmethod
    def act(
        self, pool: Pool, intent: Intent, usd: Mapping[str, float], tokens: Mapping[str, Token]
    ) -> Pool | None:
        """The pool after acting on ``intent``, or None when the agent does nothing."""


class Arbitrageur(FlowAgent):
    """Informed flow: trades the pool toward the reference when the gap beats the fee.

    Each arrival closes ``fraction`` of the gap in excess of the fee band (fee plus
    ``arb_edge_bps``), so a pool lags the reference by its arrival rate and its fraction.
    """

    kind = "arb"

    def next_arrival(self, t: float) -> tuple[float, Intent]:
        mean = self.spec.arb_interval_s / self.params.arb_rate_scale
        dt = _exp(self.rng, mean)
        jitter = self.params.arb_fraction_jitter
        fraction = min(1.0, self.spec.arb_fraction * self.rng.uniform(1 - jitter, 1 + jitter))
        return t + dt, ArbIntent(fraction)

    def act(
        self, pool: Pool, intent: Intent, usd: Mapping[str, float], tokens: Mapping[str, Token]
    ) -> Pool | None:
        assert isinstance(intent, ArbIntent)
        base = tokens[self.spec.base]
        try:
            price = spot_price(pool, base)
        except InsufficientLiquidity:
            return None
        reference = usd[self.spec.base] / usd[self.spec.quote]
        gap = math.log(reference / price)
        band = -math.log(1.0 - pool.fee_ppm / FEE_DENOMINATOR) + self.params.arb_edge_bps / 1e4
        excess = abs(gap) - band
        if excess <= 0:
            return None
        target = price * math.exp(math.copysign(intent.fraction * excess, gap))
        token_in, amount = input_for_price(pool, base, target)
        for _ in range(6):  # halve when the pool cannot take it or the move overshoots
            if amount <= 0:
                return None
            try:
                after = swap(pool, token_in, amount).pool_after
                new_gap = math.log(reference / spot_price(after, base))
            except InsufficientLiquidity:
                amount //= 2
                continue
            if new_gap * gap < 0 and abs(new_gap) > band:
                amount //= 2
                continue
            return after
        return None


class NoiseTrader(FlowAgent):
    """Uninformed flow: Poisson arrivals, a random side and a log-normal USD size.

    The arrival rate is the pool's base rate times ``intensity(t)`` (the market's activity:
    volume follows volatility), sampled by thinning a Poisson process at ``max_intensity``.
    """

    kind = "noise"

    def __init__(
        self,
        spec: PoolSpec,
        params: WorldParams,
        rng: SeededRng,
        intensity: Callable[[float], float] | None = None,
        max_intensity: float = 1.0,
    ) -> None:
        super().__init__(spec, params, rng)
        self.intensity = intensity
        self.max_intensity = max_intensity if intensity is not None else 1.0

    def next_arrival(self, t: float) -> tuple[float, Intent]:
        mean = self.spec.noise_interval_s / self.params.noise_rate_scale / self.max_intensity
        t += _exp(self.rng, mean)
        if self.intensity is not None:
            while self.rng.random() * self.max_intensity > self.intensity(t):
                t += _exp(self.rng, mean)
        buy_base = self.rng.chance(self.params.noise_buy_probability)
        median = self.spec.noise_median_usd * self.params.noise_size_scale
        size = median * math.exp(self.rng.gauss(0.0, self.params.noise_size_sigma))
        return t, NoiseIntent(buy_base, size)

    def act(
        self, pool: Pool, intent: Intent, usd: Mapping[str, float], tokens: Mapping[str, Token]
    ) -> Pool | None:
        assert isinstance(intent, NoiseIntent)
        token_in = tokens[self.spec.quote] if intent.buy_base else tokens[self.spec.base]
        try:
            cap = self.params.max_trade_fraction * virtual_reserve(pool, token_in)
        except InsufficientLiquidity:
            return None
        amount = int(min(intent.size_usd / usd[token_in.symbol] * token_in.one, cap))
        if amount <= 0:
            return None
        try:
            return swap(pool, token_in, amount).pool_after
        except InsufficientLiquidity:
            return None


class LiquidityManager(FlowAgent):
    """The LPs of a concentrated pool: when the in-range liquidity has drifted far from what
    the pool's USD depth centred on the current price gives (the price ran out of the narrow
    ranges, or far from where the depth was set), they withdraw and re-deposit around it."""

    kind = "lp"

    def next_arrival(self, t: float) -> tuple[float, Intent]:
        return t + _exp(self.rng, self.params.lp_interval_s), None

    def act(
        self, pool: Pool, intent: Intent, usd: Mapping[str, float], tokens: Mapping[str, Token]
    ) -> Pool | None:
        if not isinstance(pool, ConcentratedPool):
            return None
        fresh = build_concentrated(
            self.spec, tokens, usd, pool.sqrt_price_x96, self.params.depth_scale
        )
        if fresh.liquidity <= 0:
            return None
        ratio = pool.liquidity / fresh.liquidity
        if self.params.lp_min_ratio <= ratio <= self.params.lp_max_ratio:
            return None
        return fresh
