"""The ccxt adapter against local stubs that answer with recorded venue payloads (no network)."""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

import pytest
from perp_support import Stub
from pydantic import ValidationError

from phantom.core.token import Token
from phantom.venues.perps import PerpOrder, PerpOrderStatus, PerpSide, PerpVenueError
from phantom.venues.perps.ccxt_adapter import CcxtPerpVenue
from phantom.venues.perps.ccxt_exchange import make_exchange, rehost
from phantom.venues.perps.ccxt_models import CcxtVenueConfig

SOL_HL = "SOL/USDC:USDC"
ETH_HL = "ETH/USDC:USDC"
PRIVATE_KEY = "0x" + "4c" * 32  # a throwaway key: the stub never checks signatures
WALLET = "0x" + "11" * 20


def _hl(stub: Stub) -> CcxtPerpVenue:
    config = CcxtVenueConfig(
        exchange_id="hyperliquid",
        markets=(SOL_HL, ETH_HL),
        quote="USDC",
        base_decimals={"SOL": 9, "ETH": 18},
        wallet_address=WALLET,
        private_key=PRIVATE_KEY,
        api_url=stub.base,
        default_funding_interval_s=3600.0,
        rate_limit=False,
    )
    return CcxtPerpVenue(config)


def _actions(stub: Stub) -> list[dict[str, Any]]:
    return [b["action"] for (_, path, b, _) in stub.requests if path == "/exchange"]


def test_every_request_goes_to_the_stub(hyperliquid_stub: Stub) -> None:
    venue = _hl(hyperliquid_stub)
    venue.funding_table()
    venue.account()
    hosts = {url for url in _urls(venue._ex.urls["api"])}
    assert hosts and all(u.startswith(hyperliquid_stub.base) for u in hosts)
    assert hyperliquid_stub.requests  # the stub answered; nothing else could have
    assert rehost("https://api.hyperliquid.xyz/info?a=1", "http://127.0.0.1:9") == (
        "http://127.0.0.1:9/info?a=1"
    )


def _urls(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [u for v in node.values() for u in _urls(v)]
    return []


def test_markets_from_recorded_meta(hyperliquid_stub: Stub) -> None:
    venue = _hl(hyperliquid_stub)
    sol, eth = venue.markets()
    assert sol.symbol == SOL_HL and sol.base == Token("SOL", 9) and sol.quote.symbol == "USDC"
    assert sol.size_step == 10_000_000  # szDecimals 2: 0.01 SOL
    assert eth.size_step == 10**14  # szDecimals 4: 0.0001 ETH, 18-decimal units
    assert sol.max_leverage == Decimal(50)


def test_funding_table_rate_apr_open_interest_volume(hyperliquid_stub: Stub) -> None:
    rows = {r.market: r for r in _hl(hyperliquid_stub).funding_table()}
    sol = rows[SOL_HL]
    assert sol.rate == Decimal("0.0000198")
    assert sol.interval_s == 3600.0  # ccxt reports Hyperliquid's hourly interval
    assert sol.apr == Decimal("0.0000198") * 24 * 365
    assert sol.mark_price == Decimal("108.04")
    assert sol.open_interest_usd == Decimal("10764.48") * Decimal("108.04")
    assert sol.volume_24h_usd == Decimal("9450588.2273")
    assert rows[ETH_HL].rate == Decimal("0.00004807")


def test_funding_history(hyperliquid_stub: Stub) -> None:
    (p,) = _hl(hyperliquid_stub).funding_history(ETH_HL, since=1_704_200_000.0)
    assert p.rate == Decimal("0.0000125") and p.ts == 1704290400.031
    sent = [
        b
        for (_, path, b, _) in hyperliquid_stub.requests
        if b and b.get("type") == "fundingHistory"
    ]
    assert sent[-1]["coin"] == "ETH" and sent[-1]["startTime"] == 1_704_200_000_000


def test_account_positions_and_health(hyperliquid_stub: Stub) -> None:
    venue = _hl(hyperliquid_stub)
    account = venue.account()
    assert account.collateral == 11_524_216_934  # accountValue, USDC units
    assert account.maintenance_margin == 38_881_800  # crossMaintenanceMarginUsed
    assert account.initial_margin == 194_409_000  # totalMarginUsed
    assert account.health == 1 - Decimal(38_881_800) / Decimal(11_524_216_934)
    sol = account.position(SOL_HL)
    eth = account.position(ETH_HL)
    assert sol is not None and sol.size == -500_000_000  # short 0.5 SOL
    assert sol.entry_price == Decimal("138.76") and sol.unrealized_pnl == 400_000
    assert eth is not None and eth.size == 16 * 10**17
    assert len(venue.positions()) == 2


def test_place_order_sends_reduce_only_market_order(hyperliquid_stub: Stub) -> None:
    venue = _hl(hyperliquid_stub)
    order = PerpOrder(
        "funding-0000007", SOL_HL, PerpSide.SELL, Token("SOL", 9).one, reduce_only=True
    )
    fill = venue.place_order(order)
    assert fill.status is PerpOrderStatus.FILLED
    assert fill.filled == 10**9 and fill.avg_price == Decimal("25.585")  # the recorded fill
    assert fill.order_id == "296683658818"
    orders = [a for a in _actions(hyperliquid_stub) if a["type"] == "order"]
    (wire,) = orders[-1]["orders"]
    assert wire["a"] == 0 and wire["b"] is False and wire["r"] is True and wire["s"] == "1"
    assert wire["c"].startswith("0x") and len(wire["c"]) == 34  # 128-bit client order id
    assert Decimal(wire["p"]) < Decimal("108.04")  # a sell IOC bounded below the mark
    kinds = [a["type"] for a in _actions(hyperliquid_stub)]
    assert "setReferrer" not in kinds  # ccxt's referral code is never sent
    approvals = [a for a in _actions(hyperliquid_stub) if a["type"] == "approveBuilderFee"]
    assert all(a["maxFeeRate"] == "0%" for a in approvals)  # no builder fee charged


def test_ccxt_leaves_the_process_decimal_context_alone(hyperliquid_stub: Stub) -> None:
    """ccxt sets the thread's Decimal rounding to HALF_UP while it formats an order's amount;
    the adapter keeps that inside ccxt, so the ledger's and the fills' rounding never change."""
    before = decimal.getcontext().copy()
    venue = _hl(hyperliquid_stub)
    venue.place_order(PerpOrder("funding-0000008", SOL_HL, PerpSide.SELL, Token("SOL", 9).one))
    after = decimal.getcontext()
    assert after.rounding == before.rounding == decimal.ROUND_HALF_EVEN
    assert after.traps == before.traps and after.prec == before.prec
    assert f"{Decimal('0.36145'):.4f}" == "0.3614"  # half-even, as every fill note rounds


def test_cancel_and_collateral_transfer(hyperliquid_stub: Stub) -> None:
    venue = _hl(hyperliquid_stub)
    assert venue.cancel_order(SOL_HL, "296683658818") is True
    cancels = [a for a in _actions(hyperliquid_stub) if a["type"] == "cancel"]
    assert cancels[-1]["cancels"][0]["o"] == 296683658818
    venue.deposit(25_000_000)
    transfer = [a for a in _actions(hyperliquid_stub) if a["type"] == "usdClassTransfer"][-1]
    assert transfer["toPerp"] is True and transfer["amount"] == "25"


def _binance(stub: Stub, **secrets: str) -> CcxtPerpVenue:
    config = CcxtVenueConfig(
        exchange_id="binanceusdm",
        markets=("SOL/USDT:USDT",),
        quote="USDT",
        api_url=stub.base,
        rate_limit=False,
        **secrets,
    )
    exchange = make_exchange(config)
    exchange.set_markets([_binance_market()])  # a unified market: no exchangeInfo round trip
    return CcxtPerpVenue(config, exchange)


def _binance_market() -> dict[str, Any]:
    return {
        "id": "SOLUSDT",
        "symbol": "SOL/USDT:USDT",
        "base": "SOL",
        "quote": "USDT",
        "settle": "USDT",
        "baseId": "SOL",
        "quoteId": "USDT",
        "settleId": "USDT",
        "type": "swap",
        "spot": False,
        "margin": False,
        "swap": True,
        "future": False,
        "option": False,
        "contract": True,
        "linear": True,
        "inverse": False,
        "contractSize": 1,
        "active": True,
        "precision": {"amount": 1, "price": 0.001},
        "limits": {"amount": {"min": 1}, "leverage": {"max": 50}},
        "info": {},
    }


def test_binance_funding_history_from_real_prints(binance_stub: Stub) -> None:
    venue = _binance(binance_stub)
    prints = venue.funding_history("SOL/USDT:USDT", since=1_709_251_200.0, limit=9)
    assert len(prints) == 9
    assert prints[0].ts == 1_709_251_200.0 and prints[0].rate == Decimal("0.00060436")
    assert all(p.interval_s == 28_800.0 for p in prints)
    assert [p.ts for p in prints] == sorted(p.ts for p in prints)
    _, path, _, _ = binance_stub.requests[-1]
    assert path.startswith("/fapi/v1/fundingRate?symbol=SOLUSDT&startTime=1709251200000")
    assert venue.markets()[0].size_step == 10**9  # amount step 1: whole SOL


def test_secrets_are_masked_and_scrubbed(binance_stub: Stub) -> None:
    venue = _binance(binance_stub, api_key="KEY-abc123-visible", secret="SECRET-xyz789")
    assert "KEY-abc123" not in repr(venue) and "SECRET-xyz" not in repr(venue)
    masked = venue.config.masked()
    assert masked["api_key"] == "***" and masked["secret"] == "***"
    assert "SECRET-xyz" not in str(venue.config)
    binance_stub.fail_with = (500, '{"msg": "bad key KEY-abc123-visible"}')
    with pytest.raises(PerpVenueError) as err:
        venue.funding_history("SOL/USDT:USDT", since=1_709_251_200.0)
    assert "KEY-abc123" not in str(err.value) and "***" in str(err.value)


def test_configuration_errors_name_the_setting() -> None:
    with pytest.raises(ValidationError, match="markets"):
        CcxtVenueConfig(exchange_id="hyperliquid", markets=())
    with pytest.raises(ValidationError, match="exchange_id"):
        CcxtVenueConfig(exchange_id="no such/venue", markets=("X",))
    with pytest.raises(PerpVenueError, match="exchange_id"):
        make_exchange(CcxtVenueConfig(exchange_id="notanexchange", markets=("X",)))


def test_unconfigured_market_is_refused(binance_stub: Stub) -> None:
    venue = _binance(binance_stub)
    with pytest.raises(PerpVenueError, match="not configured"):
        venue.funding_history("BTC/USDT:USDT")
