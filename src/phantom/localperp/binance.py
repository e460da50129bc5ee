"""The subset of Binance's USD-M futures REST API that ccxt (``binanceusdm``) uses for one
market, answered from a :class:`~phantom.localperp.exchange.LocalPerpExchange`.

Public: ``GET /fapi/v1/ping``, ``time``, ``exchangeInfo``, ``premiumIndex`` (mark, the current
interval's rate, next funding time), ``fundingRate`` (settled history), ``ticker/24hr``,
``openInterest``, ``fundingInfo``. Signed (``auth.verify``): ``GET /fapi/v1/leverageBracket``,
``GET /fapi/v2|v3/account``, ``GET /fapi/v2|v3/positionRisk``, ``POST|GET|DELETE
/fapi/v1/order``, ``GET /fapi/v1/openOrders``, ``GET /fapi/v1/income``, ``GET
/fapi/v1/userTrades``, and the spot-wallet lists ccxt loads with its markets when keys are set
(``/sapi/v1/capital/config/getall``, ``/sapi/v1/margin/allPairs``,
``/sapi/v1/margin/isolated/allPairs``: empty here).

Answers use the venue's field names and decimal strings; refusals are its ``{"code", "msg"}``
errors: ``-1121`` invalid symbol, ``-1102`` missing or malformed parameter, ``-1100`` a
non-numeric quantity, ``-1111`` a quantity off the lot step, ``-1116`` an order type other than
``MARKET``, ``-2019`` margin is insufficient, ``-2022`` reduce-only rejected, ``-4116`` a client
order id used twice, ``-2013`` / ``-2011`` unknown order; authentication errors in ``auth``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from phantom.localperp.auth import ApiError, params_of, verify
from phantom.localperp.binance_account import AccountRoutes, num
from phantom.localperp.exchange import LocalPerpExchange

Json = Any
DAY_MS = 86_400_000


class BinanceFuturesApi:
    """Routes a request to the exchange; returns ``(status, json)``."""

    def __init__(self, exchange: LocalPerpExchange, api_key: str, api_secret: str) -> None:
        self.ex = exchange
        self._key, self._secret = api_key, api_secret
        spec = exchange.spec
        self.public: dict[str, Callable[[dict[str, str]], Json]] = {
            "/fapi/v1/ping": lambda p: {},
            "/fapi/v1/time": lambda p: {"serverTime": exchange.now_ms()},
            "/fapi/v1/exchangeInfo": self._exchange_info,
            "/fapi/v1/premiumIndex": self._premium_index,
            "/fapi/v1/fundingRate": self._funding_rates,
            "/fapi/v1/ticker/24hr": self._ticker,
            "/fapi/v1/openInterest": self._open_interest,
            "/fapi/v1/fundingInfo": lambda p: [{"symbol": spec.symbol,
                                                "fundingIntervalHours": spec.funding_interval_h}],
        }  # fmt: skip
        acct = self.account = AccountRoutes(exchange)
        self.signed: dict[tuple[str, str], Callable[[dict[str, str]], Json]] = {
            ("GET", "/fapi/v1/leverageBracket"): acct.brackets,
            ("GET", "/fapi/v2/account"): acct.account,
            ("GET", "/fapi/v3/account"): acct.account,
            ("GET", "/fapi/v2/positionRisk"): acct.positions,
            ("GET", "/fapi/v3/positionRisk"): acct.positions,
            ("POST", "/fapi/v1/order"): acct.new_order,
            ("GET", "/fapi/v1/order"): acct.query_order,
            ("DELETE", "/fapi/v1/order"): acct.cancel_order,
            ("GET", "/fapi/v1/openOrders"): lambda p: [],
            ("GET", "/fapi/v1/income"): acct.income,
            ("GET", "/fapi/v1/userTrades"): acct.trades,
            ("GET", "/sapi/v1/capital/config/getall"): lambda p: [],
            ("GET", "/sapi/v1/margin/allPairs"): lambda p: [],
            ("GET", "/sapi/v1/margin/isolated/allPairs"): lambda p: [],
        }

    def handle(
        self, method: str, path: str, query: str, body: str, api_key: str | None
    ) -> tuple[int, Json]:
        try:
            if method == "GET" and path in self.public:
                return 200, self.public[path](params_of(query, ""))
            route = self.signed.get((method, path))
            if route is None:
                return 404, {"code": -1000, "msg": f"Unknown endpoint {method} {path}."}
            params = verify(query, body, api_key, api_key=self._key, secret=self._secret,
                            now_ms=self.ex.now_ms())  # fmt: skip
            return 200, route(params)
        except ApiError as err:
            return err.status, err.body()

    # --- helpers -----------------------------------------------------------------------------
    def _units(self, units: int, token_decimals: int) -> str:
        return num(Decimal(units).scaleb(-token_decimals))

    def _symbol(self, params: dict[str, str], required: bool = True) -> str | None:
        return self.account.symbol(params, required)

    def _one_or_all(self, params: dict[str, str], row: Json) -> Json:
        return row if self._symbol(params, required=False) else [row]

    # --- market data -------------------------------------------------------------------------
    def _exchange_info(self, params: dict[str, str]) -> Json:
        s = self.ex.spec
        step, tick = num(s.step), num(s.tick)
        symbol = {
            "symbol": s.symbol, "pair": s.symbol, "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
            "baseAsset": s.base, "quoteAsset": s.quote, "marginAsset": s.quote,
            "pricePrecision": max(0, -s.tick.as_tuple().exponent),  # type: ignore[operator]
            "quantityPrecision": max(0, -s.step.as_tuple().exponent),  # type: ignore[operator]
            "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN",
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000",
                 "tickSize": tick},
                {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "1000000", "stepSize": step},
                {"filterType": "MARKET_LOT_SIZE", "minQty": step, "maxQty": "1000000",
                 "stepSize": step},
                {"filterType": "MIN_NOTIONAL", "notional": "1"},
            ],
            "orderTypes": ["MARKET"], "timeInForce": ["GTC", "IOC"],
        }  # fmt: skip
        return {"timezone": "UTC", "serverTime": self.ex.now_ms(), "rateLimits": [],
                "exchangeFilters": [], "assets": [{"asset": s.quote, "marginAvailable": True}],
                "symbols": [symbol]}  # fmt: skip

    def _premium_index(self, params: dict[str, str]) -> Json:
        ex = self.ex
        with ex.lock:
            mark = ex.venue.mark_price(ex.spec.symbol)
            rate = ex.schedule.peek()
        index = (mark / (1 + ex.basis)).quantize(ex.spec.tick)
        row = {"symbol": ex.spec.symbol, "markPrice": num(mark), "indexPrice": num(index),
               "estimatedSettlePrice": num(index), "lastFundingRate": num(rate),
               "interestRate": "0.0001", "nextFundingTime": ex.next_funding_ms,
               "time": ex.now_ms()}  # fmt: skip
        return self._one_or_all(params, row)

    def _funding_rates(self, params: dict[str, str]) -> Json:
        symbol = self._symbol(params, required=False) or self.ex.spec.symbol
        start, end = params.get("startTime"), params.get("endTime")
        limit = min(1000, int(params.get("limit") or 100))
        with self.ex.lock:
            history = self.ex.venue.funding_history(
                symbol,
                None if start is None else int(start) / 1000.0,
                None if end is None else int(end) / 1000.0,
            )
        rows = history[:limit] if start is not None else history[-limit:]
        return [{"symbol": symbol, "fundingTime": round(p.ts * 1000),
                 "fundingRate": num(p.rate), "markPrice": ""} for p in rows]  # fmt: skip

    def _ticker(self, params: dict[str, str]) -> Json:
        ex = self.ex
        since = ex.now_ms() - DAY_MS
        with ex.lock:
            mark = ex.venue.mark_price(ex.spec.symbol)
            done = [o.fill for o in ex.orders.values() if o.time_ms >= since]
        base = sum(f.filled for f in done)
        quote = sum((Decimal(f.filled).scaleb(-ex.spec.base_decimals) * f.avg_price
                     for f in done), Decimal(0))  # fmt: skip
        row = {"symbol": ex.spec.symbol, "lastPrice": num(mark), "openPrice": num(mark),
               "highPrice": num(mark), "lowPrice": num(mark),
               "volume": self._units(base, ex.spec.base_decimals),
               "quoteVolume": num(quote.quantize(Decimal("0.01"))), "openTime": since,
               "closeTime": ex.now_ms(), "count": len(done)}  # fmt: skip
        return self._one_or_all(params, row)

    def _open_interest(self, params: dict[str, str]) -> Json:
        symbol = self._symbol(params)
        units = abs(self.ex.position())
        return {"symbol": symbol, "openInterest": self._units(units, self.ex.spec.base_decimals),
                "time": self.ex.now_ms()}  # fmt: skip
