"""The safety gate (fees < expected revenue) and the funding table, on real funding prints."""

from __future__ import annotations

from decimal import Decimal

import pytest
from funding_support import BTC, BTC_MKT, EIGHT_H, SOL_MKT, USDT, at, sol_params

from phantom.engines.funding import (
    FundingCosts,
    FundingParams,
    FundingRatePrint,
    build_funding_table,
    round_trip_costs,
    safety_gate,
)


def _rates(prints: list[FundingRatePrint], before: float) -> list[float]:
    return [p.rate for p in prints if p.ts <= before]


def test_round_trip_costs_count_every_kind() -> None:
    costs = FundingCosts(
        spot_fee_bps=Decimal(10),
        spot_slippage_bps=Decimal(30),
        perp_fee_bps=Decimal(5),
        perp_slippage_bps=Decimal(2),
        network_usd=Decimal("0.25"),
        expected_rebalances=4,
        rebalance_size_pct=Decimal(2),
    )
    c = round_trip_costs(Decimal(10_000), costs)
    assert c.spot_fees == Decimal(20)  # two swaps at 10 bps
    assert c.spot_slippage == Decimal(60)
    assert c.perp_fees == Decimal(10)
    assert c.perp_slippage == Decimal(4)
    assert c.rebalances == Decimal(10_000) * Decimal("0.02") * 4 * Decimal(7) / 10_000
    assert c.network == Decimal(1)  # buy, sell, collateral in and out
    assert c.total == Decimal("95.56")


def test_gate_refuses_btc_october_2022_funding_against_on_chain_costs(
    btc_prints: list[FundingRatePrint],
) -> None:
    """BTC paid ~0.005 % per 8 h before FTX: 30 days of it cannot pay 2 x 30 bps of spot."""
    params = FundingParams(base=BTC, quote=USDT, market=BTC_MKT)
    rates = _rates(btc_prints, at("2022-11-07T08:00:00"))  # last 3 prints positive
    decision = safety_gate(Decimal(6_000), rates, EIGHT_H, params)
    assert not decision.ok
    assert "does not cover" in decision.reason
    assert decision.expected_funding_usd < decision.costs.total + decision.required_usd
    assert 0 < decision.expected_rate < 0.0001


def test_gate_passes_sol_february_2024_funding(sol_prints: list[FundingRatePrint]) -> None:
    rates = _rates(sol_prints, at("2024-02-20T00:00:00"))
    decision = safety_gate(Decimal(6_000), rates, EIGHT_H, sol_params())
    assert decision.ok, decision.reason
    assert decision.net_usd > decision.required_usd
    # the same prints, a horizon too short to earn the costs back: refused
    short = safety_gate(Decimal(6_000), rates, EIGHT_H, sol_params(horizon_h=48.0))
    assert not short.ok and "does not cover" in short.reason


def test_gate_wants_recent_prints_positive(btc_prints: list[FundingRatePrint]) -> None:
    cheap = FundingCosts(spot_slippage_bps=Decimal(0), perp_fee_bps=Decimal(0))
    params = FundingParams(base=BTC, quote=USDT, market=BTC_MKT, costs=cheap)
    rates = _rates(btc_prints, at("2022-11-10T00:00:00"))  # ends with 3 negative prints
    decision = safety_gate(Decimal(6_000), rates, EIGHT_H, params)
    assert not decision.ok and "not positive" in decision.reason
    assert not safety_gate(Decimal(6_000), rates[:2], EIGHT_H, params).ok  # too few prints


def test_funding_table_ranks_markets_and_marks_opportunities(
    sol_prints: list[FundingRatePrint], btc_prints: list[FundingRatePrint]
) -> None:
    ftx = next(p for p in btc_prints if p.ts == at("2022-11-10T00:00:00"))
    assert round(ftx.rate * 100, 3) == -0.119
    sol = FundingRatePrint(sol_prints[-1].ts, SOL_MKT, sol_prints[-1].rate, EIGHT_H, 2.1e9, 4.5e9)
    btc = FundingRatePrint(ftx.ts, BTC_MKT, ftx.rate, EIGHT_H, 5.0e9, 2.0e10)
    hourly = FundingRatePrint(ftx.ts, "ETH/USDC:USDC", 0.0000125, 3600.0)
    table = build_funding_table([btc, sol, hourly, sol_prints[0]], FundingCosts(), 720.0)
    assert [r.market for r in table.rows] == [SOL_MKT, "ETH/USDC:USDC", BTC_MKT]
    top = table.rows[0]
    assert top.rate_pct == sol_prints[-1].rate * 100  # the latest SOL print, not the first
    assert abs(top.apr_pct - sol_prints[-1].rate * 3 * 365 * 100) < 1e-9
    assert table.rows[1].apr_pct == pytest.approx(0.0000125 * 24 * 365 * 100)
    assert table.rows[2].apr_pct < 0 and not table.rows[2].opportunity
    assert [r.market for r in table.top] == [SOL_MKT, "ETH/USDC:USDC"]  # net of costs > 0
    assert 0 < table.rows[1].net_apr_pct < table.rows[1].apr_pct
    data = table.as_dict()
    assert data["open_interest_usd"] == 7.1e9 and data["top"][0] == SOL_MKT
