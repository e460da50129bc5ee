"""Building :class:`Fill` values: balance deltas, the USD cost breakdown and PnL.

USD figures are quantized to ``USD_QUANTUM`` before they are combined, so the breakdown adds up
exactly. Slippage is the price impact at arrival: the value of the executed input carried
through the legs at the pools' mid prices as they are when the order arrives (no fee, no
impact), minus what was received, minus LP fees and MEV. Price drift between signal and arrival
therefore shows up as a smaller edge, not as slippage. The identity is
``pnl_usd == edge_usd - costs.total`` where ``edge_usd`` (in the fill's notes) is that mid-price
value minus the input's value: the mispricing captured.

Speed: fills are built once per order in backtests of millions of bars, so the frozen value
types are made by the positional constructors of :mod:`phantom.core.construct` (slots set
directly: what their generated ``__init__`` does, without the keyword handling and the frozen
``__setattr__`` detour; compiled, native constructors), and
float prices become decimals through a memo (:func:`usd_price`). The model itself
(:mod:`phantom.execution.realism`) builds on these helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from phantom.core.construct import fast_constructor
from phantom.core.costs import CostBreakdown
from phantom.core.fees import NetworkFees
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import OrderIntent, Route
from phantom.core.pool import Pool
from phantom.core.token import Token
from phantom.execution.params import RealismParams
from phantom.market.state import MarketView

USD_QUANTUM = Decimal("1e-12")
_ZERO_USD = Decimal(0).quantize(USD_QUANTUM)  # Decimal("0E-12")
_ZERO = Decimal(0)
MEMO_MAX = 4096  # entries per memo before it is cleared (bounded memory)


_PRICES: dict[float, Decimal] = {}


def usd_price(price: float | int) -> Decimal:
    """``Decimal(str(price))``: the exact decimal of the price's shortest repr, memoised for
    positive Python floats (``0.0`` and ``-0.0`` are equal keys with different decimals, ints
    and ``1.0`` too, so those are never memoised). Typed ``float | int`` so that a compiled
    build (``bench/compiled.py``) keeps an int an int instead of converting it to a float."""
    found = _PRICES.get(price) if type(price) is float else None
    if found is None:
        found = Decimal(str(price))
        if type(price) is float and price > 0.0:
            if len(_PRICES) >= MEMO_MAX:
                _PRICES.clear()
            _PRICES[price] = found
    return found


_ONES: dict[int, Decimal] = {}


def one_decimal(token: Token) -> Decimal:
    """``Decimal(token.one)``: base units in one whole token (exact)."""
    found = _ONES.get(token.decimals)
    if found is None:
        found = _ONES[token.decimals] = Decimal(token.one)
    return found


@dataclass(frozen=True, slots=True)
class MevDraw:
    """What the "mev" stream drew for one intent: whether a bot saw it and the penalty (percent)
    it would take if reserves are unknown. Both are drawn for every intent."""

    seen: bool
    penalty_pct: float


@dataclass(frozen=True, slots=True)
class PathResult:
    """One execution of an intent's legs (before the slippage bound is checked)."""

    amount_in: int
    amount_out: int
    clean_out: int  # the final output had no MEV bot acted
    mid_out: Decimal  # the input at pre-trade mid prices along the legs, output units
    lp_fee_usd: Decimal
    sandwiched: bool
    attacker_profit_usd: Decimal  # 0 unless an exact sandwich was run
    pools_after: tuple[Pool, ...]
    notes: tuple[str, ...]

    @property
    def mev_units(self) -> int:
        """The victim's loss to MEV, in units of the final output token."""
        return max(0, self.clean_out - self.amount_out)


# Native constructors (see fast_constructor): compiled, they write the slots directly.
def _native_path(
    amount_in: int,
    amount_out: int,
    clean_out: int,
    mid_out: Decimal,
    lp_fee_usd: Decimal,
    sandwiched: bool,
    attacker_profit_usd: Decimal,
    pools_after: tuple[Pool, ...],
    notes: tuple[str, ...],
) -> PathResult:
    o = PathResult.__new__(PathResult)
    o.amount_in = amount_in  # type: ignore[misc]
    o.amount_out = amount_out  # type: ignore[misc]
    o.clean_out = clean_out  # type: ignore[misc]
    o.mid_out = mid_out  # type: ignore[misc]
    o.lp_fee_usd = lp_fee_usd  # type: ignore[misc]
    o.sandwiched = sandwiched  # type: ignore[misc]
    o.attacker_profit_usd = attacker_profit_usd  # type: ignore[misc]
    o.pools_after = pools_after  # type: ignore[misc]
    o.notes = notes  # type: ignore[misc]
    return o


def _native_mev_draw(seen: bool, penalty_pct: float) -> MevDraw:
    o = MevDraw.__new__(MevDraw)
    o.seen = seen  # type: ignore[misc]
    o.penalty_pct = penalty_pct  # type: ignore[misc]
    return o


def _native_fill(
    fill_id: str,
    intent_id: str,
    engine: str,
    status: FillStatus,
    route: Route,
    sent_at: float,
    arrived_at: float,
    amount_in: int,
    amount_out: int,
    deltas: tuple[BalanceDelta, ...],
    costs: CostBreakdown,
    pnl_usd: Decimal,
    fill_fraction: Decimal,
    sandwiched: bool,
    failure_reason: str,
    notes: tuple[str, ...],
) -> Fill:
    o = Fill.__new__(Fill)
    o.fill_id = fill_id  # type: ignore[misc]
    o.intent_id = intent_id  # type: ignore[misc]
    o.engine = engine  # type: ignore[misc]
    o.status = status  # type: ignore[misc]
    o.route = route  # type: ignore[misc]
    o.sent_at = sent_at  # type: ignore[misc]
    o.arrived_at = arrived_at  # type: ignore[misc]
    o.amount_in = amount_in  # type: ignore[misc]
    o.amount_out = amount_out  # type: ignore[misc]
    o.deltas = deltas  # type: ignore[misc]
    o.costs = costs  # type: ignore[misc]
    o.pnl_usd = pnl_usd  # type: ignore[misc]
    o.fill_fraction = fill_fraction  # type: ignore[misc]
    o.sandwiched = sandwiched  # type: ignore[misc]
    o.failure_reason = failure_reason  # type: ignore[misc]
    o.notes = notes  # type: ignore[misc]
    return o


def _native_costs(
    fee: Decimal,
    slippage: Decimal,
    mev: Decimal,
    gas: Decimal,
    priority_fee: Decimal,
    tip: Decimal,
) -> CostBreakdown:
    o = CostBreakdown.__new__(CostBreakdown)
    o.fee = fee  # type: ignore[misc]
    o.slippage = slippage  # type: ignore[misc]
    o.mev = mev  # type: ignore[misc]
    o.gas = gas  # type: ignore[misc]
    o.priority_fee = priority_fee  # type: ignore[misc]
    o.tip = tip  # type: ignore[misc]
    return o


def _native_delta(token: Token, amount: int) -> BalanceDelta:
    o = BalanceDelta.__new__(BalanceDelta)
    o.token = token  # type: ignore[misc]
    o.amount = amount  # type: ignore[misc]
    return o


new_path: Callable[
    [int, int, int, Decimal, Decimal, bool, Decimal, tuple[Pool, ...], tuple[str, ...]], PathResult
] = fast_constructor(PathResult, _native_path)
new_mev_draw: Callable[[bool, float], MevDraw] = fast_constructor(MevDraw, _native_mev_draw)
# (fill_id, intent_id, engine, status, route, sent_at, arrived_at, amount_in, amount_out, deltas,
#  costs, pnl_usd, fill_fraction, sandwiched, failure_reason, notes)
new_fill: Callable[
    [
        str,
        str,
        str,
        FillStatus,
        Route,
        float,
        float,
        int,
        int,
        tuple[BalanceDelta, ...],
        CostBreakdown,
        Decimal,
        Decimal,
        bool,
        str,
        tuple[str, ...],
    ],
    Fill,
] = fast_constructor(Fill, _native_fill)
# (fee, slippage, mev, gas, priority_fee, tip)
new_costs: Callable[[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal], CostBreakdown] = (
    fast_constructor(CostBreakdown, _native_costs)
)
new_delta: Callable[[Token, int], BalanceDelta] = fast_constructor(BalanceDelta, _native_delta)


def fill_id_for(intent_id: str) -> str:
    """Deterministic: a replay of the same intent yields the same fill id, never a second fill."""
    return f"{intent_id}:fill"


def usd(token: Token, units: int, market: MarketView) -> Decimal:
    return (Decimal(units).scaleb(-token.decimals) * usd_price(market.price_usd(token))).quantize(
        USD_QUANTUM
    )


def net_deltas(changes: Iterable[tuple[Token, int]]) -> tuple[BalanceDelta, ...]:
    """One delta per token (first-seen order), zero deltas dropped."""
    tokens: list[Token] = []
    totals: list[int] = []
    for token, amount in changes:
        for k, seen in enumerate(tokens):
            if seen is token or seen == token:
                totals[k] += amount
                break
        else:
            tokens.append(token)
            totals.append(amount)
    out = []
    for token, total in zip(tokens, totals, strict=True):
        if total != 0:
            out.append(new_delta(token, total))
    return tuple(out)


_FEE_UNITS: dict[tuple[int, int, int, int], tuple[Decimal, Decimal, Decimal]] = {}


def _network_costs(
    fees: NetworkFees, params: RealismParams, market: MarketView
) -> tuple[Decimal, Decimal, Decimal]:
    """Base fee, priority fee and tip in USD at the native token's price."""
    native = params.native
    key = (fees.base, fees.priority, fees.tip, native.decimals)
    whole = _FEE_UNITS.get(key)
    if whole is None:  # each fee in whole native tokens (exact: a shift of the exponent)
        scale = -native.decimals
        whole = (
            Decimal(fees.base).scaleb(scale),
            Decimal(fees.priority).scaleb(scale),
            Decimal(fees.tip).scaleb(scale),
        )
        if len(_FEE_UNITS) < 1024:
            _FEE_UNITS[key] = whole
    price = usd_price(market.price_usd(native))
    return (
        (whole[0] * price).quantize(USD_QUANTUM),
        (whole[1] * price).quantize(USD_QUANTUM),
        (whole[2] * price).quantize(USD_QUANTUM),
    )


def _net3(t1: Token, a1: int, t2: Token, a2: int, t3: Token, a3: int) -> tuple[BalanceDelta, ...]:
    """``net_deltas`` of exactly three changes (a landed swap: in, out, network fee). Tokens
    are compared by identity, then by symbol before the full (slower) equality."""
    if t2 is t1 or (t2.symbol == t1.symbol and t2 == t1):
        a1 += a2
        if t3 is t1 or (t3.symbol == t1.symbol and t3 == t1):
            return (new_delta(t1, a1 + a3),) if a1 + a3 != 0 else ()
        return tuple([new_delta(t, a) for t, a in ((t1, a1), (t3, a3)) if a != 0])
    if t3 is t1 or (t3.symbol == t1.symbol and t3 == t1):
        a1 += a3
    elif t3 is t2 or (t3.symbol == t2.symbol and t3 == t2):
        a2 += a3
    else:
        return tuple([new_delta(t, a) for t, a in ((t1, a1), (t2, a2), (t3, a3)) if a != 0])
    if a1 == 0:
        return (new_delta(t2, a2),) if a2 != 0 else ()
    return (new_delta(t1, a1), new_delta(t2, a2)) if a2 != 0 else (new_delta(t1, a1),)


def failed_fill(
    intent: OrderIntent,
    params: RealismParams,
    market: MarketView,
    sent_at: float,
    arrived_at: float,
    fees: NetworkFees,
    reason: str,
    notes: Sequence[str],
) -> Fill:
    """A transaction that was dropped or reverted: no swap, network fees only."""
    gas, priority, tip = _network_costs(fees, params, market)
    costs = new_costs(_ZERO, _ZERO, _ZERO, gas, priority, tip)
    return new_fill(
        fill_id_for(intent.intent_id),
        intent.intent_id,
        intent.engine,
        FillStatus.FAILED,
        intent.route,
        sent_at,
        arrived_at,
        0,
        0,
        net_deltas([(params.native, -fees.total)]),
        costs,
        -(gas + priority + tip),
        _ZERO,
        False,
        reason,
        (*notes, f"failed: {reason}", fees_note(fees)),
    )


@dataclass(frozen=True, slots=True)
class VenueFee:
    """A venue's taker fee (``RealismParams.venue_fee_pct``) in the form the fill builder uses:
    parts per million of the output, and the note's prefix."""

    ppm: int
    note: str

    @classmethod
    def of(cls, params: RealismParams) -> VenueFee | None:
        pct = params.venue_fee_pct
        ppm = int(pct * 10_000)
        return cls(ppm, f"venue fee: {pct} % of the output, ") if ppm else None


def landed_fill(
    intent: OrderIntent,
    params: RealismParams,
    market: MarketView,
    sent_at: float,
    arrived_at: float,
    status: FillStatus,
    path: PathResult,
    fraction: Decimal,
    fees: NetworkFees,
    notes: Sequence[str],
    venue_fee: VenueFee | None = None,
) -> Fill:
    """A swap that landed (fully or partially). A venue fee, if any, is taken off what the swap
    returned: ``amount_out``, the output's delta and ``pnl_usd`` lose it, cost kind ``fee``
    gains it, so ``pnl_usd == edge_usd - costs.total`` still holds."""
    legs = intent.legs
    token_in, token_out = legs[0].token_in, legs[-1].token_out
    price_in = usd_price(market.price_usd(token_in))
    price_out = usd_price(market.price_usd(token_out))
    out_scale = -token_out.decimals
    amount_in, amount_out = path.amount_in, path.amount_out
    value_in = (Decimal(amount_in).scaleb(-token_in.decimals) * price_in).quantize(USD_QUANTUM)
    value_out = (Decimal(amount_out).scaleb(out_scale) * price_out).quantize(USD_QUANTUM)
    lp_fee = path.lp_fee_usd.quantize(USD_QUANTUM)
    mev_units = max(0, path.clean_out - amount_out)  # PathResult.mev_units
    if mev_units == 0 and price_out > 0:  # the usual case: what the expression below gives
        mev = _ZERO_USD
    else:
        mev = (Decimal(mev_units).scaleb(out_scale) * price_out).quantize(USD_QUANTUM)
    gas, priority, tip = _network_costs(fees, params, market)
    ideal = (path.mid_out.scaleb(out_scale) * price_out).quantize(USD_QUANTUM)
    slippage = ideal - value_out - lp_fee - mev
    pnl = value_out - value_in - (gas + priority + tip)
    all_notes = (*notes, f"edge_usd={ideal - value_in}", fees_note(fees))
    if venue_fee is not None:
        fee_units = -(-amount_out * venue_fee.ppm // 1_000_000)
        fee_usd = (Decimal(fee_units).scaleb(out_scale) * price_out).quantize(USD_QUANTUM)
        amount_out -= fee_units
        costs = new_costs(lp_fee + fee_usd, slippage, mev, gas, priority, tip)
        pnl -= fee_usd
        all_notes = (*all_notes, f"{venue_fee.note}{fee_units} units")
    else:
        costs = new_costs(lp_fee, slippage, mev, gas, priority, tip)
    intent_id = intent.intent_id
    return new_fill(
        fill_id_for(intent_id),
        intent_id,
        intent.engine,
        status,
        intent.route,
        sent_at,
        arrived_at,
        amount_in,
        amount_out,
        _net3(token_in, -amount_in, token_out, amount_out, params.native, -fees.total),
        costs,
        pnl,
        fraction,
        path.sandwiched,
        "",
        all_notes,
    )


_FEE_NOTES: dict[tuple[int, int, int], str] = {}


def fees_note(fees: NetworkFees) -> str:
    key = (fees.base, fees.priority, fees.tip)
    note = _FEE_NOTES.get(key)
    if note is None:
        note = (
            f"network: base {fees.base} + priority {fees.priority} + tip {fees.tip} "
            f"= {fees.total} lamports"
        )
        if len(_FEE_NOTES) < 1024:
            _FEE_NOTES[key] = note
    return note
