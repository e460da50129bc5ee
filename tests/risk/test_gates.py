from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from phantom.core.costs import CostBreakdown
from phantom.core.fills import Fill, FillStatus
from phantom.core.orders import IntentKind, OrderIntent, Route, SwapLeg
from phantom.core.token import Token
from phantom.risk.breaker import CircuitBreaker, KillSwitch
from phantom.risk.gate import GateContext, RiskChain
from phantom.risk.gates import (
    MaxConcurrentGate,
    MaxTradeSizeGate,
    MinProfitGate,
    VolatilityGate,
    exempt_sales,
)

USDC = Token("USDC", 6)
SOL = Token("SOL", 9)
CTX = GateContext(now=100.0, in_flight=0, volatile=False)


def _intent(
    profit: str = "1", notional: str = "1000", kind: IntentKind = IntentKind.ARBITRAGE
) -> OrderIntent:
    return OrderIntent(
        intent_id="i-1",
        engine="arb",
        kind=kind,
        created_at=0.0,
        legs=(SwapLeg("p1", USDC, SOL), SwapLeg("p2", SOL, USDC)),
        amount_in=1_000_000_000,
        min_amount_out=1_000_000_000,
        expected_amount_out=1_001_000_000,
        expected_profit_usd=Decimal(profit),
        expected_costs=CostBreakdown(),
        notional_usd=Decimal(notional),
        slippage_bps=50,
    )


def _fill(status: FillStatus) -> Fill:
    return Fill(
        fill_id="f",
        intent_id="i-1",
        engine="arb",
        status=status,
        route=Route.PUBLIC,
        sent_at=0.0,
        arrived_at=0.5,
        amount_in=1,
        amount_out=1,
        deltas=(),
        costs=CostBreakdown(),
        pnl_usd=Decimal(0),
    )


def test_min_profit_gate_checks_usd_and_bps() -> None:
    gate = MinProfitGate(Decimal("0.50"), Decimal("10"))
    assert gate.check(_intent(profit="0.49"), CTX) is not None
    rejection = gate.check(_intent(profit="0.60", notional="1000"), CTX)  # 6 bps
    assert rejection is not None and rejection.reason == "min_profit_bps"
    assert gate.check(_intent(profit="2", notional="1000"), CTX) is None
    assert gate.check(_intent(profit="-1", kind=IntentKind.REFUEL), CTX) is None


def test_size_concurrency_and_volatility() -> None:
    assert MaxTradeSizeGate(Decimal("5000")).check(_intent(notional="5000.01"), CTX) is not None
    assert MaxTradeSizeGate(Decimal("5000")).check(_intent(notional="5000"), CTX) is None
    busy = GateContext(now=0.0, in_flight=3, volatile=False)
    assert MaxConcurrentGate(3).check(_intent(), busy) is not None
    assert MaxConcurrentGate(3).check(_intent(kind=IntentKind.REFUEL), busy) is None
    wild = GateContext(now=0.0, in_flight=0, volatile=True)
    assert VolatilityGate().check(_intent(), wild) is not None


def test_circuit_breaker_trips_after_consecutive_failures_then_cools_down() -> None:
    breaker = CircuitBreaker(max_consecutive_failures=3, cooldown_s=60.0)
    for _ in range(2):
        breaker.on_fill(_fill(FillStatus.FAILED), now=10.0)
    breaker.on_fill(_fill(FillStatus.FILLED), now=11.0)  # a success resets the count
    for _ in range(2):
        breaker.on_fill(_fill(FillStatus.FAILED), now=12.0)
    assert breaker.check(_intent(), GateContext(13.0, 0, False)) is None
    breaker.on_fill(_fill(FillStatus.FAILED), now=14.0)
    rejection = breaker.check(_intent(), GateContext(20.0, 0, False))
    assert rejection is not None and rejection.reason == "circuit_breaker"
    assert breaker.check(_intent(), GateContext(74.0, 0, False)) is None
    assert breaker.trips == 1


def test_chain_counts_rejections_by_reason_and_kill_switch_wins() -> None:
    kill = KillSwitch()
    chain = RiskChain([kill, MinProfitGate(Decimal("0.5"), Decimal("0"))])
    assert chain.check(_intent(profit="0.1"), CTX) is not None
    kill.engage("SIGTERM")
    rejection = chain.check(_intent(profit="9"), CTX)
    assert (
        rejection is not None
        and rejection.reason == "kill_switch"
        and "SIGTERM" in rejection.detail
    )
    assert dict(chain.rejections) == {"min_profit_usd": 1, "kill_switch": 1}


@pytest.mark.parametrize("bad", [float("nan"), 0.0, -1.0, float("inf")])
def test_volatility_rejects_bad_prices(bad: float) -> None:
    from phantom.signals.volatility import RollingVolatility

    with pytest.raises(ValueError, match="positive and finite"):
        RollingVolatility(5).update(bad)


def test_selling_a_held_leg_passes_the_size_limit_and_nothing_else_does() -> None:
    chain = exempt_sales(RiskChain([MaxConcurrentGate(1), MaxTradeSizeGate(Decimal("5000"))]), SOL)
    big_buy = _intent(notional="9000")  # USDC -> SOL: adds exposure
    big_sale = replace(big_buy, legs=(SwapLeg("p1", SOL, USDC),))  # SOL -> USDC: reduces it
    rejection = chain.check(big_buy, CTX)
    assert rejection is not None and rejection.reason == "max_trade_size"
    assert chain.check(big_sale, CTX) is None
    busy = GateContext(now=0.0, in_flight=1, volatile=False)
    sold_when_busy = chain.check(big_sale, busy)
    assert sold_when_busy is not None and sold_when_busy.reason == "max_concurrent"
    assert [g.name for g in chain.gates] == ["max_concurrent", "max_trade_size"]
