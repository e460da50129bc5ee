"""A real perp venue through ccxt (Hyperliquid, Binance USD-M, Bybit, ... by exchange id).

ccxt ships no type information, so it is imported dynamically and everything it returns goes
through the pydantic views of :mod:`phantom.venues.perps.ccxt_models` before it becomes a typed
domain object. Credentials come from :class:`CcxtVenueConfig` (settings); error messages are
scrubbed of every secret value. Blocking I/O: call it from the app layer, never from an engine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Any, TypeVar

from phantom.core.token import Token
from phantom.venues.perps.base import (
    FundingPayment,
    FundingPrint,
    FundingRow,
    NotSupported,
    OrderType,
    PerpAccount,
    PerpFill,
    PerpMarket,
    PerpOrder,
    PerpOrderStatus,
    PerpPosition,
    PerpVenueError,
)
from phantom.venues.perps.ccxt_exchange import DecimalGuard, load_ccxt, make_exchange
from phantom.venues.perps.ccxt_funding import (
    funding_payments,
    funding_rows,
    order_fee,
    order_status,
)
from phantom.venues.perps.ccxt_models import (
    CcxtBalance,
    CcxtFundingHistoryEntry,
    CcxtFundingRate,
    CcxtOrder,
    CcxtPosition,
    CcxtTicker,
    CcxtVenueConfig,
    HyperliquidClearinghouse,
)

T = TypeVar("T")
DEFAULT_BASE_DECIMALS = 9


def _ms(ts: float | None) -> int | None:
    return None if ts is None else int(ts * 1000)


class CcxtPerpVenue:
    """Implements :class:`phantom.venues.perps.base.PerpVenue` over one ccxt exchange."""

    def __init__(self, config: CcxtVenueConfig, exchange: Any | None = None) -> None:
        self.config = config
        self.name = config.exchange_id
        self._ccxt = load_ccxt()
        raw = exchange if exchange is not None else make_exchange(config, self._ccxt)
        self._ex = DecimalGuard(raw)  # ccxt must not change the process's Decimal rounding
        self.quote = Token(config.quote, config.quote_decimals)
        self._markets: dict[str, PerpMarket] | None = None

    def __repr__(self) -> str:
        return f"CcxtPerpVenue({self.config.masked()!r})"

    # --- plumbing ------------------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        for secret in self.config.secrets():
            text = text.replace(secret, "***")
        return text

    def _error(self, what: str, exc: Exception) -> PerpVenueError:
        if isinstance(exc, PerpVenueError):
            return exc
        text = self._scrub(str(exc))
        if isinstance(exc, self._ccxt.NotSupported):
            return NotSupported(f"{self.name}: {what}: {text}")
        return PerpVenueError(f"{self.name}: {what} failed ({type(exc).__name__}): {text}")

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:  # ccxt raises its own hierarchy and plain transport errors
            raise self._error(what, exc) from None

    def _token(self, symbol: str) -> Token:
        return Token(symbol, self.config.base_decimals.get(symbol, DEFAULT_BASE_DECIMALS))

    def _market(self, symbol: str) -> PerpMarket:
        markets = self._load()
        try:
            return markets[symbol]
        except KeyError:
            raise PerpVenueError(f"{self.name}: market {symbol!r} is not configured") from None

    def _load(self) -> dict[str, PerpMarket]:
        if self._markets is not None:
            return self._markets
        raw: dict[str, Any] = self._call("load_markets", lambda: dict(self._ex.load_markets()))
        out: dict[str, PerpMarket] = {}
        for symbol in self.config.markets:
            m = raw.get(symbol)
            if not isinstance(m, dict):
                raise PerpVenueError(f"setting markets: {self.name} has no market {symbol!r}")
            base = self._token(str(m.get("base")))
            units = self._step_units(m, base)
            lev = ((m.get("limits") or {}).get("leverage") or {}).get("max")
            out[symbol] = PerpMarket(
                symbol=symbol,
                base=base,
                quote=self.quote,
                funding_interval_s=self.config.default_funding_interval_s,
                size_step=units,
                max_leverage=None if lev is None else Decimal(str(lev)),
            )
        self._markets = out
        return out

    def _step_units(self, market: dict[str, Any], base: Token) -> int:
        """The amount step in base units (1 when the venue gives none)."""
        raw = (market.get("precision") or {}).get("amount")
        if raw is None:
            return 1
        step = Decimal(str(raw))
        if self._ex.precisionMode == self._ccxt.DECIMAL_PLACES:
            step = Decimal(1).scaleb(-int(step))
        step *= self._contract_size(str(market.get("symbol")))
        return max(1, int(step.scaleb(base.decimals)))

    def _contract_size(self, symbol: str) -> Decimal:
        m = self._ex.markets.get(symbol) if self._ex.markets else None
        size = (m or {}).get("contractSize") or 1
        return Decimal(str(size))

    def _units(self, market: PerpMarket, contracts: Decimal) -> int:
        base_amount = contracts * self._contract_size(market.symbol)
        return int(base_amount.scaleb(market.base.decimals).to_integral_value(rounding=ROUND_FLOOR))

    def _quote_units(self, value: Decimal, up: bool = False, toward_zero: bool = False) -> int:
        rounding = ROUND_CEILING if up else ROUND_DOWN if toward_zero else ROUND_FLOOR
        return int(value.scaleb(self.quote.decimals).to_integral_value(rounding=rounding))

    # --- the helpers ``ccxt_funding`` uses ------------------------------------------------------
    @property
    def exchange(self) -> Any:
        return self._ex

    @property
    def ccxt(self) -> Any:
        return self._ccxt

    def call(self, what: str, fn: Callable[[], T]) -> T:
        return self._call(what, fn)

    def error(self, what: str, exc: Exception) -> PerpVenueError:
        return self._error(what, exc)

    def market(self, symbol: str) -> PerpMarket:
        return self._market(symbol)

    def units(self, market: PerpMarket, contracts: Decimal) -> int:
        return self._units(market, contracts)

    def quote_units(self, value: Decimal, up: bool = False, toward_zero: bool = False) -> int:
        return self._quote_units(value, up, toward_zero)

    def wire_client_id(self, client_id: str) -> str:
        return self._client_id(client_id)

    # --- PerpVenue: market data ---------------------------------------------------------------
    def markets(self) -> Sequence[PerpMarket]:
        return list(self._load().values())

    def funding_table(self, markets: Sequence[str] | None = None) -> list[FundingRow]:
        symbols = list(markets) if markets is not None else list(self.config.markets)
        for s in symbols:
            self._market(s)
        return funding_rows(self, symbols)

    def funding_history(
        self,
        market: str,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[FundingPrint]:
        m = self._market(market)
        params: dict[str, Any] = {} if until is None else {"until": _ms(until)}
        raw = self._call(
            "fetch_funding_rate_history",
            lambda: self._ex.fetch_funding_rate_history(market, _ms(since), limit, params),
        )
        entries = [CcxtFundingHistoryEntry.model_validate(e) for e in raw]
        entries.sort(key=lambda e: e.timestamp)
        return [
            FundingPrint(market, e.timestamp / 1000.0, e.funding_rate, m.funding_interval_s)
            for e in entries
        ]

    def mark_price(self, market: str) -> Decimal:
        self._market(market)
        raw = self._call("fetch_funding_rates", lambda: self._ex.fetch_funding_rates([market]))
        if market in raw:
            rate = CcxtFundingRate.model_validate(raw[market])
            if rate.mark_price is not None:
                return rate.mark_price
        ticker = CcxtTicker.model_validate(
            self._call("fetch_ticker", lambda: self._ex.fetch_ticker(market))
        )
        price = ticker.mark_price or ticker.last
        if price is None:
            raise PerpVenueError(f"{self.name}: no mark price for {market}")
        return price

    # --- PerpVenue: account --------------------------------------------------------------------
    def _raw_positions(self) -> list[CcxtPosition]:
        symbols = list(self.config.markets)
        raw = self._call("fetch_positions", lambda: self._ex.fetch_positions(symbols))
        return [CcxtPosition.model_validate(p) for p in raw]

    def positions(self) -> list[PerpPosition]:
        return [p for p in (self._position(r) for r in self._raw_positions()) if p is not None]

    def _position(self, raw: CcxtPosition) -> PerpPosition | None:
        if raw.symbol not in self.config.markets or not raw.contracts:
            return None
        m = self._market(raw.symbol)
        units = self._units(m, abs(raw.contracts))
        signed = -units if raw.side == "short" else units
        return PerpPosition(
            market=raw.symbol,
            size=signed,
            entry_price=raw.entry_price or Decimal(0),
            mark_price=raw.mark_price,
            unrealized_pnl=self._quote_units(raw.unrealized_pnl or Decimal(0)),
            liquidation_price=raw.liquidation_price,
        )

    def account(self) -> PerpAccount:
        raw_positions = self._raw_positions()
        balance = CcxtBalance.model_validate(
            self._call("fetch_balance", lambda: self._ex.fetch_balance())
        )
        hl = (
            HyperliquidClearinghouse.model_validate(balance.info)
            if isinstance(balance.info, dict)
            else HyperliquidClearinghouse()
        )
        collateral = hl.account_value or balance.total.get(self.config.quote) or Decimal(0)
        mines = [p.maintenance_margin for p in raw_positions if p.contracts]
        if mines and all(x is not None for x in mines):
            maintenance = sum((x for x in mines if x is not None), Decimal(0))
        elif hl.cross_maintenance_margin_used is not None:
            maintenance = hl.cross_maintenance_margin_used
        elif not mines:
            maintenance = Decimal(0)
        else:
            raise PerpVenueError(f"{self.name}: the venue reports no maintenance margin")
        inits = [p.initial_margin for p in raw_positions if p.contracts]
        initial = sum((x for x in inits if x is not None), Decimal(0))
        if hl.total_margin_used is not None:
            initial = hl.total_margin_used
        positions = tuple(p for p in (self._position(r) for r in raw_positions) if p is not None)
        ts_ms = self._ex.milliseconds()
        return PerpAccount(
            quote=self.quote,
            collateral=self._quote_units(collateral),
            maintenance_margin=self._quote_units(maintenance, up=True),
            initial_margin=self._quote_units(initial, up=True),
            positions=positions,
            ts=float(ts_ms) / 1000.0,
        )

    # --- PerpVenue: orders ---------------------------------------------------------------------
    def _needs_price(self) -> bool:
        flag = self.config.market_orders_need_price
        return flag if flag is not None else self.config.exchange_id == "hyperliquid"

    def _client_id(self, client_id: str) -> str:
        if self.config.exchange_id == "hyperliquid":  # a 128-bit hex cloid
            return "0x" + hashlib.blake2b(client_id.encode(), digest_size=16).hexdigest()
        return client_id

    def place_order(self, order: PerpOrder) -> PerpFill:
        m = self._market(order.market)
        amount = Decimal(order.size).scaleb(-m.base.decimals) / self._contract_size(m.symbol)
        price: Decimal | None = order.limit_price
        if order.order_type is OrderType.MARKET and self._needs_price():
            price = self.mark_price(order.market)
        params: dict[str, Any] = {"clientOrderId": self._client_id(order.client_id)}
        if order.reduce_only:
            params["reduceOnly"] = True

        def send() -> Any:
            return self._ex.create_order(
                order.market,
                order.order_type.value,
                order.side.value,
                float(amount),
                None if price is None else float(price),
                params,
            )

        try:
            raw = send()  # sent once: a failure is reported, never retried here
        except (self._ccxt.InsufficientFunds, self._ccxt.InvalidOrder) as exc:
            return self._fill(order, CcxtOrder(), PerpOrderStatus.REJECTED, self._scrub(str(exc)))
        except Exception as exc:
            raise self._error("create_order", exc) from None
        parsed = CcxtOrder.model_validate(raw)
        return self._fill(order, parsed, self._status(parsed, amount), "")

    @staticmethod
    def _status(o: CcxtOrder, amount: Decimal) -> PerpOrderStatus:
        filled = o.filled or Decimal(0)
        if o.status in ("rejected", "canceled", "expired") and filled == 0:
            return PerpOrderStatus.REJECTED
        if filled >= amount:
            return PerpOrderStatus.FILLED
        if filled > 0:
            return PerpOrderStatus.PARTIAL
        return PerpOrderStatus.OPEN

    def _fill(
        self, order: PerpOrder, o: CcxtOrder, status: PerpOrderStatus, reason: str
    ) -> PerpFill:
        m = self._market(order.market)
        fee, reported = 0, o.fee is not None
        if o.fee is not None and o.fee.cost is not None and o.fee.currency == self.config.quote:
            fee = self._quote_units(o.fee.cost, up=True)
        elif o.fee is None and (o.filled or 0) > 0 and o.id:
            traded = order_fee(self, order.market, o.id)  # the order's trades know its fee
            if traded is not None:
                fee, reported = traded, True
        return PerpFill(
            client_id=order.client_id,
            order_id=o.id or "",
            market=order.market,
            side=order.side,
            status=status,
            requested=order.size,
            filled=self._units(m, o.filled or Decimal(0)),
            avg_price=o.average or o.price or Decimal(0),
            fee=fee,
            ts=float(self._ex.milliseconds()) / 1000.0,
            reason=reason or ("" if reported else "fee not reported at placement"),
        )

    def cancel_order(self, market: str, order_id: str) -> bool:
        self._market(market)
        try:
            self._ex.cancel_order(order_id, market)
        except self._ccxt.OrderNotFound:
            return False
        except Exception as exc:
            raise self._error("cancel_order", exc) from None
        return True

    def order_status(self, market: str, client_id: str) -> PerpFill | None:
        """``fetch_order`` by the client order id the order was sent with."""
        return order_status(self, market, client_id)

    def funding_payments(self, market: str, since: float | None = None) -> list[FundingPayment]:
        """``fetch_funding_history``: the account's funding payments (Binance: income of type
        ``FUNDING_FEE``), oldest first."""
        self._market(market)
        return funding_payments(self, market, since)

    def _transfer(self, amount: int, source: str, target: str) -> None:
        if amount <= 0:
            raise ValueError(f"transfer amount must be > 0, got {amount}")
        value = float(self.quote.to_decimal(amount))
        code = self.config.quote
        self._call("transfer", lambda: self._ex.transfer(code, value, source, target))

    def deposit(self, amount: int) -> None:
        self._transfer(amount, self.config.spot_account, self.config.margin_account)

    def withdraw(self, amount: int) -> None:
        self._transfer(amount, self.config.margin_account, self.config.spot_account)
