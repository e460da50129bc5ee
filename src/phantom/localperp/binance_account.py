"""The signed (account) half of the local Binance USD-M API: brackets, account, positions,
income, trades and orders, answered from a :class:`~phantom.localperp.exchange.LocalPerpExchange`
(see :mod:`phantom.localperp.binance` for the whole API and its error codes)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from phantom.localperp.auth import ApiError, mandatory
from phantom.localperp.exchange import LocalPerpExchange, Order
from phantom.venues.perps.base import PerpOrderStatus, PerpSide

Json = Any
ILLEGAL_QUANTITY = (
    "Illegal characters found in parameter 'quantity'; "
    "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."
)


def num(value: Decimal) -> str:
    """A decimal string without exponent, trailing zeros dropped."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0", "") else "0"


class AccountRoutes:
    """The signed endpoints (the router checks the signature first)."""

    def __init__(self, exchange: LocalPerpExchange) -> None:
        self.ex = exchange

    def _units(self, units: int, token_decimals: int) -> str:
        return num(Decimal(units).scaleb(-token_decimals))

    def _quote(self, units: int) -> str:
        return self._units(units, self.ex.spec.quote_decimals)

    def symbol(self, params: dict[str, str], required: bool = True) -> str | None:
        symbol = params.get("symbol")
        if symbol is None or symbol == "":
            if required:
                raise mandatory("symbol")
            return None
        if symbol != self.ex.spec.symbol:
            raise ApiError(400, -1121, "Invalid symbol.")
        return symbol

    def brackets(self, params: dict[str, str]) -> Json:
        p = self.ex.params
        row = {"symbol": self.ex.spec.symbol, "brackets": [{
            "bracket": 1, "initialLeverage": int(1 / p.initial_margin_ratio),
            "notionalCap": 1_000_000_000, "notionalFloor": 0,
            "maintMarginRatio": num(p.maintenance_margin_ratio), "cum": 0}]}  # fmt: skip
        return row if self.symbol(params, required=False) else [row]

    def account(self, params: dict[str, str]) -> Json:
        ex = self.ex
        with ex.lock:
            acct = ex.venue.account()
            cash = ex.venue_cash()
        upnl = acct.collateral - cash
        q = self._quote
        free = max(0, acct.collateral - acct.initial_margin)
        asset = {"asset": ex.spec.quote, "walletBalance": q(cash), "unrealizedProfit": q(upnl),
                 "marginBalance": q(acct.collateral), "maintMargin": q(acct.maintenance_margin),
                 "initialMargin": q(acct.initial_margin),
                 "positionInitialMargin": q(acct.initial_margin), "openOrderInitialMargin": "0",
                 "crossWalletBalance": q(cash), "crossUnPnl": q(upnl),
                 "availableBalance": q(free), "maxWithdrawAmount": q(min(free, max(0, cash))),
                 "updateTime": ex.now_ms()}  # fmt: skip
        return {"totalInitialMargin": q(acct.initial_margin),
                "totalMaintMargin": q(acct.maintenance_margin), "totalWalletBalance": q(cash),
                "totalUnrealizedProfit": q(upnl), "totalMarginBalance": q(acct.collateral),
                "availableBalance": q(free), "maxWithdrawAmount": asset["maxWithdrawAmount"],
                "assets": [asset], "positions": self.positions({})}  # fmt: skip

    def positions(self, params: dict[str, str]) -> Json:
        ex = self.ex
        self.symbol(params, required=False)
        with ex.lock:
            positions = ex.venue.positions()
            cash = ex.venue_cash()
        rows: list[Json] = []
        p = ex.params
        for pos in positions:
            amt = Decimal(pos.size).scaleb(-ex.spec.base_decimals)
            mark = pos.mark_price or Decimal(0)
            notional = amt * mark
            size = abs(amt)
            # one cross position: cash + size * (liq - entry) = |size| * liq * mm
            denom = (
                size * (1 + p.maintenance_margin_ratio)
                if amt < 0
                else size * (1 - p.maintenance_margin_ratio)
            )
            wallet = Decimal(cash).scaleb(-ex.spec.quote_decimals)
            liq = (
                (wallet + amt * pos.entry_price) / denom
                if amt < 0
                else (amt * pos.entry_price - wallet) / denom
            )
            rows.append({
                "symbol": pos.market, "positionSide": "BOTH", "positionAmt": num(amt),
                "entryPrice": num(pos.entry_price.quantize(Decimal("0.00000001"))),
                "breakEvenPrice": num(pos.entry_price.quantize(Decimal("0.00000001"))),
                "markPrice": num(mark), "unRealizedProfit": self._quote(pos.unrealized_pnl),
                "liquidationPrice": num(max(Decimal(0), liq).quantize(ex.spec.tick)),
                "isolatedMargin": "0", "notional": num(notional), "marginAsset": ex.spec.quote,
                "isolatedWallet": "0",
                "initialMargin": num(abs(notional) * p.initial_margin_ratio),
                "maintMargin": num(abs(notional) * p.maintenance_margin_ratio),
                "positionInitialMargin": num(abs(notional) * p.initial_margin_ratio),
                "openOrderInitialMargin": "0", "adl": 0, "bidNotional": "0", "askNotional": "0",
                "updateTime": ex.now_ms(),
            })  # fmt: skip
        return rows

    def income(self, params: dict[str, str]) -> Json:
        self.symbol(params, required=False)
        kind = params.get("incomeType")
        start, end = int(params.get("startTime") or 0), params.get("endTime")
        limit = min(1000, int(params.get("limit") or 100))
        with self.ex.lock:
            rows = [
                i for i in self.ex.income
                if (kind is None or i.kind == kind) and i.ts_ms >= start
                and (end is None or i.ts_ms <= int(end))
            ]  # fmt: skip
        return [{"symbol": self.ex.spec.symbol, "incomeType": i.kind,
                 "income": self._quote(i.amount), "asset": self.ex.spec.quote, "info": i.kind,
                 "time": i.ts_ms, "tranId": i.tran_id, "tradeId": i.trade_id}
                for i in rows[:limit]]  # fmt: skip

    def trades(self, params: dict[str, str]) -> Json:
        """One trade per filled order (market orders fill in one piece here)."""
        self.symbol(params)
        wanted = params.get("orderId")
        s = self.ex.spec
        with self.ex.lock:
            orders = [o for o in self.ex.orders.values() if wanted in (None, str(o.order_id))]
            fees = {i.trade_id: -i.amount for i in self.ex.income if i.kind == "COMMISSION"}
            pnls = {i.trade_id: i.amount for i in self.ex.income if i.kind == "REALIZED_PNL"}
        out: list[Json] = []
        for o in orders:
            f, key = o.fill, str(o.order_id)
            qty = Decimal(f.filled).scaleb(-s.base_decimals)
            out.append({"symbol": s.symbol, "id": o.order_id, "orderId": o.order_id,
                        "side": f.side.value.upper(), "price": num(f.avg_price),
                        "qty": num(qty), "realizedPnl": self._quote(pnls.get(key, 0)),
                        "marginAsset": s.quote, "quoteQty": num(qty * f.avg_price),
                        "commission": self._quote(fees.get(key, 0)),
                        "commissionAsset": s.quote, "time": o.time_ms, "positionSide": "BOTH",
                        "buyer": f.side is PerpSide.BUY, "maker": False})  # fmt: skip
        return out

    # --- orders ------------------------------------------------------------------------------
    def _order_json(self, order: Order, ack: bool = False) -> Json:
        f, s = order.fill, self.ex.spec
        executed = 0 if ack else f.filled
        status = "NEW" if ack else ("FILLED" if f.filled >= f.requested else "EXPIRED")
        cum = Decimal(executed).scaleb(-s.base_decimals) * f.avg_price
        return {"orderId": order.order_id, "symbol": s.symbol, "status": status,
                "clientOrderId": f.client_id, "price": "0", "avgPrice":
                "0" if ack else num(f.avg_price.quantize(Decimal("0.00000001"))),
                "origQty": self._units(f.requested, s.base_decimals),
                "executedQty": self._units(executed, s.base_decimals),
                "cumQty": self._units(executed, s.base_decimals),
                "cumQuote": num(cum.quantize(Decimal("0.00000001"))), "timeInForce": "GTC",
                "type": "MARKET", "reduceOnly": order.reduce_only, "closePosition": False,
                "side": f.side.value.upper(), "positionSide": "BOTH", "stopPrice": "0",
                "workingType": "CONTRACT_PRICE", "priceProtect": False, "origType": "MARKET",
                "time": order.time_ms, "updateTime": order.time_ms}  # fmt: skip

    def new_order(self, params: dict[str, str]) -> Json:
        self.symbol(params)
        side_text = params.get("side", "").upper()
        if side_text not in ("BUY", "SELL"):
            raise mandatory("side")
        if params.get("type", "").upper() != "MARKET":
            raise ApiError(400, -1116, "Invalid orderType.")
        raw = params.get("quantity")
        if not raw:
            raise mandatory("quantity")
        try:
            qty = Decimal(raw)
        except InvalidOperation:
            raise ApiError(400, -1100, ILLEGAL_QUANTITY) from None
        spec = self.ex.spec
        if not qty.is_finite() or qty <= 0 or qty % spec.step != 0:
            raise ApiError(400, -1111, "Precision is over the maximum defined for this asset.")
        client_id = params.get("newClientOrderId") or f"local-{self.ex.now_ms()}"
        if self.ex.find(None, client_id) is not None:
            raise ApiError(400, -4116, "ClientOrderId is duplicated.")
        reduce_only = params.get("reduceOnly", "false").lower() == "true"
        units = int(qty.scaleb(spec.base_decimals))
        order, why = self.ex.place(client_id, PerpSide(side_text.lower()), units, reduce_only)
        if order is None:
            if why == "reduce_only":
                raise ApiError(400, -2022, "ReduceOnly Order is rejected.")
            raise ApiError(400, -2019, "Margin is insufficient.")
        ack = params.get("newOrderRespType", "ACK").upper() == "ACK"
        return self._order_json(order, ack=ack)

    def _find(self, params: dict[str, str]) -> Order:
        self.symbol(params)
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        if not order_id and not client_id:
            raise ApiError(400, -1102, "Either orderId or origClientOrderId must be sent.")
        order = self.ex.find(int(order_id) if order_id and order_id.isdigit() else None,
                             client_id or None)  # fmt: skip
        if order is None:
            raise ApiError(400, -2013, "Order does not exist.")
        return order

    def query_order(self, params: dict[str, str]) -> Json:
        return self._order_json(self._find(params))

    def cancel_order(self, params: dict[str, str]) -> Json:
        order = self._find(params)
        if order.fill.status is not PerpOrderStatus.OPEN:  # market orders fill at once
            raise ApiError(400, -2011, "Unknown order sent.")
        return self._order_json(order)
