"""Typed views (pydantic v2) of the ccxt structures the perp adapter consumes.

ccxt returns plain dicts in its unified shapes (``docs.ccxt.com``: funding rate, funding rate
history, position, order, balance); each model keeps only the fields the adapter reads and
ignores the rest. Numbers come as floats (ccxt's ``safe_number``) or, inside ``info``, as the
venue's raw strings; both convert to ``Decimal`` exactly as written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

INTERVALS_S: dict[str, float] = {"1h": 3600.0, "2h": 7200.0, "4h": 14_400.0, "8h": 28_800.0}


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


class CcxtFundingRate(_View):
    symbol: str
    funding_rate: Decimal | None = Field(default=None, alias="fundingRate")
    mark_price: Decimal | None = Field(default=None, alias="markPrice")
    index_price: Decimal | None = Field(default=None, alias="indexPrice")
    funding_timestamp: int | None = Field(default=None, alias="fundingTimestamp")
    interval: str | None = None
    info: dict[str, Any] = Field(default_factory=dict)

    _num = field_validator("funding_rate", "mark_price", "index_price", mode="before")(_dec)

    def interval_s(self, default: float) -> float:
        return INTERVALS_S.get(self.interval or "", default)


class HyperliquidAssetCtx(_View):
    """The raw per-asset context Hyperliquid's ``metaAndAssetCtxs`` returns (ccxt's ``info``)."""

    name: str | None = None
    open_interest: Decimal | None = Field(default=None, alias="openInterest")  # base units
    day_ntl_vlm: Decimal | None = Field(default=None, alias="dayNtlVlm")  # USD
    mark_px: Decimal | None = Field(default=None, alias="markPx")

    _num = field_validator("open_interest", "day_ntl_vlm", "mark_px", mode="before")(_dec)


class CcxtFundingHistoryEntry(_View):
    symbol: str
    funding_rate: Decimal = Field(alias="fundingRate")
    timestamp: int

    _num = field_validator("funding_rate", mode="before")(_dec)


class CcxtFundingPayment(_View):
    """One entry of ``fetch_funding_history`` (the account's funding payments)."""

    id: str | None = None
    symbol: str | None = None
    amount: Decimal
    timestamp: int

    _num = field_validator("amount", mode="before")(_dec)


class CcxtTicker(_View):
    symbol: str
    quote_volume: Decimal | None = Field(default=None, alias="quoteVolume")
    mark_price: Decimal | None = Field(default=None, alias="markPrice")
    last: Decimal | None = None

    _num = field_validator("quote_volume", "mark_price", "last", mode="before")(_dec)


class CcxtOpenInterest(_View):
    symbol: str
    open_interest_value: Decimal | None = Field(default=None, alias="openInterestValue")

    _num = field_validator("open_interest_value", mode="before")(_dec)


class CcxtPosition(_View):
    symbol: str
    side: str | None = None  # "long" | "short"
    contracts: Decimal | None = None
    contract_size: Decimal | None = Field(default=None, alias="contractSize")
    entry_price: Decimal | None = Field(default=None, alias="entryPrice")
    mark_price: Decimal | None = Field(default=None, alias="markPrice")
    unrealized_pnl: Decimal | None = Field(default=None, alias="unrealizedPnl")
    maintenance_margin: Decimal | None = Field(default=None, alias="maintenanceMargin")
    initial_margin: Decimal | None = Field(default=None, alias="initialMargin")
    liquidation_price: Decimal | None = Field(default=None, alias="liquidationPrice")
    notional: Decimal | None = None

    _num = field_validator(
        "contracts",
        "contract_size",
        "entry_price",
        "mark_price",
        "unrealized_pnl",
        "maintenance_margin",
        "initial_margin",
        "liquidation_price",
        "notional",
        mode="before",
    )(_dec)


class CcxtFee(_View):
    cost: Decimal | None = None
    currency: str | None = None

    _num = field_validator("cost", mode="before")(_dec)


class CcxtOrder(_View):
    id: str | None = None
    client_order_id: str | None = Field(default=None, alias="clientOrderId")
    symbol: str | None = None
    side: str | None = None
    status: str | None = None  # "open" | "closed" | "canceled" | "rejected" | None
    amount: Decimal | None = None
    filled: Decimal | None = None
    average: Decimal | None = None
    price: Decimal | None = None
    fee: CcxtFee | None = None

    _num = field_validator("amount", "filled", "average", "price", mode="before")(_dec)


class CcxtTrade(_View):
    """One of the account's trades (``fetch_my_trades``): the order it filled and its fee."""

    order: str | None = None
    fee: CcxtFee | None = None

    @field_validator("order", mode="before")
    @classmethod
    def _order_id(cls, value: Any) -> Any:
        return None if value is None else str(value)


class CcxtBalance(_View):
    total: dict[str, Decimal | None] = Field(default_factory=dict)
    info: dict[str, Any] | list[Any] = Field(default_factory=dict)

    @field_validator("total", mode="before")
    @classmethod
    def _totals(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): _dec(v) for k, v in value.items()}
        return value


class HyperliquidClearinghouse(_View):
    """The margin summary in Hyperliquid's ``clearinghouseState`` (ccxt balance ``info``)."""

    cross_maintenance_margin_used: Decimal | None = Field(
        default=None, alias="crossMaintenanceMarginUsed"
    )
    margin_summary: dict[str, Any] = Field(default_factory=dict, alias="marginSummary")

    _num = field_validator("cross_maintenance_margin_used", mode="before")(_dec)

    @property
    def account_value(self) -> Decimal | None:
        return _dec(self.margin_summary.get("accountValue"))

    @property
    def total_margin_used(self) -> Decimal | None:
        return _dec(self.margin_summary.get("totalMarginUsed"))


class CcxtVenueConfig(BaseModel):
    """How to reach one venue through ccxt. Secrets are ``SecretStr``: never printed, logged or
    shown; :meth:`masked` is the safe view for the dashboard.

    - ``exchange_id``: a ccxt exchange id (``hyperliquid``, ``binanceusdm``, ``bybit``...).
    - ``markets``: unified perp symbols to trade (``SOL/USDC:USDC``, ``SOL/USDT:USDT``).
    - ``quote`` / ``quote_decimals``: the settlement token and the decimals its amounts use.
    - ``base_decimals``: decimals of each base token's integer units (default 9).
    - ``api_key``, ``secret``, ``password``: CEX credentials; ``wallet_address`` and
      ``private_key``: for wallet-signed venues (Hyperliquid).
    - ``api_url``: replaces the scheme and host of every API URL (tests: a local stub server).
    - ``sandbox``: the venue's testnet; ``timeout_ms``: per request; ``rate_limit``: let ccxt
      pace requests to the venue's published limits (off only against a local stub).
    - ``default_funding_interval_s``: when the venue does not say (Binance: 8 h).
    - ``market_orders_need_price``: send the mark with market orders as the slippage anchor
      (default: only for Hyperliquid, whose market orders are IOC limits).
    - ``builder_fee``: Hyperliquid through ccxt attaches ccxt's builder code; ``False`` (the
      default) approves it at 0 % so no builder fee is charged.
    - ``spot_account`` / ``margin_account``: ccxt account names ``transfer`` moves between.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    exchange_id: str
    markets: tuple[str, ...]
    quote: str = "USDC"
    quote_decimals: int = 6
    base_decimals: dict[str, int] = Field(default_factory=dict)
    api_key: SecretStr | None = None
    secret: SecretStr | None = None
    password: SecretStr | None = None
    wallet_address: str | None = None
    private_key: SecretStr | None = None
    api_url: str | None = None
    sandbox: bool = False
    timeout_ms: int = Field(default=10_000, gt=0)
    rate_limit: bool = True
    default_funding_interval_s: float = Field(default=28_800.0, gt=0)
    market_orders_need_price: bool | None = None
    builder_fee: bool = False
    spot_account: str = "spot"
    margin_account: str = "swap"

    @field_validator("exchange_id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not value or not value.replace("_", "").isalnum():
            raise ValueError(f"exchange_id must be a ccxt id like 'hyperliquid', got {value!r}")
        return value

    @field_validator("markets")
    @classmethod
    def _markets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("markets: configure at least one perp symbol, e.g. 'SOL/USDC:USDC'")
        return value

    def secrets(self) -> list[str]:
        """Every secret value (to scrub from error messages)."""
        out: list[str] = []
        for s in (self.api_key, self.secret, self.password, self.private_key):
            if s is not None and s.get_secret_value():
                out.append(s.get_secret_value())
        return out

    def masked(self) -> dict[str, Any]:
        """The configuration with every secret shown as ``***`` (or ``None`` when unset)."""
        data = self.model_dump()
        for name in ("api_key", "secret", "password", "private_key"):
            data[name] = None if getattr(self, name) is None else "***"
        return data
