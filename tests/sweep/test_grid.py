"""``--sweep`` grid parsing."""

from __future__ import annotations

import pytest

from phantom.backtest.sweep import SweepError, parse_grid, points


def test_ranges_include_the_stop() -> None:
    grid = parse_grid("fast=5:30:5,slow=40:200:20")
    assert grid == {
        "fast": ["5", "10", "15", "20", "25", "30"],
        "slow": ["40", "60", "80", "100", "120", "140", "160", "180", "200"],
    }
    assert len(points(grid)) == 54


def test_step_that_misses_the_stop_ends_below_it() -> None:
    assert parse_grid("slow=40:100:25") == {"slow": ["40", "65", "90"]}


def test_lists_single_values_default_step_and_decimals() -> None:
    grid = parse_grid(" fast = 5|8|13 , slow=50, slippage_bps=1:3, position_pct=50:100:12.5 ")
    assert grid == {
        "fast": ["5", "8", "13"],
        "slow": ["50"],
        "slippage_bps": ["1", "2", "3"],
        "position_pct": ["50", "62.5", "75", "87.5", "100"],
    }


def test_points_vary_the_last_parameter_fastest() -> None:
    assert points(parse_grid("a=1:2,b=7|9")) == [
        {"a": "1", "b": "7"},
        {"a": "1", "b": "9"},
        {"a": "2", "b": "7"},
        {"a": "2", "b": "9"},
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("fast", "'fast' is not NAME=VALUES"),
        ("=5:10", "has no parameter name"),
        ("fast=", "fast: no values"),
        ("fast=a:10:5", "fast: 'a' is not a number"),
        ("fast=5:10:x", "fast: 'x' is not a number"),
        ("fast=5:10:0", "step must be > 0"),
        ("fast=5:10:-1", "step must be > 0"),
        ("fast=30:5:5", "stop 5 is below start 30"),
        ("fast=1:2:3:4", "too many ':'"),
        ("fast=5,fast=6", "fast given twice"),
        ("fast=5|5", "repeated values"),
        ("fast=nan", "not a finite number"),
        ("fast=1:10000000", "values \\(at most"),
        ("a=1:1000,b=1:1000", "points \\(at most"),
    ],
)
def test_malformed_specs_are_named(spec: str, message: str) -> None:
    with pytest.raises(SweepError, match=message):
        parse_grid(spec)
