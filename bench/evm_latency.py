"""Benchmark: live EVM execution latency on the devnet (anvil on 127.0.0.1).

Each round a trader moves dexB's WETH/USDC pool (alternating direction), and the live loop of
``phantom.app.live_loop`` gets the new pool state as a market event. Timed with
``time.perf_counter`` (one monotonic clock for both threads):

- ``signal_to_sent``: from the pool update handed to the loop to ``eth_sendRawTransaction``
  returning: engine scoring, risk gates, route policy, capital reservation, the hop to the venue
  thread, ``eth_call`` + the pending-nonce read (concurrent; the ledger's write-ahead commit of
  the intent runs meanwhile on the loop's thread and must finish before signing), fees, nonce,
  signing, the transaction journal (write ahead: committed before the broadcast), the broadcast;
- its stages: ``engine_gates_route`` (up to the hand-off to the venue thread),
  ``simulate_and_estimate`` (hand-off to the simulation's answer), ``simulated_to_signed``
  (waiting for the ledger commit if still running, fees, nonce, signature, journal fsync) and
  ``signed_to_sent`` (the broadcast);
- ``send_to_receipt``: from the broadcast to the receipt being read;
- ``simulation``: one ``eth_call`` of ``PhantomArb.execute`` alone.

Two passes on one devnet. The first (the keys without a suffix, the ones the targets apply to)
runs anvil with automine: anvil executes and seals the block *before* it answers
``eth_sendRawTransaction``, so that answer carries the block's execution (~0.8 ms for this
transaction), which a real node's ``eth_sendRawTransaction`` does not (it answers once the
transaction is in its pool). The second pass (keys ending ``_mined_apart``) turns automine off
and has the bench ask for the block (``evm_mine``) as its own task once the send returned, so
``signal_to_sent_mined_apart`` ends when the node has accepted the transaction and
``send_to_receipt_mined_apart`` includes that block request.

``run()`` returns medians and p99s in milliseconds (keys ending ``_ms``) and counts. Signing
uses the signer's direct libsecp256k1 path when ``coincurve`` is importable (``coincurve`` = 1),
eth_account with eth_keys' pure-Python backend otherwise.
Targets: signal -> sent median <= 5 ms, p99 <= 10 ms.
"""

from __future__ import annotations

import asyncio
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


def _move_dex_b(world: DevnetWorld, i: int, automine: bool = True) -> None:
    dep = world.deployment
    trader = world.account("trader")
    weth, usdc = dep.address("WETH"), dep.address("USDC")
    if i % 2 == 0:
        args: tuple[Any, ...] = (4 * ETH, 0, [weth, usdc], trader, FAR_DEADLINE)
    else:
        args = (12_000 * 10**6, 0, [usdc, weth], trader, FAR_DEADLINE)
    fn = "swapExactTokensForTokens"
    router = dep.address("dexB.router")
    if automine:
        world.transact(trader, "UniswapV2Router02", router, fn, *args, gas=SWAP_GAS)
        return
    tx_hash = world.rpc.send(trader, router, world.calldata("UniswapV2Router02", fn, *args),
                             gas=SWAP_GAS)  # fmt: skip
    world.rpc.mine()
    world.rpc.wait(tx_hash)


def _mine_after_send(live: LiveRun) -> None:
    """Automine off: ask for a block as soon as each broadcast returned, as its own task on the
    venue loop (after ``t_sent`` was stamped), standing in for the chain's block production."""
    stamp = live.client.txm.on_sent
    tasks: set[asyncio.Task[Any]] = set()

    def on_sent(tx_hash: str, nonce: int, raw: bytes) -> None:
        if stamp is not None:
            stamp(tx_hash, nonce, raw)
        task = asyncio.get_running_loop().create_task(live.client.rpc.request("evm_mine"))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    live.client.txm.on_sent = on_sent


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
            results = _measure(world, live, rounds, automine=True)
            world.rpc.set_automine(False)
            _mine_after_send(live)
            apart = _measure(world, live, rounds, automine=False)
            world.rpc.set_automine(True)
            for name in _APART_KEYS:
                stem, stat = name.rsplit("_", 2)[0], "_".join(name.rsplit("_", 2)[1:])
                results[f"{stem}_mined_apart_{stat}"] = apart[name]
            results.update(_eth_call_times(world, live))
            results["coincurve"] = _coincurve()
            return results
        finally:
            live.bridge.run(live.client.aclose())
            live.bridge.stop()
            live.ledger.close()
            live.journal.close()


_APART_KEYS = (
    "signal_to_sent_median_ms",
    "signal_to_sent_p99_ms",
    "signed_to_sent_median_ms",
    "send_to_receipt_median_ms",
    "send_to_receipt_p99_ms",
)


def _measure(world: DevnetWorld, live: LiveRun, rounds: int, automine: bool) -> dict[str, float]:
    spec = next(p for p in live.venue.pools if p.pool_id == "dexB:WETH/USDC")
    timed: dict[str, list[float]] = {
        k: [] for k in ("to_sent", "to_receipt", "before_hop", "simulate", "to_signed", "send")
    }
    refused = 0
    for i in range(rounds + WARMUP):
        _move_dex_b(world, i, automine)
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
        timed["to_sent"].append((report.t_sent - t0) * 1000)
        timed["to_receipt"].append((report.t_receipt - report.t_sent) * 1000)
        timed["before_hop"].append((report.t_submit - t0) * 1000)
        if report.t_simulated is not None:
            timed["simulate"].append((report.t_simulated - report.t_submit) * 1000)
            if report.t_signed is not None:
                timed["to_signed"].append((report.t_signed - report.t_simulated) * 1000)
        if report.t_signed is not None:
            timed["send"].append((report.t_sent - report.t_signed) * 1000)
    return {
        "signal_to_sent_median_ms": statistics.median(timed["to_sent"]),
        "signal_to_sent_p99_ms": _pct(timed["to_sent"], 0.99),
        "engine_gates_route_median_ms": statistics.median(timed["before_hop"]),
        "simulate_and_estimate_median_ms": statistics.median(timed["simulate"]),
        "simulated_to_signed_median_ms": statistics.median(timed["to_signed"]),
        "signed_to_sent_median_ms": statistics.median(timed["send"]),
        "send_to_receipt_median_ms": statistics.median(timed["to_receipt"]),
        "send_to_receipt_p99_ms": _pct(timed["to_receipt"], 0.99),
        "trades_timed": float(len(timed["to_sent"])),
        "refused_or_unsent": float(refused),
    }


def _eth_call_times(world: DevnetWorld, live: LiveRun, n: int = 300) -> dict[str, float]:
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

    times = [live.bridge.run(one()) for _ in range(n)]
    return {
        "simulation_eth_call_median_ms": statistics.median(times),
        "simulation_eth_call_p99_ms": _pct(times, 0.99),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:40s} {value:10.3f}")
