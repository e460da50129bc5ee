"""Building :class:`Fill` values: balance deltas, the USD cost breakdown and PnL.

USD figures are quantized to ``USD_QUANTUM`` before they are combined, so the breakdown adds up
exactly. Slippage is the price impact at arrival: the value of the executed input carried
through the legs at the pools' mid prices as they are when the order arrives (no fee, no
impact), minus what was received, minus LP fees and MEV. Price drift between signal and arrival
therefore shows up as a smaller edge, not as slippage. The identity is
``pnl_usd == edge_usd - costs.total`` where ``edge_usd`` (in the fill's notes) is that mid-price
value minus the input's value: the mispricing captured.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.fees import NetworkFees
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.execution.params import RealismParams
from phantom.execution.realism import PathResult, to_usd
from phantom.market.state import MarketView

USD_QUANTUM = Decimal("1e-12")


def fill_id_for(intent_id: str) -> str:
    """Deterministic: a replay of the same intent yields the same fill id, never a second fill."""
    return f"{intent_id}:fill"


def usd(token: Token, units: int, market: MarketView) -> Decimal:
    return to_usd(token, units, market).quantize(USD_QUANTUM)


def net_deltas(changes: Iterable[tuple[Token, int]]) -> tuple[BalanceDelta, ...]:
    """One delta per token (first-seen order), zero deltas dropped."""
    totals: dict[Token, int] = {}
    for token, amount in changes:
        totals[token] = totals.get(token, 0) + amount
    return tuple(BalanceDelta(t, a) for t, a in totals.items() if a != 0)


def _network_costs(
    fees: NetworkFees, params: RealismParams, market: MarketView
) -> tuple[Decimal, Decimal, Decimal]:
    native = params.native
    return (
        usd(native, fees.base, market),
        usd(native, fees.priority, market),
        usd(native, fees.tip, market),
    )


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
    costs = CostBreakdown(gas=gas, priority_fee=priority, tip=tip)
    return Fill(
        fill_id=fill_id_for(intent.intent_id),
        intent_id=intent.intent_id,
        engine=intent.engine,
        status=FillStatus.FAILED,
        route=intent.route,
        sent_at=sent_at,
        arrived_at=arrived_at,
        amount_in=0,
        amount_out=0,
        deltas=net_deltas([(params.native, -fees.total)]),
        costs=costs,
        pnl_usd=-costs.network,
        fill_fraction=Decimal(0),
        sandwiched=False,
        failure_reason=reason,
        notes=(*notes, f"failed: {reason}", _fees_note(fees)),
    )


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
) -> Fill:
    """A swap that landed (fully or partially)."""
    token_in, token_out = intent.token_in, intent.token_out
    value_in = usd(token_in, path.amount_in, market)
    value_out = usd(token_out, path.amount_out, market)
    lp_fee = path.lp_fee_usd.quantize(USD_QUANTUM)
    mev = usd(token_out, path.mev_units, market)
    gas, priority, tip = _network_costs(fees, params, market)
    ideal = (
        path.mid_out.scaleb(-token_out.decimals) * Decimal(str(market.price_usd(token_out)))
    ).quantize(USD_QUANTUM)
    costs = CostBreakdown(
        fee=lp_fee,
        slippage=ideal - value_out - lp_fee - mev,
        mev=mev,
        gas=gas,
        priority_fee=priority,
        tip=tip,
    )
    deltas = net_deltas(
        [
            (token_in, -path.amount_in),
            (token_out, path.amount_out),
            (params.native, -fees.total),
        ]
    )
    return Fill(
        fill_id=fill_id_for(intent.intent_id),
        intent_id=intent.intent_id,
        engine=intent.engine,
        status=status,
        route=intent.route,
        sent_at=sent_at,
        arrived_at=arrived_at,
        amount_in=path.amount_in,
        amount_out=path.amount_out,
        deltas=deltas,
        costs=costs,
        pnl_usd=value_out - value_in - costs.network,
        fill_fraction=fraction,
        sandwiched=path.sandwiched,
        notes=(*notes, f"edge_usd={ideal - value_in}", _fees_note(fees)),
    )


def _fees_note(fees: NetworkFees) -> str:
    return (
        f"network: base {fees.base} + priority {fees.priority} + tip {fees.tip} "
        f"= {fees.total} lamports"
    )
