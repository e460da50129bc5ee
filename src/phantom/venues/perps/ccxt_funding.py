"""The ccxt adapter's funding reads and order look-ups (split from ``ccxt_adapter`` for size):
the funding table, the account's funding payments, and an order found by its client id.

Each function takes the adapter and goes through its ``_call`` (errors scrubbed of secrets).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from phantom.venues.perps.base import FundingPayment, FundingRow, PerpFill, PerpOrderStatus
from phantom.venues.perps.base import PerpSide as Side
from phantom.venues.perps.ccxt_models import (
    CcxtFundingPayment,
    CcxtFundingRate,
    CcxtOpenInterest,
    CcxtOrder,
    CcxtTicker,
    CcxtTrade,
    HyperliquidAssetCtx,
)

if TYPE_CHECKING:
    from phantom.venues.perps.ccxt_adapter import CcxtPerpVenue


def funding_rows(venue: CcxtPerpVenue, symbols: Sequence[str]) -> list[FundingRow]:
    """The funding table of ``symbols`` (see ``CcxtPerpVenue.funding_table``)."""
    ex = venue.exchange
    wanted = list(symbols)
    raw = venue.call("fetch_funding_rates", lambda: ex.fetch_funding_rates(wanted))
    rates = [CcxtFundingRate.model_validate(raw[s]) for s in wanted if s in raw]
    volumes: dict[str, Decimal | None] = {}
    interests: dict[str, Decimal | None] = {}
    for r in rates:
        ctx = HyperliquidAssetCtx.model_validate(r.info)
        mark = r.mark_price or ctx.mark_px
        volumes[r.symbol] = ctx.day_ntl_vlm
        interests[r.symbol] = (
            ctx.open_interest * mark if ctx.open_interest is not None and mark else None
        )
    missing_vol = [s for s in wanted if volumes.get(s) is None]
    if missing_vol and ex.has.get("fetchTickers"):
        tickers = venue.call("fetch_tickers", lambda: ex.fetch_tickers(missing_vol))
        for s in missing_vol:
            if s in tickers:
                volumes[s] = CcxtTicker.model_validate(tickers[s]).quote_volume
    missing_oi = [s for s in wanted if interests.get(s) is None]
    if missing_oi and ex.has.get("fetchOpenInterests"):
        ois = venue.call("fetch_open_interests", lambda: ex.fetch_open_interests(missing_oi))
        for s in missing_oi:
            if s in ois:
                interests[s] = CcxtOpenInterest.model_validate(ois[s]).open_interest_value
    default_s = venue.config.default_funding_interval_s
    return [
        FundingRow(
            market=r.symbol,
            rate=r.funding_rate,
            interval_s=r.interval_s(default_s),
            mark_price=r.mark_price,
            open_interest_usd=interests.get(r.symbol),
            volume_24h_usd=volumes.get(r.symbol),
            ts=None if r.funding_timestamp is None else r.funding_timestamp / 1000.0,
        )
        for r in rates
        if r.funding_rate is not None
    ]


def funding_payments(
    venue: CcxtPerpVenue, market: str, since: float | None
) -> list[FundingPayment]:
    """``fetch_funding_history``: the account's funding payments in ``market``, oldest first.
    An entry without an id gets ``<market>@<ms>`` (one payment per market and settlement)."""
    ex = venue.exchange
    since_ms = None if since is None else int(since * 1000)
    raw = venue.call(
        "fetch_funding_history", lambda: ex.fetch_funding_history(market, since_ms, None, {})
    )
    out: list[FundingPayment] = []
    for entry in sorted(
        (CcxtFundingPayment.model_validate(e) for e in raw), key=lambda e: e.timestamp
    ):
        if entry.symbol not in (None, market):
            continue
        pid = entry.id or f"{market}@{entry.timestamp}"
        amount = venue.quote_units(entry.amount, toward_zero=True)
        out.append(FundingPayment(pid, market, entry.timestamp / 1000.0, amount))
    return out


def order_fee(venue: CcxtPerpVenue, market: str, order_id: str) -> int | None:
    """The fee an order paid in the quote, summed over its trades (``fetch_my_trades`` with the
    order id: Binance's ``userTrades`` commissions); ``None`` when the venue cannot say."""
    ex = venue.exchange
    if not order_id or not ex.has.get("fetchMyTrades"):
        return None
    try:
        raw = ex.fetch_my_trades(market, None, None, {"orderId": order_id})
        trades = [CcxtTrade.model_validate(t) for t in raw]
    except Exception:  # the fee is a report, never a reason to lose the fill
        return None
    costs = [
        abs(t.fee.cost)
        for t in trades
        if t.order == order_id
        and t.fee is not None
        and t.fee.cost is not None
        and t.fee.currency == venue.config.quote
    ]
    return venue.quote_units(sum(costs, Decimal(0)), up=True) if costs else None


def order_status(venue: CcxtPerpVenue, market: str, client_id: str) -> PerpFill | None:
    """``fetch_order`` by client order id; ``None`` when the venue does not know it."""
    m = venue.market(market)
    wire_id = venue.wire_client_id(client_id)
    ccxt = venue.ccxt

    def fetch() -> Any:
        return venue.exchange.fetch_order(wire_id, market, {"clientOrderId": wire_id})

    try:
        raw = fetch()
    except ccxt.OrderNotFound:
        return None
    except Exception as exc:
        raise venue.error("fetch_order", exc) from None
    o = CcxtOrder.model_validate(raw)
    filled = venue.units(m, o.filled or Decimal(0))
    requested = venue.units(m, o.amount or Decimal(0))
    if o.status in ("rejected", "canceled", "expired") and filled == 0:
        status = PerpOrderStatus.REJECTED
    elif filled > 0 and filled >= requested:
        status = PerpOrderStatus.FILLED
    elif filled > 0:
        status = PerpOrderStatus.PARTIAL
    else:
        status = PerpOrderStatus.OPEN
    fee = 0
    if o.fee is not None and o.fee.cost is not None and o.fee.currency == venue.config.quote:
        fee = venue.quote_units(o.fee.cost, up=True)
    return PerpFill(
        client_id=client_id,
        order_id=o.id or "",
        market=market,
        side=Side.BUY if (o.side or "").lower() == "buy" else Side.SELL,
        status=status,
        requested=requested,
        filled=filled,
        avg_price=o.average or o.price or Decimal(0),
        fee=fee,
        ts=float(venue.exchange.milliseconds()) / 1000.0,
        reason="" if o.fee is not None else "fee not reported by the order query",
    )
