"""Benchmark: live EVM execution latency on the devnet (anvil on 127.0.0.1, automine).

Each round a trader moves dexB's WETH/USDC pool (alternating direction), and the live loop of
``phantom.app.live_loop`` gets the new pool state as a market event. Timed with
``time.perf_counter`` (one monotonic clock for both threads):

- ``signal_to_sent``: from the pool update handed to the loop to ``eth_sendRawTransaction``
  returning: engine scoring, risk gates, route policy, capital reservation, the ledger's
  write-ahead journal, the hop to the venue thread, ``eth_call`` + ``eth_estimateGas``
  (concurrent), fees, nonce, signing, the transaction journal (write ahead), the broadcast;
- ``send_to_receipt``: from the broadcast to the receipt being read (anvil mines on arrival);
- ``simulation``: one ``eth_call`` of ``PhantomArb.execute`` alone.

``run()`` returns medians and p99s in milliseconds (keys ending ``_ms``) and counts. Signing
uses eth_keys' pure-Python backend unless ``coincurve`` is importable (``coincurve`` = 1).
Targets: signal -> sent median <= 5 ms, p99 <= 10 ms.
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from phantom.app.live_loop import LiveRun
from phantom.app.live_run import live_session
from phantom.app.logging_setup import configure
from phantom.app.settings import load_settings
from phantom.core.events import PoolUpdate
from phantom.devnet.deploy import FAR_DEADLINE
from phantom.devnet.world import DevnetWorld
from phantom.execution.evm_devnet import devnet_venue
from phantom.risk.breaker import KillSwitch
from phantom.venues.evm.abi import encode_call
from phantom.venues.evm.rpc import call_object
from phantom.venues.evm.signer import SecretKey, Signer

ETH = 10**18
ROUNDS = 300
WARMUP = 20
SWAP_GAS = 250_000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _coincurve() -> float:
    try:
        import coincurve  # noqa: F401
    except ImportError:
        return 0.0
    return 1.0


def _move_dex_b(world: DevnetWorld, i: int) -> None:
    dep = world.deployment
    trader = world.account("trader")
    weth, usdc = dep.address("WETH"), dep.address("USDC")
    if i % 2 == 0:
        args: tuple[Any, ...] = (4 * ETH, 0, [weth, usdc], trader, FAR_DEADLINE)
    else:
        args = (12_000 * 10**6, 0, [usdc, weth], trader, FAR_DEADLINE)
    fn = "swapExactTokensForTokens"
    world.transact(trader, "UniswapV2Router02", dep.address("dexB.router"), fn, *args,
                   gas=SWAP_GAS)  # fmt: skip


def run(rounds: int = ROUNDS) -> dict[str, float]:
    with DevnetWorld() as world, tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        configure(state / "logs")  # structured logs to a file, not the console
        logging.getLogger("httpx").setLevel(logging.WARNING)
        settings = load_settings(
            {
                "mode": "live",
                "enable_trading": True,
                "state_dir": str(state / "var"),
                "logs_dir": str(state / "logs"),
                "sandwich_risk_medium_bps": "100000",  # public route only: the send path timed
                "sandwich_risk_high_bps": "100000",
                "max_consecutive_failures": 1000,
            }
        )
        dep = world.deployment
        venue = devnet_venue(dep)
        key = SecretKey.from_hex(dep.account("arbitrageur").private_key.get_secret_value())
        session = live_session(state / "var", "bench", 0)
        live = LiveRun(settings, session, venue, Signer(key), KillSwitch(),
                       rpc_url=dep.rpc_url, ws_url=dep.ws_url, relay_url=None)  # fmt: skip
        live.bridge.start()
        try:
            live._start()
            return _measure(world, live, rounds)
        finally:
            live.bridge.run(live.client.aclose())
            live.bridge.stop()
            live.ledger.close()
            live.journal.close()


def _measure(world: DevnetWorld, live: LiveRun, rounds: int) -> dict[str, float]:
    spec = next(p for p in live.venue.pools if p.pool_id == "dexB:WETH/USDC")
    signal_to_sent: list[float] = []
    to_receipt: list[float] = []
    before_hop: list[float] = []
    sim_and_estimate: list[float] = []
    refused = 0
    for i in range(rounds + WARMUP):
        _move_dex_b(world, i)
        r0, r1 = world.reserves("dexB", "WETH/USDC")
        update = PoolUpdate(time.time(), spec.snapshot(r0, r1))
        known = set(live.client.reports)
        t0 = time.perf_counter()
        live._handle(update, feed=True)
        new = [r for k, r in live.client.reports.items() if k not in known]
        deadline = time.monotonic() + 10
        while live.client.in_flight() and time.monotonic() < deadline:
            live._step(0.01)
        if i < WARMUP or not new:
            continue
        report = new[0]
        if report.t_sent is None or report.t_receipt is None:
            refused += 1
            continue
        signal_to_sent.append((report.t_sent - t0) * 1000)
        to_receipt.append((report.t_receipt - report.t_sent) * 1000)
        before_hop.append((report.t_submit - t0) * 1000)
        if report.t_simulated is not None:
            sim_and_estimate.append((report.t_simulated - report.t_submit) * 1000)
    eth_call = _eth_call_times(world, live)
    return {
        "signal_to_sent_median_ms": statistics.median(signal_to_sent),
        "signal_to_sent_p99_ms": _pct(signal_to_sent, 0.99),
        "engine_gates_journal_median_ms": statistics.median(before_hop),
        "simulate_and_estimate_median_ms": statistics.median(sim_and_estimate),
        "send_to_receipt_median_ms": statistics.median(to_receipt),
        "send_to_receipt_p99_ms": _pct(to_receipt, 0.99),
        "simulation_eth_call_median_ms": statistics.median(eth_call),
        "simulation_eth_call_p99_ms": _pct(eth_call, 0.99),
        "trades_timed": float(len(signal_to_sent)),
        "refused_or_unsent": float(refused),
        "coincurve": _coincurve(),
    }


def _eth_call_times(world: DevnetWorld, live: LiveRun, n: int = 300) -> list[float]:
    dep = world.deployment
    data = encode_call(
        "execute(address,address,address,uint256,uint256)",
        [dep.address("dexB:WETH/USDC"), dep.address("dexA:WETH/USDC"), dep.address("WETH"),
         10**17, 0],
    )  # fmt: skip
    tx = call_object(to=dep.address("PhantomArb"), data=data, sender=live.client.owner)

    async def one() -> float:
        t = time.perf_counter()
        with contextlib.suppress(Exception):  # reverting is fine: the call is what is timed
            await live.client.rpc.call(tx, "pending")
        return (time.perf_counter() - t) * 1000

    return [live.bridge.run(one()) for _ in range(n)]


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:36s} {value:10.3f}")
