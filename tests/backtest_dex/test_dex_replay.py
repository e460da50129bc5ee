"""The arbitrage engine on a recorded two-hour slice of the Uniswap V3 USDC/WETH day."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from phantom.backtest.dex_config import GAS_ETH, DexReplayConfig, PriceSource
from phantom.backtest.dex_replay import run_dex_replay
from phantom.core.orders import Route

FIXTURE = Path(__file__).parent.parent / "fixtures" / "uniswap_v3_20240105_replay"
BACKRUN = DexReplayConfig(
    latency_min_ms=0.0, latency_max_ms=0.0, failure_rate_pct=0.0, mev_risk_rate_pct=0.0
)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], Path]:
    out = tmp_path_factory.mktemp("dex")
    return run_dex_replay(FIXTURE, out, seed=1, compare=True, echo=False), out


def test_reports_opportunities_found_sized_gated_and_executed(
    default_run: tuple[dict[str, object], Path],
) -> None:
    summary, out = default_run
    assert json.loads((out / "summary.json").read_text()) == summary
    real = summary["modes"]["realistic"]  # type: ignore[index]
    opp = real["opportunities"]
    assert opp["opportunities_found"] > 0
    assert opp["intents"] + opp["unprofitable_after_gas"] <= opp["opportunities_found"]
    gated = sum(real["gated"].values())
    assert real["sent"] + gated == opp["intents"]
    assert sum(real["executed"].values()) == real["sent"]
    # next-block landing on this slice: every gap was closed by the time the cycle arrived
    assert real["failures"] == {"slippage": real["sent"]}
    gas = Decimal(real["gas_spent_eth"])
    assert gas == real["sent"] * Decimal(250_000 * 21) / 10**9  # 20 gwei base + 1 tip
    assert Decimal(real["pnl_usd"]) < 0
    naive = summary["modes"]["naive"]  # type: ignore[index]
    assert Decimal(naive["pnl_usd"]) > Decimal(real["pnl_usd"])
    assert naive["costs_total_usd"] == "0.000000"


def test_fills_csv_lists_every_intent(default_run: tuple[dict[str, object], Path]) -> None:
    summary, out = default_run
    with (out / "fills.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    modes = summary["modes"]  # type: ignore[index]
    for mode in ("realistic", "naive"):
        mine = [r for r in rows if r["mode"] == mode]
        assert len(mine) == modes[mode]["opportunities"]["intents"]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    run_dex_replay(FIXTURE, tmp_path / "a", seed=3, echo=False)
    run_dex_replay(FIXTURE, tmp_path / "b", seed=3, echo=False)
    for name in ("summary.json", "fills.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_perfect_backrun_gets_exactly_the_expected_profit(tmp_path: Path) -> None:
    summary = run_dex_replay(FIXTURE, tmp_path, seed=1, config=BACKRUN, echo=False)
    real = summary["modes"]["realistic"]
    assert real["executed"].get("filled", 0) > 0
    assert real["failures"] == {}
    assert real["pnl_usd"] == real["expected_profit_usd_of_sent"]
    assert Decimal(real["pnl_usd"]) > 0


def test_private_route_and_binance_prices(tmp_path: Path) -> None:
    cfg = DexReplayConfig(
        route=Route.PRIVATE,
        private_tip_gwei=Decimal(1_000_000),
        price_source=PriceSource.BINANCE,
        binance_path=FIXTURE / "ETH_USDT-5m.feather",
    )
    summary = run_dex_replay(FIXTURE, tmp_path, seed=1, config=cfg, echo=False)
    real = summary["modes"]["realistic"]
    assert real["sent_by_route"] == {"private": real["sent"]}
    assert real["sandwiched"] == 0
    assert real["opportunities"]["opportunities_found"] > 0


def test_gas_schedule_maps_onto_the_fee_schedule() -> None:
    cfg = DexReplayConfig(gas_units=200_000, base_fee_gwei=Decimal("15.5"))
    schedule = cfg.fee_schedule()
    assert schedule.base_fee_lamports(1) == 3_100_000  # gwei
    assert schedule.priority_fee_lamports() == 200_000
    assert GAS_ETH.to_units(Decimal("0.0031")) == 3_100_000


def test_params_are_checked() -> None:
    cfg = DexReplayConfig.from_params({"gas_units": "180000", "route": "private"})
    assert (cfg.gas_units, cfg.route) == (180_000, Route.PRIVATE)
    with pytest.raises(ValueError, match="unknown parameter\\(s\\) gas"):
        DexReplayConfig.from_params({"gas": "1"})
    with pytest.raises(ValueError, match="parameter base_fee_gwei: bad value 'x'"):
        DexReplayConfig.from_params({"base_fee_gwei": "x"})
    with pytest.raises(ValueError, match="binance_path"):
        DexReplayConfig(price_source=PriceSource.BINANCE)
    with pytest.raises(ValueError, match="slippage_bps"):
        DexReplayConfig(slippage_bps=20_000)
