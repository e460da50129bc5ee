"""Each rule of the funding engine, driven by real prints and marks from the fixture slices."""

from __future__ import annotations

from decimal import Decimal

from funding_support import (
    BTC,
    BTC_MKT,
    SOL,
    SOL_MKT,
    USDT,
    at,
    ctx,
    open_position,
    perp_fill,
    resolve,
    sol_params,
    spot_fill,
)

from phantom.backtest.funding.data import Series
from phantom.core.orders import OrderIntent
from phantom.engines.funding import (
    FundingEngine,
    FundingIntent,
    FundingParams,
    FundingRatePrint,
    MarginIntent,
    MarginOutcome,
    PerpAccountState,
    PerpIntent,
    PerpSide,
    PriceSnapshot,
)

FEB20 = at("2024-02-20T00:00:00")


def _before(prints: list[FundingRatePrint], ts: float) -> list[FundingRatePrint]:
    return [p for p in prints if p.ts <= ts]


def _state(engine: FundingEngine, ts: float, collateral: int, health: str) -> PerpAccountState:
    return PerpAccountState(ts, collateral, 0, engine.perp_units, Decimal(health))


def test_entry_is_delta_neutral_and_split_by_leverage(
    sol_prints: list[FundingRatePrint], sol_marks: Series
) -> None:
    price = float(sol_marks.close[0])
    engine = FundingEngine(sol_params())
    margin, buy, sell = open_position(engine, _before(sol_prints, FEB20), price)
    assert isinstance(margin, MarginIntent) and isinstance(buy, OrderIntent)
    assert isinstance(sell, PerpIntent) and sell.side is PerpSide.SELL and not sell.reduce_only
    capital = Decimal(9_500)  # 95 % of the 10,000 USDT cash
    notional = capital / Decimal("1.5")  # spot + collateral at 2x
    assert buy.amount_in == USDT.to_units(notional)
    assert margin.amount == USDT.to_units(notional / 2)
    assert buy.token_out == SOL and buy.expected_profit_usd > 0
    # the short matches what the swap is expected to deliver after its slippage (30 bps)
    assert (
        sell.size == int(buy.expected_amount_out * Decimal("0.997"))
        or abs(sell.size - buy.expected_amount_out * Decimal("0.997")) <= 1
    )
    assert engine.want_open and engine.spot_units == buy.expected_amount_out
    assert engine.perp_units == -sell.size
    assert engine.status().delta_pct < 0.31


def test_rebalance_when_delta_drifts(sol_prints: list[FundingRatePrint], sol_marks: Series) -> None:
    price = float(sol_marks.close[0])
    engine = FundingEngine(sol_params())
    c = ctx(SOL, price)
    for p in _before(sol_prints, FEB20):
        engine.on_event(p, c)
    margin, buy, sell = engine.on_event(PriceSnapshot(FEB20, SOL_MKT, price, price), c)
    assert isinstance(margin, MarginIntent)
    engine.on_margin(MarginOutcome(margin.intent_id, True, margin.amount))
    assert isinstance(buy, OrderIntent) and isinstance(sell, PerpIntent)
    engine.on_fill(spot_fill(buy, Decimal("0.85")))  # a partial fill: 15 % short of the hedge
    engine.on_perp(perp_fill(sell))
    drift = engine.spot_units + engine.perp_units
    assert drift < 0 and engine.status().delta_pct > 14
    (fix,) = engine.on_event(PriceSnapshot(FEB20 + 300, SOL_MKT, price, price), c)
    assert isinstance(fix, PerpIntent)
    assert fix.side is PerpSide.BUY and fix.reduce_only and fix.size == -drift
    assert engine.stats.rebalances == 1
    engine.on_perp(perp_fill(fix))
    assert engine.spot_units + engine.perp_units == 0
    assert engine.on_event(PriceSnapshot(FEB20 + 600, SOL_MKT, price, price), c) == []


def test_small_drift_is_left_alone(sol_prints: list[FundingRatePrint], sol_marks: Series) -> None:
    price = float(sol_marks.close[0])
    engine = FundingEngine(sol_params())
    open_position(engine, _before(sol_prints, FEB20), price)
    assert 0 < engine.status().delta_pct < 1  # the slippage allowance only
    assert engine.on_event(PriceSnapshot(FEB20 + 300, SOL_MKT, price, price), ctx(SOL, price)) == []


def test_reduce_before_liquidation_restores_leverage(
    sol_prints: list[FundingRatePrint], sol_marks: Series
) -> None:
    engine = FundingEngine(sol_params())
    start = float(sol_marks.close[0])
    open_position(engine, _before(sol_prints, FEB20), start)
    hedge = min(engine.spot_units, -engine.perp_units)
    # the real mark 17 days later: SOL +30 %, the short's collateral is down to 1,100 USDT
    later = at("2024-03-08T00:00:00")
    price = float(sol_marks.close[int((later - FEB20) // 3600)])
    assert price / start > 1.2
    c = ctx(SOL, price, cash_usd=100, base_units=engine.spot_units)
    collateral = USDT.to_units(1_100)
    assert engine.on_event(PriceSnapshot(later, SOL_MKT, price, price), c) == []  # healthy so far
    sell, buy = engine.on_event(_state(engine, later, collateral, "0.55"), c)
    assert isinstance(sell, OrderIntent) and isinstance(buy, PerpIntent)
    assert sell.token_in == SOL and buy.side is PerpSide.BUY and buy.reduce_only
    assert sell.amount_in == buy.size
    notional = SOL.to_decimal(hedge) * Decimal(repr(price))
    cut = (notional / 2 - Decimal(1_100)) / Decimal("1.5")  # back to 2x after the deposit
    assert abs(SOL.to_decimal(buy.size) * Decimal(repr(price)) - cut) < 1
    engine.on_fill(spot_fill(sell))
    engine.on_perp(perp_fill(buy))
    (deposit,) = engine.on_event(PriceSnapshot(later + 300, SOL_MKT, price, price), c)
    assert isinstance(deposit, MarginIntent) and deposit.amount == sell.expected_amount_out
    assert engine.stats.reduces == 1 and engine.want_open


def test_exit_when_health_falls_below_the_exit_line(
    sol_prints: list[FundingRatePrint], sol_marks: Series
) -> None:
    engine = FundingEngine(sol_params())
    price = float(sol_marks.close[0])
    open_position(engine, _before(sol_prints, FEB20), price)
    c = ctx(SOL, price, base_units=engine.spot_units)
    intents = engine.on_event(_state(engine, FEB20 + 3600, 10**9, "0.20"), c)
    assert not engine.want_open and engine.exit_reason == "health"
    sell, close = intents
    assert isinstance(sell, OrderIntent) and sell.amount_in == engine.spot_units
    assert isinstance(close, PerpIntent) and close.reduce_only and close.size == -engine.perp_units
    resolve(engine, intents)
    flat = PerpAccountState(FEB20 + 7200, 10**9, 0, 0, Decimal(1))
    (sweep,) = engine.on_event(flat, c)
    assert isinstance(sweep, MarginIntent) and sweep.amount == -(10**9)  # collateral back out
    engine.on_margin(MarginOutcome(sweep.intent_id, True, sweep.amount))
    assert engine.on_event(PriceSnapshot(FEB20 + 7200, SOL_MKT, price, price), c) == []


def test_liquidation_reported_by_the_venue_closes_the_spot_leg(
    sol_prints: list[FundingRatePrint], sol_marks: Series
) -> None:
    engine = FundingEngine(sol_params())
    price = float(sol_marks.close[0])
    open_position(engine, _before(sol_prints, FEB20), price)
    held = engine.spot_units
    c = ctx(SOL, price, base_units=held)
    gone = PerpAccountState(FEB20 + 3600, 5 * 10**6, 0, 0, Decimal(1))  # the short was liquidated
    (sell,) = engine.on_event(gone, c)
    assert engine.exit_reason == "liquidated" and engine.stats.exits_liquidated == 1
    assert isinstance(sell, OrderIntent) and sell.token_in == SOL and sell.amount_in == held
    assert engine.perp_units == 0 and engine.stats.reconciled == 1


def _btc_engine(**kw: object) -> FundingEngine:
    params = FundingParams(base=BTC, quote=USDT, market=BTC_MKT, **kw)  # type: ignore[arg-type]
    return FundingEngine(params)


def _hold_btc(engine: FundingEngine, prints: list[FundingRatePrint]) -> None:
    """Open a BTC position on 2022-10-25 (with costs waived, the gate lets it in)."""
    opened = open_position(engine, _before(prints, at("2022-10-25T00:00:00")), 19_300.0)
    assert opened and engine.want_open


def _feed(
    engine: FundingEngine, prints: list[FundingRatePrint], upto: str
) -> list[tuple[float, list[FundingIntent]]]:
    out: list[tuple[float, list[FundingIntent]]] = []
    c = ctx(BTC, 16_000.0, base_units=engine.spot_units)
    for p in prints:
        if at("2022-10-25T00:00:00") < p.ts <= at(upto):
            intents = engine.on_event(p, c)
            if intents:
                out.append((p.ts, intents))
                resolve(engine, intents)
    return out


FREE = {"horizon_h": 24 * 365.0, "min_edge_bps": Decimal(0), "min_profit_usd": Decimal(0)}


def test_exit_on_the_ftx_funding_print(btc_prints: list[FundingRatePrint]) -> None:
    """-0.119 % per 8 h on 2022-11-10 00:00 is -130 % APR: the hard exit fires at once."""
    engine = _btc_engine(**FREE)
    _hold_btc(engine, btc_prints)
    acted = _feed(engine, btc_prints, "2022-11-20T00:00:00")
    ts, intents = acted[0]
    assert ts == at("2022-11-10T00:00:00")
    assert engine.exit_reason == "funding_spike" and engine.stats.exits_funding_spike == 1
    assert {type(i) for i in intents} == {OrderIntent, PerpIntent}  # both legs closed
    assert engine.spot_units == 0 and engine.perp_units == 0


def test_exit_after_funding_stays_negative_for_the_set_time(
    btc_prints: list[FundingRatePrint],
) -> None:
    """With the hard exit out of reach, the negative run from 2022-11-09 16:00 (-0.033 %,
    -0.119 %, -0.112 %) reaches 16 h at the 2022-11-10 08:00 print."""
    engine = _btc_engine(negative_exit_h=16.0, hard_exit_apr_pct=Decimal(1_000), **FREE)
    _hold_btc(engine, btc_prints)
    acted = _feed(engine, btc_prints, "2022-11-20T00:00:00")
    assert acted[0][0] == at("2022-11-10T08:00:00")
    assert engine.exit_reason == "funding_negative"


def test_one_negative_print_between_positive_ones_does_not_exit(
    btc_prints: list[FundingRatePrint],
) -> None:
    """2022-11-08 08:00 printed -0.0008 %, between positive prints: the position stays."""
    engine = _btc_engine(negative_exit_h=8.0, hard_exit_apr_pct=Decimal(1_000), **FREE)
    _hold_btc(engine, btc_prints)
    assert _feed(engine, btc_prints, "2022-11-08T16:00:00") == []
    assert engine.want_open


def test_entry_aborted_when_the_spot_leg_fails(
    sol_prints: list[FundingRatePrint], sol_marks: Series
) -> None:
    price = float(sol_marks.close[0])
    engine = FundingEngine(sol_params())
    c = ctx(SOL, price)
    for p in _before(sol_prints, FEB20):
        engine.on_event(p, c)
    margin, buy, sell = engine.on_event(PriceSnapshot(FEB20, SOL_MKT, price, price), c)
    assert isinstance(margin, MarginIntent)
    engine.on_margin(MarginOutcome(margin.intent_id, True, margin.amount))
    assert isinstance(buy, OrderIntent) and isinstance(sell, PerpIntent)
    engine.on_fill(spot_fill(buy, ok=False))
    engine.on_perp(perp_fill(sell))
    assert not engine.want_open and engine.stats.entries_aborted == 1
    (close,) = engine.on_event(PriceSnapshot(FEB20 + 300, SOL_MKT, price, price), c)
    assert isinstance(close, PerpIntent) and close.reduce_only and close.size == sell.size
    # no new entry within the cooldown, even after a new print
    engine.on_perp(perp_fill(close))
    later = FundingRatePrint(FEB20 + 3600, SOL_MKT, 0.001, 8 * 3600.0)
    engine.on_event(later, c)
    assert engine.on_event(PriceSnapshot(FEB20 + 3600, SOL_MKT, price, price), c) == []


def test_relever_puts_excess_collateral_back_to_work(
    sol_prints: list[FundingRatePrint], sol_marks: Series
) -> None:
    engine = FundingEngine(sol_params())
    price = float(sol_marks.close[0])
    open_position(engine, _before(sol_prints, FEB20), price)
    hedge_usd = SOL.to_decimal(-engine.perp_units) * Decimal(repr(price))
    c = ctx(SOL, price, cash_usd=0, base_units=engine.spot_units)
    rich = USDT.to_units(hedge_usd)  # collateral = the whole notional, 1x instead of 2x
    assert engine.on_event(_state(engine, FEB20 + 3600, rich, "0.95"), c) == []  # no new print
    new_print = FundingRatePrint(FEB20 + 8 * 3600, SOL_MKT, 0.0005, 8 * 3600.0)
    out, buy, sell = engine.on_event(new_print, c)
    assert isinstance(out, MarginIntent) and out.amount < 0
    assert isinstance(buy, OrderIntent) and buy.amount_in == -out.amount
    assert isinstance(sell, PerpIntent) and sell.side is PerpSide.SELL
    added = USDT.to_decimal(-out.amount)
    assert abs(added - (hedge_usd - hedge_usd / 2) / Decimal("1.5")) < 1
    assert engine.stats.relevers == 1


def test_same_events_same_intents(sol_prints: list[FundingRatePrint], sol_marks: Series) -> None:
    def run() -> list[str]:
        engine = FundingEngine(sol_params())
        return [repr(i) for i in open_position(engine, _before(sol_prints, FEB20), 110.0)]

    assert run() == run()
