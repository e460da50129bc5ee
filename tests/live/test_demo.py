"""``phantom devnet demo``: the four scenarios on a fresh devnet, with assertions on the numbers."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from phantom.app import cli_devnet_demo
from phantom.devnet.demo import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_demo(workdir=tmp_path_factory.mktemp("demo"))


def test_a_profitable_arbitrage_lands_as_predicted(demo: dict[str, Any]) -> None:
    a = demo["arbitrage"]
    assert a["status"] == "filled" and a["tx"].startswith("0x") and a["route"] == "public"
    predicted, simulated, realized = (
        a["predicted_profit_units"],
        a["simulated_profit_units"],
        a["realized_profit_units"],
    )
    assert realized == simulated > 0
    # The engine's prediction repays exactly its input; the contract repays V2's getAmountIn of
    # what it borrowed, which can be a few base units less: never worse than predicted.
    assert 0 <= realized - predicted <= predicted // 10**6
    assert a["gas_used"] > 100_000 and a["gas_cost_wei"] > 0 and Decimal(a["gas_cost_usd"]) > 0
    # Realized == predicted within gas: the net results differ by less than the gas paid.
    gap = abs(Decimal(a["realized_net_usd"]) - Decimal(a["predicted_net_usd"]))
    assert gap <= Decimal(a["gas_cost_usd"])
    assert Decimal(a["realized_net_usd"]) > 0 and a["ledger_ok"]


def test_b_public_swap_is_sandwiched_and_the_victim_loses(demo: dict[str, Any]) -> None:
    b = demo["sandwich_public"]
    assert b["sandwiched"] is True and "sandwich" in b["bot_events"]
    assert b["victim_loss_units"] > 0 and Decimal(b["victim_loss_usd"]) > 0
    assert b["min_out_units"] <= b["received_out_units"] < b["quote_out_units"]
    front, victim, back = b["front_victim_back_indexes"]
    assert front < victim < back


def test_c_the_same_swap_sent_privately_is_not_sandwiched(demo: dict[str, Any]) -> None:
    b, c = demo["sandwich_public"], demo["sandwich_private"]
    assert c["quote_out_units"] == b["quote_out_units"]  # the same state and the same swap
    assert c["sandwiched"] is False and "sandwich" not in c["bot_events"]
    assert c["victim_loss_units"] == 0 and c["received_out_units"] == c["quote_out_units"]


def test_d_unprofitable_arbitrage_is_refused_by_simulation_for_free(demo: dict[str, Any]) -> None:
    d = demo["refused_arbitrage"]
    assert d["status"] == "failed" and d["sent"] is False
    assert d["reason"] == "simulation: PhantomArb: profit below minimum"
    assert d["gas_paid_wei"] == 0 and Decimal(d["cost_usd"]) == 0
    assert d["nonce_unchanged"] is True and d["ledger_ok"]


def test_cli_prints_the_table_and_writes_the_json(
    demo: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("phantom.devnet.demo.run_demo", lambda progress=None: demo)
    app = typer.Typer()
    cli_devnet_demo.register(app)

    @app.callback()
    def _root() -> None:
        """devnet"""

    out = tmp_path / "demo.json"
    result = CliRunner().invoke(app, ["demo", "--summary-json", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for text in ("SANDWICHED", "not sandwiched", "refused by simulation", "victim loss"):
        assert text in result.output
    assert json.loads(out.read_text()) == json.loads(json.dumps(demo))
