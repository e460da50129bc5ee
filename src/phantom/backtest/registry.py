"""The engines ``phantom backtest`` can run, with their data roles and parameters.

An entry says which data roles the engine reads (``--data ROLE=PATH``; the ``price_role`` holds
the candles of the traded pair), which ``--param NAME=VALUE`` it takes, and how to build it.
Add the funding, LST, scalping and arbitrage engines here as they gain a bar API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from phantom.backtest.data import Candles
from phantom.backtest.ratio import ratio_candles
from phantom.core.token import Token
from phantom.engines.base import BarEngine
from phantom.engines.lst import entry as lst_entry
from phantom.engines.lst.engine import LstEngine
from phantom.engines.scalp import entry as scalp_entry
from phantom.engines.scalp.engine import ScalpEngine
from phantom.engines.sma import SmaEngine, SmaParams

ParamValue = str | int | float | Decimal

# Decimals of the tokens candle files name; an unknown symbol gets DEFAULT_DECIMALS.
KNOWN_DECIMALS: Mapping[str, int] = {
    "SOL": 9,
    "BTC": 8,
    "WBTC": 8,
    "ETH": 18,
    "WETH": 18,
    "WBETH": 18,
    "BNB": 18,
    "LTC": 8,
    "XRP": 6,
    "ADA": 6,
    "USDT": 6,
    "USDC": 6,
    "USD": 6,
    "FDUSD": 18,
}
DEFAULT_DECIMALS = 9


def token_for(symbol: str) -> Token:
    return Token(symbol.upper(), KNOWN_DECIMALS.get(symbol.upper(), DEFAULT_DECIMALS))


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """What the backtest tells an engine's builder about the market it will trade."""

    base: Token
    quote: Token
    liquidity_usd: Decimal
    max_trade_usd: Decimal | None
    id_prefix: str


@dataclass(frozen=True, slots=True)
class ParamDoc:
    name: str
    default: str
    help: str


class EngineConfigError(ValueError):
    """Unknown engine, unknown parameter, bad value or missing data role."""


@dataclass(frozen=True, slots=True)
class EngineEntry:
    name: str
    summary: str
    roles: Mapping[str, str]
    price_role: str
    params: tuple[ParamDoc, ...]
    build: Callable[[Mapping[str, str], BuildInfo], BarEngine]
    # derives the traded candles from every role given (e.g. a ratio of two files); None: the
    # price role's candles are traded as they are
    derive: Callable[[Mapping[str, Candles]], Candles] | None = None

    def check_params(self, given: Mapping[str, ParamValue]) -> dict[str, str]:
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise EngineConfigError(
                f"engine {self.name}: unknown parameter(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        return {k: str(v) for k, v in given.items()}

    def describe(self) -> str:
        roles = ", ".join(f"{r}= ({d})" for r, d in self.roles.items())
        params = ", ".join(f"{p.name}={p.default}" for p in self.params)
        return f"{self.name}: {self.summary}. Data roles: {roles}. Parameters: {params}"


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise EngineConfigError(f"parameter {name}: expected an integer, got {raw!r}") from None


def _dec(params: Mapping[str, str], name: str, default: Decimal | None) -> Decimal | None:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise EngineConfigError(f"parameter {name}: expected a number, got {raw!r}") from None
    if not value.is_finite():
        raise EngineConfigError(f"parameter {name}: must be finite, got {raw!r}")
    return value


def _build_sma(params: Mapping[str, str], info: BuildInfo) -> BarEngine:
    max_notional = _dec(params, "max_notional_usd", info.max_trade_usd)
    try:
        sma = SmaParams(
            base=info.base,
            quote=info.quote,
            fast=_int(params, "fast", 10),
            slow=_int(params, "slow", 50),
            position_pct=_dec(params, "position_pct", Decimal(100)) or Decimal(0),
            max_notional_usd=max_notional,
            min_notional_usd=_dec(params, "min_notional_usd", Decimal(1)) or Decimal(0),
            slippage_bps=_int(params, "slippage_bps", 200),
            liquidity_usd=info.liquidity_usd,
            max_retries=_int(params, "max_retries", 3),
        )
    except ValueError as exc:
        raise EngineConfigError(str(exc)) from None
    return SmaEngine(sma, id_prefix=info.id_prefix)


SMA = EngineEntry(
    name="sma",
    summary="SMA fast/slow crossover on candle closes, long or flat",
    roles=dict(SmaEngine.data_roles),
    price_role="price",
    params=(
        ParamDoc("fast", "10", "bars in the fast moving average"),
        ParamDoc("slow", "50", "bars in the slow moving average"),
        ParamDoc("position_pct", "100", "percent of the free cash spent on an entry"),
        ParamDoc("slippage_bps", "200", "slippage bound of each order (min amount out)"),
        ParamDoc("max_notional_usd", "none", "cap of an entry (default: --max-trade-usd)"),
        ParamDoc("min_notional_usd", "1", "smallest entry worth sending"),
        ParamDoc("max_retries", "3", "re-sends after a failed execution, per signal"),
    ),
    build=_build_sma,
)


def _checked(
    build: Callable[[Mapping[str, str], BuildInfo], BarEngine],
) -> Callable[[Mapping[str, str], BuildInfo], BarEngine]:
    def checked(params: Mapping[str, str], info: BuildInfo) -> BarEngine:
        try:
            return build(params, info)
        except EngineConfigError:
            raise
        except ValueError as exc:
            raise EngineConfigError(str(exc)) from None

    return checked


def _lst_price(candles: Mapping[str, Candles]) -> Candles:
    if "underlying" in candles:
        return ratio_candles(candles["lst"], candles["underlying"])
    return candles["lst"]


SCALP = EngineEntry(
    name="scalp",
    summary=scalp_entry.SUMMARY,
    roles=dict(ScalpEngine.data_roles),
    price_role="price",
    params=tuple(ParamDoc(*doc) for doc in scalp_entry.PARAM_DOCS),
    build=_checked(scalp_entry.build_scalp),
)

LST = EngineEntry(
    name="lst",
    summary=lst_entry.SUMMARY,
    roles=dict(LstEngine.data_roles),
    price_role="lst",
    params=tuple(ParamDoc(*doc) for doc in lst_entry.PARAM_DOCS),
    build=_checked(lst_entry.build_lst),
    derive=_lst_price,
)

ENGINES: dict[str, EngineEntry] = {e.name: e for e in (SMA, SCALP, LST)}


def get_engine(name: str) -> EngineEntry:
    try:
        return ENGINES[name]
    except KeyError:
        raise EngineConfigError(
            f"unknown engine {name!r} (known: {', '.join(sorted(ENGINES))})"
        ) from None
