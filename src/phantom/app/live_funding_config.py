"""Live funding's knobs and how the settings map onto the perp venue and the engine.

- :class:`LiveFundingOptions`: what ``Settings`` does not hold (yet): the spot pool and token,
  the decision cadence, engine parameter overrides (``FundingParams`` / ``FundingCosts`` names),
  and the Solana landing/world knobs (:class:`SolanaLiveOptions`). Tests and demos pass them as a
  JSON file (``--options``).
- :func:`perp_venue_config`: the ``PERP_*`` settings as a :class:`CcxtVenueConfig`; live
  funding is refused unless an exchange and its URL, key and secret are configured.
- :func:`funding_params`: the engine's parameters with its safety gate's spot cost taken from
  the pool it trades (fee and price impact at the expected entry size, exact curve maths) and
  its network cost from one Jito-bundled transaction's fees, as paper does.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from phantom.app.live_run import LiveRefused
from phantom.app.live_solana_config import SolanaLiveOptions
from phantom.app.paper_params import bound_bps, fee_bps, spot_cost_bps
from phantom.app.settings import Settings
from phantom.backtest.funding.report import params_from
from phantom.core.fees import SolanaFeeSchedule, solana_fees
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.engines.funding.params import FundingParams
from phantom.venues.perps.ccxt_models import CcxtVenueConfig

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class LiveFundingOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    spot_pool: str = Field("WSOL-USDC", description="the spot leg's pool on the Solana world")
    base: str = Field("WSOL", description="the spot token (the perp's base: SOL)")
    step_s: float = Field(1.0, gt=0, description="engine decisions at most this often")
    venue_poll_s: float = Field(0.5, gt=0, description="prints, payments and the account")
    max_venue_failures: int = Field(
        20, ge=1, description="venue reads failing in a row before the run stops (exit 1)"
    )
    params: dict[str, str] = Field(
        default_factory=dict, description="FundingParams / FundingCosts overrides by name"
    )
    wallet_usdc: Decimal = Field(
        Decimal(10_000), ge=0, description="USDC the embedded world funds the key with"
    )
    wallet_sol: Decimal = Field(Decimal(10), gt=0, description="SOL (gas) it funds the key with")
    solana: SolanaLiveOptions = Field(
        default_factory=lambda: SolanaLiveOptions(noise_interval_s=0.0),
        description="landing and embedded-world knobs (the live Solana options)",
    )


def load_funding_options(path: Path | None) -> LiveFundingOptions:
    if path is None:
        return LiveFundingOptions()
    return LiveFundingOptions.model_validate_json(path.read_text(encoding="utf-8"))


def _settle(market: str) -> str:
    """The settlement asset of a unified perp symbol (``SOL/USDC:USDC`` -> ``USDC``)."""
    _, sep, settle = market.partition(":")
    if not sep or not settle:
        raise LiveRefused(f"PERP_MARKET {market!r} is not a unified perp symbol like SOL/USDC:USDC")
    return settle


def perp_venue_config(settings: Settings) -> CcxtVenueConfig:
    """The perp venue the settings configure, or :class:`LiveRefused` saying what is missing
    (never a secret)."""
    if not settings.perp_exchange:
        raise LiveRefused("no perp venue configured: set PERP_EXCHANGE (a ccxt exchange id)")
    if not settings.perp_api_url:
        raise LiveRefused(
            "no perp venue URL configured: set PERP_API_URL (this build trades a local perp "
            "exchange only, e.g. python -m phantom.localperp)"
        )
    key, secret = settings.perp_api_key, settings.perp_api_secret
    if key is None or not key.get_secret_value() or secret is None or not secret.get_secret_value():
        raise LiveRefused("the perp venue needs PERP_API_KEY and PERP_API_SECRET")
    host = urlsplit(settings.perp_api_url).hostname or ""
    return CcxtVenueConfig(
        exchange_id=settings.perp_exchange,
        markets=(settings.perp_market,),
        quote=_settle(settings.perp_market),
        api_key=key,
        secret=secret,
        api_url=settings.perp_api_url,
        sandbox=settings.perp_testnet,
        rate_limit=host not in LOCAL_HOSTS,
    )


def funding_params(
    settings: Settings,
    options: LiveFundingOptions,
    base: Token,
    usdc: Token,
    market: str,
    pool: ConstantProductPool,
    schedule: SolanaFeeSchedule,
    native: Token,
    native_usd: Decimal,
    capital_usdc: int,
) -> FundingParams:
    """The engine's parameters (see the module docstring); ``options.params`` win."""
    expected = min(usdc.to_decimal(capital_usdc) * Decimal("0.95") * 2 / 3, settings.max_trade_usd)
    pay = max(1, usdc.to_units(expected))
    lamports = solana_fees(schedule, 1, private=True, landed=True).total
    network = native.to_decimal(lamports) * native_usd
    derived = {
        "spot_pool": pool.pool_id,
        "spot_fee_bps": "0",  # the LP fee is inside the curve's cost
        "spot_slippage_bps": str(spot_cost_bps(pool, usdc, pay).quantize(Decimal("0.01"))),
        "network_usd": str(network.quantize(Decimal("0.000001"))),
        "max_notional_usd": str(settings.max_trade_usd),
        "spot_slippage_bound_bps": str(bound_bps(settings, fee_bps(pool))),
    }
    return params_from(base, usdc, market, {**derived, **options.params})
