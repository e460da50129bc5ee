"""Noise traders follow a price path; the sandwich bot (own process) sandwiches a router swap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from phantom.devnet.agents import NoiseTraders, load_npz_prices, plan_swap
from phantom.devnet.deploy import FAR_DEADLINE
from phantom.devnet.deployment import write_deployment
from phantom.devnet.v2math import amount_out
from phantom.devnet.world import DevnetWorld

ETH = 10**18
GWEI = 10**9


def _price(devnet: DevnetWorld, dex: str) -> float:
    """USDC per WETH (whole units) on the dex's WETH/USDC pool."""
    pool = devnet.deployment.pool(dex, "WETH/USDC")
    r0, r1 = devnet.reserves(dex, "WETH/USDC")
    weth, usdc = (r0, r1) if pool.symbol0 == "WETH" else (r1, r0)
    return (usdc / 10**6) / (weth / ETH)


def test_plan_swap_moves_towards_target() -> None:
    x, y = 1_000 * ETH, 3_000_000 * 10**6
    down = plan_swap(x, y, (2_700 * 10**6) / ETH, follow=1.0, noise=0.0)
    assert down is not None and down.sell_base
    new_x = x + down.amount_in
    new_y = y - amount_out(down.amount_in, x, y)
    assert abs((new_y / 10**6) / (new_x / ETH) - 2_700) < 30  # within the 0.3% fee
    up = plan_swap(x, y, (3_300 * 10**6) / ETH, follow=0.5, noise=0.0)
    assert up is not None and not up.sell_base
    assert plan_swap(x, y, y / x, follow=1.0, noise=0.0) is None


def test_load_npz_prices(tmp_path: Path) -> None:
    path = tmp_path / "p.npz"
    np.savez(path, ETH_close=np.array([1500.0, 1510.5, 1490.25]))
    assert load_npz_prices(path) == [1500.0, 1510.5, 1490.25]
    with pytest.raises(KeyError):
        load_npz_prices(path, "BTC_close")


def test_noise_traders_follow_the_path_and_open_spreads(devnet: DevnetWorld) -> None:
    prices = [1500.0, 1530.0, 1575.0, 1600.0, 1560.0, 1480.0, 1440.0, 1425.0]
    traders = NoiseTraders(devnet.rpc, devnet.deployment, prices, seed=7)
    spreads = []
    for p in prices:
        traders.step()
        target = 3_000 * p / prices[0]
        assert abs(_price(devnet, "dexA") / target - 1) < 0.02  # the deep DEX follows closely
        spreads.append(abs(_price(devnet, "dexA") / _price(devnet, "dexB") - 1))
    assert traders.done() and traders.run() == 0
    assert max(spreads) > 0.01  # the lagging DEX leaves arbitrage open
    # Seeded: replaying the path from the same state gives the same pool prices.
    end = (_price(devnet, "dexA"), _price(devnet, "dexB"))
    devnet.reset()
    NoiseTraders(devnet.rpc, devnet.deployment, prices, seed=7).run()
    assert (_price(devnet, "dexA"), _price(devnet, "dexB")) == end


def _read_event(proc: subprocess.Popen[str]) -> dict[str, object]:
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=10)
        raise AssertionError(f"sandwich bot exited: {proc.stderr.read()[-3000:]}")
    event = json.loads(line)
    assert isinstance(event, dict)
    return event


def test_sandwich_bot_front_and_back_runs_a_router_swap(
    devnet: DevnetWorld, tmp_path: Path
) -> None:
    dep = devnet.deployment
    path = tmp_path / "deployment.json"
    write_deployment(dep, path)
    bot_addr = dep.account("sandwich").address
    weth_before = devnet.balance_of("WETH", bot_addr)
    devnet.rpc.set_automine(False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "phantom.devnet.sandwich", "--deployment", str(path),
         "--max-sandwiches", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready = _read_event(proc)
        assert ready == {"event": "ready", "address": bot_addr}

        victim = dep.account("user").address
        router = dep.address("dexB.router")
        route = [dep.address("WETH"), dep.address("USDC")]
        size = 20 * ETH
        (quote,) = devnet.call("UniswapV2Router02", router, "getAmountsOut", size, route)
        min_out = quote[1] * 99 // 100  # 1% slippage tolerance
        tx = devnet.rpc.send(
            victim, router,
            devnet.calldata("UniswapV2Router02", "swapExactTokensForTokens", size, min_out,
                            route, victim, FAR_DEADLINE),
            gas=250_000, maxFeePerGas=10 * GWEI, maxPriorityFeePerGas=2 * GWEI,
        )  # fmt: skip
        event = _read_event(proc)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
    assert event["event"] == "sandwich" and event["victim"] == tx
    assert event["expected_profit"] > 0

    devnet.rpc.mine()
    front = devnet.rpc.wait(event["front"])
    victim_rec = devnet.rpc.wait(tx)
    back = devnet.rpc.wait(event["back"])
    order = [int(r["transactionIndex"], 16) for r in (front, victim_rec, back)]
    assert front["blockNumber"] == victim_rec["blockNumber"] == back["blockNumber"]
    assert order == sorted(order)
    got = devnet.balance_of("USDC", victim) - 1_000_000 * 10**6
    assert min_out <= got < quote[1]
    assert got == event["victim_out"]
    assert devnet.balance_of("WETH", bot_addr) - weth_before == event["expected_profit"]
