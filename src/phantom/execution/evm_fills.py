"""Fills of live EVM transactions, built from receipts only.

- Balance deltas come from the receipt: the owner's ERC-20 ``Transfer`` logs, and the native
  token's ``-gas_used x effective_gas_price``. A quote or a simulation never enters a fill.
- Network costs: ``gas`` = ``gas_used x base_fee`` of the block (burnt), ``priority_fee`` =
  ``gas_used x (effective_gas_price - base_fee)`` (the builder's tip); ``tip`` stays 0 (the
  devnet relay charges nothing).
- For a landed arbitrage, ``fee`` is the LP fee of both legs (0.3 % of each leg's input) and
  ``slippage`` the value lost against the mid prices of the pools just before the transaction
  (reconstructed from its own ``Sync``/``Swap`` logs): ``ideal - out - fee``, as in paper fills.
  ``mev`` is 0: the cycle is atomic, and anything a competitor took shows up as a smaller edge.
- A reverted transaction, or a cancellation that replaced it, is a FAILED fill that still pays
  its gas. A transaction that was never sent (simulation refused, fee cap, broadcast refused)
  is a FAILED fill costing nothing and booking no delta.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from phantom.amm.constant_product import fee_amount
from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import OrderIntent, Route
from phantom.core.token import Token
from phantom.execution.evm_arb import (
    V2_FEE_PPM,
    ArbEvent,
    decode_arbitrage,
    owner_token_deltas,
    pre_trade_reserves,
)
from phantom.execution.evm_types import TxReport, TxResult
from phantom.execution.fill_builder import USD_QUANTUM, fill_id_for
from phantom.market.state import MarketView
from phantom.venues.evm.models import Receipt

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ReceiptContext:
    """What turning a receipt into a fill needs besides the intent."""

    owner: str
    arb_contract: str
    tokens: Mapping[str, Token]  # lower-case address -> token
    native: Token
    market: MarketView  # reference USD prices at booking time
    base_fee_wei: int  # of the receipt's block


def _usd(token: Token, units: int, market: MarketView) -> Decimal:
    price = Decimal(repr(market.price_usd(token)))
    return (token.to_decimal(units) * price).quantize(USD_QUANTUM)


def network_costs(receipt: Receipt, base_fee_wei: int, ctx: ReceiptContext) -> CostBreakdown:
    base = min(base_fee_wei, receipt.effective_gas_price)
    tip = receipt.effective_gas_price - base
    return CostBreakdown(
        gas=_usd(ctx.native, receipt.gas_used * base, ctx.market),
        priority_fee=_usd(ctx.native, receipt.gas_used * tip, ctx.market),
    )


def _gas_note(receipt: Receipt, base_fee_wei: int) -> str:
    return (
        f"tx {receipt.transaction_hash} block {receipt.block_number} gas_used {receipt.gas_used}"
        f" effective_gas_price {receipt.effective_gas_price} base_fee {base_fee_wei}"
        f" fee_wei {receipt.fee_wei}"
    )


def refused_fill(
    intent: OrderIntent, reason: str, sent_at: float, arrived_at: float, notes: Sequence[str] = ()
) -> Fill:
    """Nothing reached the chain: FAILED, no delta, every cost 0."""
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
        deltas=(),
        costs=CostBreakdown(),
        pnl_usd=ZERO,
        fill_fraction=ZERO,
        failure_reason=reason,
        notes=(*notes, f"refused before sending: {reason}", "network: nothing paid"),
    )


def failed_fill(
    intent: OrderIntent,
    receipt: Receipt,
    ctx: ReceiptContext,
    reason: str,
    sent_at: float,
    arrived_at: float,
    route: Route,
    notes: Sequence[str] = (),
) -> Fill:
    """A transaction that landed without doing the trade (reverted, or a cancellation)."""
    costs = network_costs(receipt, ctx.base_fee_wei, ctx)
    deltas: list[BalanceDelta] = [
        BalanceDelta(t, a) for t, a in owner_token_deltas(receipt, ctx.owner, ctx.tokens).items()
    ]
    deltas.append(BalanceDelta(ctx.native, -receipt.fee_wei))
    return Fill(
        fill_id=fill_id_for(intent.intent_id),
        intent_id=intent.intent_id,
        engine=intent.engine,
        status=FillStatus.FAILED,
        route=route,
        sent_at=sent_at,
        arrived_at=arrived_at,
        amount_in=0,
        amount_out=0,
        deltas=tuple(d for d in deltas if d.amount != 0),
        costs=costs,
        pnl_usd=-costs.network,
        fill_fraction=ZERO,
        failure_reason=reason,
        notes=(*notes, f"failed: {reason}", _gas_note(receipt, ctx.base_fee_wei)),
    )


def _ideal_out(event: ArbEvent, pre: Mapping[str, tuple[int, int]], ctx: ReceiptContext) -> int:
    """``repaid`` carried through both pools at their pre-trade mid prices (no fee, no impact),
    in the profit token's base units; falls back to the realized output if a pool is missing."""
    borrow, sell = pre.get(event.pair_borrow), pre.get(event.pair_sell)
    if borrow is None or sell is None:
        return event.repaid + event.profit
    # token0 of a V2 pair is the lower address
    profit_is_0 = int(event.token_profit, 16) < int(event.token_borrow, 16)
    b_profit, b_borrow = borrow if profit_is_0 else (borrow[1], borrow[0])
    s_profit, s_borrow = sell if profit_is_0 else (sell[1], sell[0])
    if min(b_profit, b_borrow, s_profit, s_borrow) <= 0:
        return event.repaid + event.profit
    return event.repaid * b_borrow * s_profit // (b_profit * s_borrow)


def arb_fill(
    intent: OrderIntent,
    receipt: Receipt,
    ctx: ReceiptContext,
    sent_at: float,
    arrived_at: float,
    route: Route,
    notes: Sequence[str] = (),
) -> Fill:
    """A landed ``PhantomArb.execute``: FILLED, deltas from the Transfer logs and gas paid."""
    event = decode_arbitrage(receipt, ctx.arb_contract)
    token_deltas = owner_token_deltas(receipt, ctx.owner, ctx.tokens)
    base = intent.token_in
    realized = token_deltas.get(base, 0)
    costs_net = network_costs(receipt, ctx.base_fee_wei, ctx)
    extra: list[str] = []
    if event is None:
        amount_in, amount_out, curve = 0, realized, CostBreakdown()
        extra.append("no Arbitrage event in the receipt; amounts from Transfer logs only")
    else:
        amount_in, amount_out = event.repaid, event.repaid + event.profit
        if event.profit != realized:
            extra.append(f"event profit {event.profit} != owner Transfer delta {realized}")
        borrow_token = ctx.tokens.get(event.token_borrow, intent.legs[0].token_out)
        lp_fee = _usd(base, fee_amount(event.repaid, V2_FEE_PPM), ctx.market) + _usd(
            borrow_token, fee_amount(event.amount_borrow, V2_FEE_PPM), ctx.market
        )
        ideal = _usd(base, _ideal_out(event, pre_trade_reserves(receipt), ctx), ctx.market)
        value_out = _usd(base, amount_out, ctx.market)
        curve = CostBreakdown(fee=lp_fee, slippage=ideal - value_out - lp_fee)
        extra.append(f"edge_usd={ideal - _usd(base, amount_in, ctx.market)}")
    deltas = [BalanceDelta(t, a) for t, a in token_deltas.items()]
    deltas.append(BalanceDelta(ctx.native, -receipt.fee_wei))
    gain_usd = sum((_usd(t, a, ctx.market) for t, a in token_deltas.items()), ZERO)
    return Fill(
        fill_id=fill_id_for(intent.intent_id),
        intent_id=intent.intent_id,
        engine=intent.engine,
        status=FillStatus.FILLED,
        route=route,
        sent_at=sent_at,
        arrived_at=arrived_at,
        amount_in=amount_in,
        amount_out=amount_out,
        deltas=tuple(d for d in deltas if d.amount != 0),
        costs=curve + costs_net,
        pnl_usd=gain_usd - costs_net.network,
        fill_fraction=Decimal(1),
        notes=(
            *notes,
            f"realized_profit={realized} {base.symbol} base units (Transfer logs)",
            *extra,
            _gas_note(receipt, ctx.base_fee_wei),
        ),
    )


def fill_from_result(result: TxResult, ctx: ReceiptContext, report: TxReport | None) -> Fill:
    """The fill of a finished execution; ``report`` (if any) gets the receipt's figures."""
    intent, receipt = result.intent, result.receipt
    if receipt is None:
        if report is not None:
            report.outcome = "refused"
        arrived = result.arrived_at or result.sent_at
        return refused_fill(intent, result.reason, result.sent_at, arrived, result.notes)
    args = (intent, receipt, ctx)
    if result.kind == "landed":
        fill = arb_fill(*args, result.sent_at, result.arrived_at, intent.route, result.notes)
    else:
        fill = failed_fill(
            *args, result.reason, result.sent_at, result.arrived_at, intent.route, result.notes
        )
    if report is not None:
        report.outcome = result.kind
        report.tx_hash = receipt.transaction_hash
        report.gas_used = receipt.gas_used
        report.effective_gas_price = receipt.effective_gas_price
        report.base_fee_wei = result.base_fee_wei
        report.block_number = receipt.block_number
        report.realized_profit = sum(d.amount for d in fill.deltas if d.token == intent.token_in)
    return fill
