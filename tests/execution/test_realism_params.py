"""RealismParams validation: a bad knob is a clear error naming it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from exec_support import params


def test_defaults_are_valid() -> None:
    p = params()
    assert p.min_fill_pct == 80.0 and p.native.symbol == "SOL"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("transaction_failure_rate_pct", 101.0),
        ("mev_risk_rate_pct", -1.0),
        ("partial_fill_rate_pct", float("nan")),
        ("mev_penalty_max_pct", 150.0),
        ("slippage_volatility_multiplier", 0.5),
        ("execution_delay_min_ms", -5),
        ("min_fill_pct", 0.0),
        ("mev_attacker_min_profit_usd", Decimal(-1)),
    ],
)
def test_out_of_range_knob_is_named(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        replace(params(), **{name: value})


def test_delay_bounds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="execution_delay_max_ms must be >="):
        params(execution_delay_min_ms=500, execution_delay_max_ms=100)
