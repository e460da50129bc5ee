"""The speed-ups' building blocks give exactly what the plain code gives (the golden files pin
whole runs; these pin the pieces, edge cases included)."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pytest
from exec_support import SOL, USDC, client, market, usdc_to_sol

from phantom.backtest.book import Book, Marker
from phantom.backtest.runner import _first_at_or_after, first_at_or_after
from phantom.core.construct import is_native, slot_constructor
from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import OrderIntent, Route
from phantom.core.token import Token
from phantom.engines.base import EngineContext
from phantom.execution.client import ExecutionOutcome
from phantom.execution.fill_builder import (
    _net3,
    net_deltas,
    new_costs,
    new_delta,
    new_fill,
    usd_price,
)
from phantom.execution.realism import MevDraw, PathResult
from phantom.risk.gate import GateContext

D = Decimal


def _fill_args() -> tuple[object, ...]:
    deltas = (BalanceDelta(SOL, -5), BalanceDelta(USDC, 7))
    costs = CostBreakdown(D("0.1"), D("0E-12"), D(0), D("1.5"), D(2), D("-3"))
    return ("i:fill", "i", "arb", FillStatus.PARTIAL, Route.PRIVATE, 1.5, 2.5, 10, 20, deltas,
            costs, D("-0.25"), D("0.8"), True, "why", ("a", "b"))  # fmt: skip


@pytest.mark.parametrize(
    ("cls", "args"),
    [
        (Fill, _fill_args()),
        (CostBreakdown, (D(1), D("2.50"), D("0E-12"), D(0), D("-1"), D("1e-9"))),
        (BalanceDelta, (SOL, -42)),
        (MevDraw, (True, 0.25)),
        (PathResult, (1, 2, 3, D("4.5"), D(0), False, D(0), (), ("n",))),
        (ExecutionOutcome, (Fill(*_fill_args()), ())),  # type: ignore[arg-type]
        (GateContext, (1.0, 2, True)),
        (EngineContext, (1.0, None, None)),
        (Marker, (1.0, 2.0, False)),
    ],
)
def test_slot_constructor_builds_what_the_class_builds(cls: type, args: tuple[object, ...]) -> None:
    made = slot_constructor(cls)
    # a class compiled by mypyc (bench/compiled.py) has no slots to set: it is its own constructor
    assert (made is cls) if is_native(cls) else (made is not cls)
    fast, plain = made(*args), cls(*args)
    assert type(fast) is cls and fast == plain and repr(fast) == repr(plain)
    assert hash(fast) == hash(plain)


def test_slot_constructor_leaves_other_classes_alone() -> None:
    @dataclass
    class NoSlots:
        x: int

    @dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            if self.x < 0:
                raise ValueError("x")

    assert slot_constructor(OrderIntent) is OrderIntent  # validates in __post_init__
    assert slot_constructor(NoSlots) is NoSlots
    assert slot_constructor(Checked) is Checked
    assert slot_constructor(int) is int


def test_the_fill_builder_constructors_are_the_fast_ones() -> None:
    assert new_fill(*_fill_args()) == Fill(*_fill_args())  # type: ignore[arg-type]
    assert new_costs(D(1), D(2), D(3), D(4), D(5), D(6)) == CostBreakdown(
        D(1), D(2), D(3), D(4), D(5), D(6)
    )
    assert new_delta(SOL, 3) == BalanceDelta(SOL, 3)


@pytest.mark.parametrize(
    "price",
    [0.0, -0.0, 1, 1.0, 1e-7, 123.456, 2.5e300, -4.0, math.inf, np.float64(1.5)],
)
def test_usd_price_is_the_decimal_of_str(price: float) -> None:
    for _ in range(2):  # computed, then (for positive floats) memoised
        got = usd_price(price)
        assert str(got) == str(Decimal(str(price)))


def test_usd_price_never_confuses_equal_keys() -> None:
    assert str(usd_price(1.0)) == "1.0"
    assert str(usd_price(1)) == "1"
    assert str(usd_price(0.0)) == "0.0" and str(usd_price(-0.0)) == "-0.0"
    assert usd_price(math.nan).is_nan()


def test_net3_nets_like_net_deltas() -> None:
    a, b, c, a2 = Token("A", 1), Token("B", 2), Token("C", 3), Token("A", 1)
    for t1, t2, t3 in itertools.product((a, b, c, a2), repeat=3):
        for x, y, z in itertools.product((-2, 0, 1, 2), repeat=3):
            fast = _net3(t1, x, t2, y, t3, z)
            plain = net_deltas([(t1, x), (t2, y), (t3, z)])
            assert fast == plain
            assert all(p.token is q.token for p, q in zip(fast, plain, strict=True))


def test_the_list_search_matches_the_array_search() -> None:
    rng = random.Random(3)
    for _ in range(300):
        values = sorted(rng.uniform(0, 100) for _ in range(rng.randint(0, 40)))
        arr = np.asarray(values, dtype=np.float64)
        x = rng.uniform(-5, 105)
        lo = rng.randint(0, len(values))
        assert _first_at_or_after(values, x, lo) == first_at_or_after(arr, x, lo)


def test_book_balances_get_is_mapping_get() -> None:
    usdt = Token("USDT", 6)
    book = Book("sma", SOL, usdt, SOL, cash=1_000 * usdt.one, gas_buffer=10)
    balances = book.balances
    for token in (usdt, Token("USDT", 6), SOL, Token("SOL", 9), USDC):
        plain = balances[token] if token in (usdt, SOL) else None
        assert balances.get(token) == plain
        assert balances.get(token, -1) == (plain if plain is not None else -1)


class _Exploding:
    """A market whose volatility flag fails once: an unexpected error inside an execution."""

    def __init__(self) -> None:
        self.base = market()
        self.calls = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.base, name)

    def is_volatile(self) -> bool:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("feed down")
        return False


def test_an_unexpected_error_keeps_the_intents_not_yet_executed() -> None:
    c = client()
    tags = ("liquidity_usd=100000",)
    arrivals = {}
    for k in range(3):
        order = usdc_to_sol(f"o{k}", 100, "pump", tags=tags, min_amount_out=0)
        arrivals[order.intent_id] = c.submit(order, float(k) / 10)
    by_arrival = sorted(arrivals, key=arrivals.__getitem__)
    mkt = _Exploding()
    with pytest.raises(RuntimeError, match="feed down"):
        c.due(10.0, mkt)  # type: ignore[arg-type]
    # the first to arrive was taken off the queue (as always), the other two still wait
    assert c.in_flight() == 2
    assert [o.fill.intent_id for o in c.due(10.0, mkt)] == by_arrival[1:]  # type: ignore[arg-type]
