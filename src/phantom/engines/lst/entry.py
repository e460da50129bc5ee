"""Building the LST engine from ``--param NAME=VALUE`` strings (for the backtest registry).

Imports nothing from ``phantom.backtest``, so the registry can import it without a cycle:
``ParamDoc(*doc) for doc in PARAM_DOCS`` and ``build_lst`` make its entry (a bad value raises
``ValueError``; ``phantom.backtest.registry`` builds the complete entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Protocol

from phantom.core.token import Token
from phantom.engines.lst.engine import LstEngine
from phantom.engines.lst.params import LstParams

SUMMARY = (
    "LST de-peg: buy below fair value (on-chain rate or past-only accrual trend), sell on re-peg"
)
PARAM_DOCS: tuple[tuple[str, str, str], ...] = (
    ("fee_bps", "10", "venue fee of one swap, basis points"),
    ("slippage_base_bps", "5", "expected slippage of one swap before size impact, bps"),
    ("impact_multiplier", "0.05", "slippage per unit of size / pool depth"),
    ("stress_multiplier", "3", "slippage multiplier assumed during a de-peg"),
    ("network_cost", "0.0001", "gas + priority fee + tip of one swap, underlying tokens"),
    ("threshold_bps", "20", "margin the discount must beat on top of all costs"),
    ("repeg_bps", "10", "exit once the discount is at most this"),
    ("max_hold_h", "72", "exit after this many hours at the latest"),
    ("position_pct", "100", "percent of the free underlying spent on an entry"),
    ("max_size", "none", "cap of an entry, underlying tokens"),
    ("pool_depth", "2000", "pool liquidity, underlying tokens (depth gate, slippage)"),
    ("max_depth_pct", "2", "no entry larger than this percent of the pool depth"),
    ("trend_window_days", "7", "trailing window of the accrual-trend fit"),
    ("min_history_days", "2", "history needed before the first fair value"),
    ("refit_s", "3600", "seconds between trend refits (fixed grid)"),
    ("slippage_bps", "300", "slippage bound of each order (min amount out)"),
)


class BuildInfoLike(Protocol):
    """What the backtest's ``BuildInfo`` tells a builder."""

    @property
    def base(self) -> Token: ...
    @property
    def quote(self) -> Token: ...
    @property
    def id_prefix(self) -> str: ...


def _dec(params: Mapping[str, str], name: str) -> Decimal | None:
    raw = params[name]
    if raw.strip().lower() == "none":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"parameter {name}: expected a number, got {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"parameter {name}: must be finite, got {raw!r}")
    return value


def lst_params(params: Mapping[str, str], info: BuildInfoLike) -> LstParams:
    """``LstParams`` (base = the LST, quote = the underlying) from ``--param`` strings."""
    known = {doc[0] for doc in PARAM_DOCS}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"lst: unknown parameter(s) {', '.join(unknown)}")
    kw: dict[str, object] = {}
    for name in params:
        value = _dec(params, name)
        if name in ("fee_bps", "threshold_bps", "repeg_bps", "slippage_bps"):
            if value is None or value != value.to_integral_value():
                raise ValueError(f"parameter {name}: expected an integer, got {params[name]!r}")
            kw[name] = int(value)
        elif name == "max_size":
            kw[name] = value
        elif value is None:
            raise ValueError(f"parameter {name}: a number is required")
        elif name == "max_hold_h":
            kw["max_hold_s"] = float(value) * 3600.0
        elif name in ("trend_window_days", "min_history_days"):
            kw[name.replace("_days", "_s")] = float(value) * 86_400.0
        elif name == "refit_s":
            kw[name] = float(value)
        else:
            kw[name] = value
    return LstParams(lst=info.base, underlying=info.quote, **kw)  # type: ignore[arg-type]


def build_lst(params: Mapping[str, str], info: BuildInfoLike) -> LstEngine:
    return LstEngine(lst_params(params, info), id_prefix=info.id_prefix)
