"""The scalp, lst and funding engines' parameters on the replay world, from the settings and
the pools they trade (see docs/paper-mode.md). Only ``phantom.app`` reads settings."""

from __future__ import annotations

from decimal import Decimal

from phantom.amm.swap import quote, spot_price
from phantom.app.settings import Settings
from phantom.backtest.funding.report import params_from
from phantom.core.fees import solana_fees
from phantom.core.pool import FEE_DENOMINATOR, ConstantProductPool, Pool
from phantom.core.token import Token
from phantom.engines.funding.params import FundingParams
from phantom.engines.lst.params import LstParams
from phantom.engines.scalp.params import DEFAULT_PODS, ScalpParams
from phantom.execution.params import RealismParams
from phantom.market.state import MarketView

BPS = Decimal(10_000)


def fee_bps(pool: Pool) -> int:
    """A pool's LP fee in whole basis points (at least 1)."""
    return max(1, round(pool.fee_ppm * 10_000 / FEE_DENOMINATOR))


def bound_bps(s: Settings, venue_bps: int) -> int:
    """The slippage bound of a directional order: the venue's own cost (its LP fee, or the
    dynamic model's base slippage) plus MAX_SLIPPAGE_BPS. A directional engine prices its order
    at the reference price, so its expected output does not include the fee an arbitrage
    cycle's quote already does."""
    return min(10_000, venue_bps + s.max_slippage_bps)


def scalp_params(s: Settings, sol: Token, usdc: Token, pool: Pool) -> ScalpParams:
    """The default pods, each order capped at MAX_TRADE_USD. With SCALP_LIQUIDITY_USD set,
    orders carry the dynamic model's liquidity tag (a thin, meme-like market) instead of
    trading ``pool``'s curve."""
    dynamic = s.scalp_liquidity_usd is not None
    venue = round(s.slippage_base_pct * 100) if dynamic else fee_bps(pool)
    return ScalpParams(
        base=sol,
        quote=usdc,
        pods=DEFAULT_PODS,
        slippage_bps=bound_bps(s, venue),
        liquidity_usd=s.scalp_liquidity_usd,
        max_notional_usd=s.max_trade_usd,
    )


def pool_depth(pool: Pool, token: Token) -> Decimal:
    """A constant-product pool's depth counted in ``token``: twice its reserve of it."""
    if not isinstance(pool, ConstantProductPool):
        raise ValueError(f"pool {pool.pool_id}: the lst engine expects a constant-product pool")
    reserve = pool.reserve0 if pool.token0 == token else pool.reserve1
    return token.to_decimal(2 * reserve)


def lst_params(s: Settings, lst: Token, sol: Token, pool: Pool, share: int) -> LstParams:
    """One LST of the lst engine on its replay pool.

    - ``fee_bps`` is the pool's fee; ``pool_depth`` its depth in SOL at the start.
    - ``impact_multiplier = 2``: on a constant-product curve a trade of ``size`` moves the price
      by about ``2 * size / depth`` (depth counting both sides), which the engine's cost model
      then multiplies by its stress factor.
    - ``max_size``: a quarter of MAX_SLIPPAGE_BPS of the depth, so the expected impact stays
      within half of MAX_SLIPPAGE_BPS; ``position_pct``: an equal share of the vault's SOL per
      LST (``share`` LSTs); the order bound is :func:`bound_bps`.
    """
    depth = pool_depth(pool, sol)
    bound = Decimal(s.max_slippage_bps) / BPS
    return LstParams(
        lst=lst,
        underlying=sol,
        fee_bps=fee_bps(pool),
        impact_multiplier=Decimal(2),
        pool_depth=depth,
        max_size=(depth * bound / 4).quantize(Decimal("0.001")),
        position_pct=(Decimal(100) / share).quantize(Decimal("0.01")),
        slippage_bps=bound_bps(s, fee_bps(pool)),
        name="lst",
    )


def spot_cost_bps(pool: Pool, pay: Token, amount: int) -> Decimal:
    """Fee plus price impact of paying ``amount`` of ``pay`` into ``pool`` now, in bps of the
    mid-price value (exact curve maths)."""
    out = quote(pool, pay, amount)
    mid = Decimal(repr(spot_price(pool, pay))) * pay.to_decimal(amount)
    got = pool.other(pay).to_decimal(out)
    return max(Decimal(0), (1 - got / mid) * BPS) if mid > 0 else Decimal(0)


def funding_params(
    s: Settings,
    base: Token,
    usdc: Token,
    market_symbol: str,
    pool: Pool,
    market: MarketView,
    realism: RealismParams,
) -> FundingParams:
    """The funding engine with its safety gate's spot cost and network cost taken from what
    the paper model will charge: the spot pool's fee and impact at the expected entry size
    (exact curve quote now), and one private transaction's fees at the SOL price."""
    expected = min(s.funding_initial_usd * Decimal("0.95") * 2 / 3, s.max_trade_usd)
    pay = usdc.to_units(expected / Decimal(repr(market.price_usd(usdc))))
    fees = solana_fees(realism.fee_schedule, 1, private=True, landed=True).total
    network = realism.native.to_decimal(fees) * Decimal(repr(market.price_usd(realism.native)))
    overrides = {
        "spot_pool": pool.pool_id,
        "spot_fee_bps": "0",  # an on-chain LP fee is inside the slippage figure
        "spot_slippage_bps": str(spot_cost_bps(pool, usdc, pay).quantize(Decimal("0.01"))),
        "network_usd": str(network.quantize(Decimal("0.000001"))),
        "max_notional_usd": str(s.max_trade_usd),
        "spot_slippage_bound_bps": str(bound_bps(s, fee_bps(pool))),
    }
    return params_from(base, usdc, market_symbol, overrides)
