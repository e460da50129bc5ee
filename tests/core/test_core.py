from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantom.core.bus import EventBus
from phantom.core.clock import SimClock
from phantom.core.costs import CostBreakdown
from phantom.core.events import PriceTick
from phantom.core.fees import SolanaFeeSchedule, solana_fees
from phantom.core.orders import IntentKind, OrderIntent, SwapLeg
from phantom.core.pool import ConstantProductPool
from phantom.core.rng import SeededRng
from phantom.core.token import Token

USDC = Token("USDC", 6)
SOL = Token("SOL", 9)
WETH = Token("WETH", 18, chain="ethereum")


def test_amounts_are_exact_integers() -> None:
    assert SOL.to_units("1.5") == 1_500_000_000
    assert USDC.to_units(Decimal("5000")) == 5_000_000_000  # Decimal('5.000E+9') once broke this
    assert WETH.to_units("123456789.123456789123456789") == 123456789123456789123456789
    assert USDC.to_units("0.0000019") == 1  # rounds toward zero: never invents dust
    assert SOL.to_decimal(1) == Decimal("0.000000001")
    with pytest.raises(ValueError, match="finite"):
        SOL.to_units(Decimal("NaN"))


@given(st.integers(min_value=0, max_value=10**40))
def test_units_round_trip(units: int) -> None:
    assert WETH.to_units(WETH.to_decimal(units)) == units


def test_seeded_streams_are_reproducible_and_independent() -> None:
    a = [SeededRng(7).stream("latency").random() for _ in range(3)]
    b = SeededRng(7).stream("latency")
    assert a[0] == b.random()
    other = SeededRng(7).stream("failure").random()
    assert other != a[0]
    assert SeededRng(8).stream("latency").random() != a[0]


def test_sim_clock_only_moves_forward() -> None:
    clock = SimClock(100.0)
    clock.advance_to(105.0)
    assert clock.now() == 105.0
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance_to(104.0)


def test_bus_delivers_by_type_in_order() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(PriceTick, lambda e: seen.append(f"a{e.price}"))
    bus.subscribe(PriceTick, lambda e: seen.append(f"b{e.price}"))
    bus.publish(PriceTick(0.0, "SOL", 20.0))
    bus.publish("ignored")
    assert seen == ["a20.0", "b20.0"]


def test_bad_domain_values_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        ConstantProductPool("p", "v", USDC, SOL, -1, 10, 3000)
    with pytest.raises(ValueError, match="fee_ppm"):
        ConstantProductPool("p", "v", USDC, SOL, 1, 10, 1_000_000)
    with pytest.raises(ValueError, match="do not chain"):
        OrderIntent(
            intent_id="x",
            engine="arb",
            kind=IntentKind.SWAP,
            created_at=0.0,
            legs=(SwapLeg("p", USDC, SOL), SwapLeg("q", USDC, SOL)),
            amount_in=1,
            min_amount_out=0,
            expected_amount_out=1,
            expected_profit_usd=Decimal(0),
            expected_costs=CostBreakdown(),
            notional_usd=Decimal(1),
            slippage_bps=50,
        )


def test_solana_fees_follow_the_fee_structure() -> None:
    schedule = SolanaFeeSchedule(5000, 10_000, 300_000, 1000)
    assert schedule.priority_fee_lamports() == 3000  # ceil(10_000 * 300_000 / 1e6)
    landed_private = solana_fees(schedule, signatures=2, private=True, landed=True)
    assert (landed_private.base, landed_private.priority, landed_private.tip) == (
        10_000,
        3000,
        1000,
    )
    failed = solana_fees(schedule, signatures=1, private=True, landed=False)
    assert failed.tip == 0 and failed.total == 8000  # fees are paid even when it fails
    assert SolanaFeeSchedule(5000, 1, 1, 1000).priority_fee_lamports() == 1  # rounds up
