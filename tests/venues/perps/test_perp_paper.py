"""The paper perp simulator: funding sign, fees, margin, health and liquidation, on real marks."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest

from phantom.backtest.funding.data import Series, load_series
from phantom.core.token import Token
from phantom.venues.perps import (
    OrderType,
    PaperPerpParams,
    PaperPerpVenue,
    PerpMarket,
    PerpOrder,
    PerpOrderStatus,
    PerpSide,
    PerpVenueError,
    funding_apr,
)

SOL = Token("SOL", 9)
USDT = Token("USDT", 6)
MKT = "SOL/USDT:USDT"
FIX = Path(__file__).parents[2] / "fixtures" / "funding" / "sol_2024_03"


def _d(x: float) -> Decimal:
    return Decimal(repr(float(x)))


@pytest.fixture(scope="module")
def marks() -> Series:
    return load_series(FIX / "SOL_USDT_USDT-1h-mark.feather")


@pytest.fixture(scope="module")
def prints() -> Series:
    return load_series(FIX / "SOL_USDT_USDT-1h-funding_rate.feather", prices=False)


def _venue(**kw: Decimal) -> PaperPerpVenue:
    params = PaperPerpParams(**kw) if kw else PaperPerpParams()
    return PaperPerpVenue([PerpMarket(MKT, SOL, USDT)], params)


def _order(side: PerpSide, sol: str, reduce: bool = False, cid: str = "o1") -> PerpOrder:
    return PerpOrder(cid, MKT, side, SOL.to_units(sol), reduce_only=reduce)


def test_funding_sign_longs_pay_shorts_when_positive(marks: Series, prints: Series) -> None:
    mark = _d(marks.close[0])  # 2024-02-20 00:00 mark
    rate = _d(prints.open[-1])  # a real positive SOL print
    assert rate > 0
    short, long_ = _venue(taker_fee_bps=Decimal(0)), _venue(taker_fee_bps=Decimal(0))
    for venue, side in ((short, PerpSide.SELL), (long_, PerpSide.BUY)):
        venue.update_mark(MKT, 0.0, mark)
        venue.deposit(USDT.to_units(1000))
        assert venue.place_order(_order(side, "2")).status is PerpOrderStatus.FILLED
    got_short = short.settle_funding(MKT, 1.0, rate).payment
    got_long = long_.settle_funding(MKT, 1.0, rate).payment
    expected = Decimal(2) * mark * rate * 10**6
    assert got_short == math.floor(expected)  # received, rounded down
    assert got_long == -math.ceil(expected)  # paid, rounded up
    assert short.settle_funding(MKT, 2.0, -rate).payment < 0  # negative rate: shorts pay
    assert short.funding_history(MKT)[-1].rate == -rate


def test_fill_price_fee_and_realised_pnl() -> None:
    v = _venue(taker_fee_bps=Decimal(5), slippage_bps=Decimal(10))
    v.update_mark(MKT, 0.0, Decimal(100))
    v.deposit(USDT.to_units(1000))
    sell = v.place_order(_order(PerpSide.SELL, "1"))
    assert sell.avg_price == Decimal("99.9")  # 10 bps worse than the mark
    assert sell.fee == 49_950  # 5 bps of 99.9 USDT, in USDT units
    v.update_mark(MKT, 1.0, Decimal(90))
    v.set_trade_price(MKT, Decimal(90))
    buy = v.place_order(_order(PerpSide.BUY, "1", reduce=True, cid="o2"))
    assert buy.avg_price == Decimal("90.09")
    assert v.position_size(MKT) == 0
    pnl = Decimal("99.9") - Decimal("90.09")
    fees = Decimal(sell.fee + buy.fee) / 10**6
    assert USDT.to_decimal(v.equity()) == Decimal(1000) + pnl - fees
    assert v.fees_paid == sell.fee + buy.fee


def test_margin_and_reduce_only_rejections() -> None:
    v = _venue()
    v.update_mark(MKT, 0.0, Decimal(100))
    v.deposit(USDT.to_units(100))  # 10 % initial margin: at most 1000 USDT of notional
    too_big = v.place_order(_order(PerpSide.SELL, "11"))
    assert too_big.status is PerpOrderStatus.REJECTED and "margin" in too_big.reason
    nothing = v.place_order(_order(PerpSide.BUY, "1", reduce=True))
    assert nothing.status is PerpOrderStatus.REJECTED and "reduce-only" in nothing.reason
    assert v.place_order(_order(PerpSide.SELL, "5")).filled == SOL.to_units(5)
    clamped = v.place_order(_order(PerpSide.BUY, "9", reduce=True, cid="o3"))
    assert clamped.filled == SOL.to_units(5) and v.position_size(MKT) == 0
    limit = PerpOrder("o4", MKT, PerpSide.BUY, SOL.one, OrderType.LIMIT, Decimal(50))
    assert v.place_order(limit).status is PerpOrderStatus.REJECTED  # would rest: not simulated


def test_health_is_one_minus_maintenance_over_collateral() -> None:
    v = _venue(taker_fee_bps=Decimal(0), slippage_bps=Decimal(0))
    v.update_mark(MKT, 0.0, Decimal(100))
    assert v.account().health == 1
    v.deposit(USDT.to_units(500))
    v.place_order(_order(PerpSide.SELL, "10"))  # 1000 USDT short on 500 collateral
    a = v.account()
    assert a.maintenance_margin == USDT.to_units(50)  # 5 % of 1000
    assert a.health == Decimal(1) - Decimal(50) / Decimal(500)
    v.update_mark(MKT, 1.0, Decimal(120))  # short loses 200: collateral 300, maintenance 60
    assert v.account().health == Decimal(1) - Decimal(60) / Decimal(300)
    assert v.account().health_pct == Decimal(80)
    with pytest.raises(PerpVenueError):
        v.withdraw(USDT.to_units(200))  # only 300 - 120 initial margin is free
    v.withdraw(USDT.to_units(180))


def test_liquidation_on_the_real_march_2024_rally(marks: Series) -> None:
    """A 5x SOL short opened on 2024-02-20 is liquidated at a real hourly mark high."""
    v = _venue()
    start = _d(marks.close[0])
    v.update_mark(MKT, float(marks.close_ts[0]), start)
    v.deposit(USDT.to_units(1000))
    assert v.place_order(_order(PerpSide.SELL, str(round(5000 / float(start), 2)))).filled > 0
    liquidation = None
    for i in range(1, len(marks)):
        liquidation = v.update_mark(
            MKT, float(marks.close_ts[i]), _d(marks.close[i]), _d(marks.high[i]), _d(marks.low[i])
        )
        if liquidation is not None:
            break
    assert liquidation is not None
    assert liquidation.price == _d(marks.high[i])  # closed at the bar's worst price
    assert v.position_size(MKT) == 0
    assert liquidation.size < 0 and liquidation.realized_pnl < 0
    closed = SOL.to_decimal(-liquidation.size) * liquidation.price
    assert liquidation.penalty == min(
        math.ceil(closed * Decimal("0.01") * 10**6),
        v.equity() + liquidation.penalty,
    )
    assert v.equity() >= 0 and v.liquidations == [liquidation]
    assert float(liquidation.price / start) > 1.14  # 5x: maintenance breached above +14.3 %


def test_bad_debt_when_collateral_cannot_cover() -> None:
    v = _venue()
    v.update_mark(MKT, 0.0, Decimal(100))
    v.deposit(USDT.to_units(100))
    v.place_order(_order(PerpSide.SELL, "9"))
    liq = v.update_mark(MKT, 1.0, Decimal(115), high=Decimal(130), low=Decimal(99))
    assert liq is not None and liq.price == Decimal(130)
    assert liq.bad_debt > 0 and liq.penalty == 0
    assert v.equity() == 0


def test_funding_table_and_apr(prints: Series) -> None:
    v = _venue()
    assert v.funding_table() == []
    v.update_mark(MKT, 0.0, Decimal(100))
    v.set_stats(MKT, Decimal(1_000_000), Decimal(5_000_000))
    rate = _d(prints.open[0])
    v.settle_funding(MKT, float(prints.ts[0]), rate)
    (row,) = v.funding_table()
    assert row.rate == rate and row.interval_s == 8 * 3600.0
    assert row.apr == rate * 3 * 365
    assert row.open_interest_usd == Decimal(1_000_000)
    assert funding_apr(Decimal("0.0001"), 3600) == Decimal("0.876")


def test_unknown_market_and_bad_params() -> None:
    v = _venue()
    with pytest.raises(PerpVenueError):
        v.mark_price("BTC/USDT:USDT")
    with pytest.raises(PerpVenueError):
        v.mark_price(MKT)  # no mark yet
    with pytest.raises(ValueError):
        PaperPerpParams(
            maintenance_margin_ratio=Decimal("0.2"), initial_margin_ratio=Decimal("0.1")
        )
    with pytest.raises(ValueError):
        PerpOrder("x", MKT, PerpSide.BUY, 0)
