"""The local perp exchange: ccxt (``binanceusdm``) trades on it through the real adapter, and it
answers bad requests the way Binance USD-M does (signature, key, timestamp, margin, symbol,
malformed or off-step parameters, duplicate client ids, unknown orders)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from phantom.localperp.__main__ import main as localperp_main
from phantom.localperp.__main__ import state_file
from phantom.localperp.exchange import LocalPerpExchange
from phantom.localperp.marks import FixedMark
from phantom.localperp.schedule import FundingSchedule, ScheduleError, load_rates, parse_rates
from phantom.localperp.server import LocalPerpServer
from phantom.venues.perps import PerpOrder, PerpOrderStatus, PerpSide, PerpVenueError
from phantom.venues.perps.ccxt_adapter import CcxtPerpVenue
from phantom.venues.perps.ccxt_models import CcxtVenueConfig

from .funding_support import API_KEY, API_SECRET

MKT = "SOL/USDC:USDC"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "funding" / "ccxt"


@pytest.fixture
def server() -> Iterator[LocalPerpServer]:
    exchange = LocalPerpExchange(
        FixedMark(Decimal("150")), FundingSchedule([Decimal("0.0004"), Decimal("-0.0002")]),
        initial_cash=1_000 * 10**6, funding_interval_s=3600.0,  # settled by hand below
    )  # fmt: skip
    with LocalPerpServer(exchange, API_KEY, API_SECRET) as srv:
        yield srv


def _venue(url: str, secret: str = API_SECRET) -> CcxtPerpVenue:
    config = CcxtVenueConfig(
        exchange_id="binanceusdm",
        markets=(MKT,),
        quote="USDC",
        api_key=API_KEY,
        secret=secret,
        api_url=url,
        rate_limit=False,
    )
    return CcxtPerpVenue(config)


def test_ccxt_trades_funds_and_reconciles_on_the_local_exchange(server: LocalPerpServer) -> None:
    venue, ex = _venue(server.url), server.exchange
    (market,) = venue.markets()
    assert market.symbol == MKT and market.size_step == 10**6  # 0.001 SOL
    (row,) = venue.funding_table()
    assert row.rate == Decimal("0.0004") and row.mark_price == Decimal(150)
    fill = venue.place_order(PerpOrder("t-open-1", MKT, PerpSide.SELL, 2 * 10**9))
    assert fill.status is PerpOrderStatus.FILLED and fill.filled == 2 * 10**9
    assert fill.avg_price == Decimal("149.97")  # the mark less 2 bps of slippage
    assert fill.fee == 149_970  # 5 bps of 299.94 USDC, read from the order's trades
    acct = venue.account()
    assert acct.collateral == ex.venue.equity() and acct.maintenance_margin == 15_000_000
    assert acct.position(MKT) is not None and venue.positions()[0].size == -2 * 10**9
    paid = [ex.settle(), ex.settle()]
    assert paid == [Decimal("0.0004"), Decimal("-0.0002")]
    payments = venue.funding_payments(MKT)
    assert [p.amount for p in payments] == [s.payment for s in ex.venue.settlements]
    assert [p.amount for p in payments] == [120_000, -60_000]  # 300 USD short: +0.12, -0.06
    assert venue.funding_history(MKT)[-1].rate == Decimal("-0.0002")
    found = venue.order_status(MKT, "t-open-1")
    assert found is not None and found.filled == 2 * 10**9 and found.order_id == fill.order_id
    assert venue.order_status(MKT, "never-sent") is None
    assert venue.account().collateral == ex.venue.equity()  # cash: deposit - fee + funding
    assert server.requests["/fapi/v1/order"] >= 2 and server.requests["/fapi/v1/income"] == 1


def test_ccxt_sees_refusals_as_the_real_venue_answers_them(server: LocalPerpServer) -> None:
    venue = _venue(server.url)
    big = venue.place_order(PerpOrder("t-big", MKT, PerpSide.SELL, 100 * 10**9))
    assert big.status is PerpOrderStatus.REJECTED and "-2019" in big.reason  # InsufficientFunds
    flat = venue.place_order(PerpOrder("t-ro", MKT, PerpSide.BUY, 10**9, reduce_only=True))
    assert flat.status is PerpOrderStatus.REJECTED and "-2022" in flat.reason
    with pytest.raises(PerpVenueError) as err:
        _venue(server.url, secret="not-the-secret-0x55").account()
    text = str(err.value)
    assert "AuthenticationError" in text and "-1022" in text
    assert "not-the-secret-0x55" not in text and API_SECRET not in text


def _signed(params: dict[str, Any], secret: str = API_SECRET) -> str:
    query = urlencode(params)
    return (
        query
        + "&signature="
        + hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    )


def _order(**extra: Any) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    base = {"symbol": "SOLUSDC", "side": "SELL", "type": "MARKET", "quantity": "1"}
    return {**base, "newOrderRespType": "RESULT", "timestamp": now_ms, **extra}


def _post(url: str, body: str, key: str | None = API_KEY) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if key is not None:
        headers["X-MBX-APIKEY"] = key
    resp = httpx.post(url + "/fapi/v1/order", content=body, headers=headers)
    return resp.status_code, resp.json()


def test_error_paths_answer_with_binance_codes(server: LocalPerpServer) -> None:
    url = server.url
    cases: list[tuple[str, str | None, int, int]] = [
        (_signed(_order(), secret="wrong-secret"), API_KEY, 400, -1022),  # bad signature
        (_signed(_order()), "someone-elses-key", 401, -2015),
        (_signed(_order()), None, 401, -2014),
        (_signed(_order(timestamp=int(time.time() * 1000) - 60_000)), API_KEY, 400, -1021),
        (_signed(_order(symbol="BTCUSDC")), API_KEY, 400, -1121),
        (_signed(_order(quantity="1e")), API_KEY, 400, -1100),
        (_signed(_order(quantity="0.0005")), API_KEY, 400, -1111),
        (_signed(_order(quantity="5000")), API_KEY, 400, -2019),  # 750k USD on 1k of margin
        (_signed(_order(type="LIMIT", price="150")), API_KEY, 400, -1116),
        (_signed({k: v for k, v in _order().items() if k != "quantity"}), API_KEY, 400, -1102),
        (json.dumps(_order()), API_KEY, 400, -1102),  # a JSON body: no signature parameter
    ]
    for body, key, status, code in cases:
        got_status, got = _post(url, body, key)
        assert (got_status, got["code"]) == (status, code), (body, got)
        assert API_SECRET not in json.dumps(got)
    ok, first = _post(url, _signed(_order(newClientOrderId="dup-1")))
    assert ok == 200 and first["status"] == "FILLED" and first["executedQty"] == "1"
    again_status, again = _post(url, _signed(_order(newClientOrderId="dup-1")))
    assert (again_status, again["code"]) == (400, -4116)  # a client id is used once
    query = _signed(
        {"symbol": "SOLUSDC", "origClientOrderId": "nope", "timestamp": _order()["timestamp"]}
    )
    missing = httpx.get(url + "/fapi/v1/order?" + query, headers={"X-MBX-APIKEY": API_KEY})
    assert (missing.status_code, missing.json()["code"]) == (400, -2013)
    assert httpx.get(url + "/fapi/v1/nothing").json()["code"] == -1000
    assert server.exchange.stats.orders == 1  # only the one good order ever traded


def test_rate_schedules_from_text_and_recorded_prints() -> None:
    assert parse_rates("0.0005*2, -0.001") == [Decimal("0.0005")] * 2 + [Decimal("-0.001")]
    recorded = load_rates(FIXTURE / "binanceusdm_fundingRate_SOLUSDT.json")
    assert recorded[0] == Decimal("0.00060436") and len(recorded) == 9
    one, two = Decimal("0.001"), Decimal("0.002")
    schedule = FundingSchedule([one, two])
    assert [schedule.take() for _ in range(3)] == [one, two, two]  # the last rate repeats
    cycling = FundingSchedule([one, two], cycle=True)
    assert [cycling.take() for _ in range(3)] == [one, two, one]
    schedule.replace([Decimal("-0.003")])
    assert schedule.peek() == Decimal("-0.003")
    for bad in ("", "abc", "0.0005*x", "0.2"):
        with pytest.raises(ScheduleError):
            parse_rates(bad)


def test_runs_standalone_and_writes_its_state_file(tmp_path: Path) -> None:
    assert (
        localperp_main(["--api-key", "k", "--mark", "150", "--api-secret-env", "NO_SUCH_ENV_X"])
        == 2
    )
    env = {**os.environ, "PHANTOM_LOCALPERP_SECRET": API_SECRET}
    args = ["--api-key", API_KEY, "--mark", "151.5", "--state-dir", str(tmp_path)]
    cmd = [sys.executable, "-m", "phantom.localperp", *args, "--funding-interval", "0.2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        path = state_file(tmp_path)
        deadline = time.monotonic() + 20
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        info = json.loads(path.read_text())
        assert info["exchange_id"] == "binanceusdm" and info["market"] == MKT
        assert API_SECRET not in path.read_text() and API_KEY not in path.read_text()
        venue = _venue(info["url"])
        assert venue.mark_price(MKT) == Decimal("151.5")
        time.sleep(0.5)
        assert len(venue.funding_history(MKT)) >= 2  # it settles on its own clock
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and not state_file(tmp_path).exists()
    assert API_SECRET.encode() not in out + err
