"""Building the scalp engine from ``--param NAME=VALUE`` strings (for the backtest registry).

Imports nothing from ``phantom.backtest``, so the registry can import it without a cycle:
``ParamDoc(*doc) for doc in PARAM_DOCS`` and ``build_scalp`` make its entry (a bad value raises
``ValueError``; ``phantom.backtest.registry`` builds the complete entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Protocol

from phantom.core.token import Token
from phantom.engines.scalp.engine import ScalpEngine
from phantom.engines.scalp.params import DEFAULT_PODS, ScalpParams

SUMMARY = "multi-pod momentum scalping, long-only spot, with take-profit / stop-loss / time stops"
PARAM_DOCS: tuple[tuple[str, str, str], ...] = (
    ("pods", ",".join(p.name for p in DEFAULT_PODS), "the pods to run, by name"),
    ("risk_pct", "per pod", "percent of a pod's equity lost at its stop (all pods)"),
    ("slippage_bps", "500", "slippage bound of each order (min amount out)"),
    ("min_notional_usd", "5", "smallest entry worth sending"),
    ("max_notional_usd", "none", "cap of an entry (default: --max-trade-usd)"),
)


class BuildInfoLike(Protocol):
    """What the backtest's ``BuildInfo`` tells a builder."""

    @property
    def base(self) -> Token: ...
    @property
    def quote(self) -> Token: ...
    @property
    def liquidity_usd(self) -> Decimal: ...
    @property
    def max_trade_usd(self) -> Decimal | None: ...
    @property
    def id_prefix(self) -> str: ...


def _dec(params: Mapping[str, str], name: str, default: Decimal | None) -> Decimal | None:
    raw = params.get(name)
    if raw is None:
        return default
    if raw.strip().lower() == "none":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"parameter {name}: expected a number, got {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"parameter {name}: must be finite, got {raw!r}")
    return value


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"parameter {name}: expected an integer, got {raw!r}") from None


def scalp_params(params: Mapping[str, str], info: BuildInfoLike) -> ScalpParams:
    """``ScalpParams`` from ``--param`` strings (names in :data:`PARAM_DOCS`)."""
    known = {doc[0] for doc in PARAM_DOCS}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"scalp: unknown parameter(s) {', '.join(unknown)}")
    pods = DEFAULT_PODS
    wanted = params.get("pods")
    if wanted is not None:
        names = [n.strip() for n in wanted.split(",") if n.strip()]
        by_name = {p.name: p for p in DEFAULT_PODS}
        bad = [n for n in names if n not in by_name]
        if bad or not names:
            raise ValueError(f"parameter pods: unknown pod(s) {bad} (known: {list(by_name)})")
        pods = tuple(by_name[n] for n in names)
    risk = _dec(params, "risk_pct", None)
    if risk is not None:
        pods = tuple(replace(p, risk_pct=risk) for p in pods)
    return ScalpParams(
        base=info.base,
        quote=info.quote,
        pods=pods,
        slippage_bps=_int(params, "slippage_bps", 500),
        liquidity_usd=info.liquidity_usd,
        min_notional_usd=_dec(params, "min_notional_usd", Decimal(5)) or Decimal(0),
        max_notional_usd=_dec(params, "max_notional_usd", info.max_trade_usd),
    )


def build_scalp(params: Mapping[str, str], info: BuildInfoLike) -> ScalpEngine:
    return ScalpEngine(scalp_params(params, info), id_prefix=info.id_prefix)
