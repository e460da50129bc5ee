"""Benchmark: live Solana execution latency on the local world (LiteSVM + JSON-RPC + Jupiter- and
Jito-compatible servers on 127.0.0.1, a block every 50 ms), the world in its own process.

Each round the world process moves one pool of the triangle (USDC-JUP, JUP-BONK, BONK-USDC;
alternating pool and direction, 150 bps), the live loop of ``phantom.app.live_solana_loop``
reads the pools and gets the moved pool's new state as a market event. Timed with
``time.perf_counter`` (one monotonic clock for both threads of the live process):

- ``signal_to_sent``: from the pool update handed to the loop to ``sendBundle`` returning:
  engine scoring, risk gates, capital reservation, the ledger's write-ahead journal (fsync), the
  hop to the venue thread, three ``/quote`` (leg by leg: each leg's input is the previous
  output), three ``/swap`` (concurrent), checks and three signatures, three
  ``simulateTransaction`` (concurrent), the signature journal (write ahead, fsync), the delivery;
- ``signal_to_signed``: the same up to the three signatures; ``engine_gates_ledger_journal``:
  up to the hand-over to the venue thread; ``signed_to_journaled``: simulations + journal;
- ``sent_to_confirmed``: from the delivery to every leg at ``confirmed`` and the outcome read
  (the next block includes the bundle, one more confirms it: about two 50 ms blocks);
- ``quote`` / ``simulate``: one ``/quote`` and one ``simulateTransaction`` alone.

The world's HTTP servers run with ``TCP_NODELAY`` here (as a real node does): their default
write pattern (headers, then body) meets the client's delayed ACK and costs ~40 ms per request
(a quote takes 44 ms instead of 1.2 ms). ``run()`` returns medians and p99s in milliseconds
(keys ending ``_ms``) and counts.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from solders.pubkey import Pubkey

from phantom.app.live_run import live_session
from phantom.app.live_solana_config import SolanaLiveOptions
from phantom.app.live_solana_loop import SolanaLiveRun
from phantom.app.live_solana_world import (
    FUNDING,
    FUNDING_LAMPORTS,
    WorldInfo,
    describe,
    world_config,
)
from phantom.app.logging_setup import configure
from phantom.app.settings import load_settings
from phantom.core.events import PoolUpdate
from phantom.localsolana.faults import Faults
from phantom.localsolana.http import _Handler
from phantom.localsolana.world import LocalSolanaWorld
from phantom.risk.breaker import KillSwitch
from phantom.venues.solana.jupiter_models import QuoteRequest
from phantom.venues.solana.keystore import SolanaSigner

ROUNDS = 150
WARMUP = 10
BLOCK_S = 0.05
MOVE_BPS = 150


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _world_process(conn: Connection, block_s: float) -> None:
    """The local world in its own process (its servers do not share the benchmark's GIL).
    Commands: a public key to fund (answers the world description), ``(pool, side, bps)`` to
    move a pool (answers ``True``), ``None`` to stop."""
    # a real RPC node answers without Nagle's delay; the local server's default write pattern
    # (headers, then body) meets the client's delayed ACK: ~40 ms per request otherwise
    _Handler.disable_nagle_algorithm = True
    with LocalSolanaWorld(world_config(block_s), Faults()) as world:
        owner = Pubkey.from_string(conn.recv())
        world.fund(owner, FUNDING_LAMPORTS, dict(FUNDING))
        conn.send(describe(world, "bench").model_dump_json())
        while (command := conn.recv()) is not None:
            index, side, bps = command
            pool = world.pools[index]
            world.move_pool(pool, pool.mint_a if side == 0 else pool.mint_b, bps)
            conn.send(True)


def run(rounds: int = ROUNDS) -> dict[str, float]:
    parent, child = multiprocessing.get_context("fork").Pipe()
    proc = multiprocessing.get_context("fork").Process(
        target=_world_process, args=(child, BLOCK_S), daemon=True
    )
    proc.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return _run(parent, Path(tmp), rounds)
    finally:
        parent.send(None)
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()


def _run(world: Connection, state: Path, rounds: int) -> dict[str, float]:
    configure(state / "logs")  # structured logs to a file, not the console
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = load_settings(
        {
            "mode": "live",
            "enable_trading": True,
            "chain": "solana-local",
            "state_dir": str(state / "var"),
            "logs_dir": str(state / "logs"),
            "max_consecutive_failures": 1000,
            "max_slippage_bps": 500,
        }
    )
    options = SolanaLiveOptions(
        rebroadcast_interval_s=1.0, poll_interval_s=0.005, block_interval_s=BLOCK_S
    )
    signer = SolanaSigner.generate()
    world.send(str(signer.pubkey))
    info = WorldInfo.model_validate_json(world.recv())
    session = live_session(state / "var", "bench", 0)
    live = SolanaLiveRun(settings, options, session, info.venue(), signer, KillSwitch())
    live.bridge.start()
    try:
        live.start()
        return _measure(world, info, live, rounds)
    finally:
        live.close()


def _measure(
    world: Connection, info: WorldInfo, live: SolanaLiveRun, rounds: int
) -> dict[str, float]:
    to_sent: list[float] = []
    to_signed: list[float] = []
    to_confirmed: list[float] = []
    to_submit: list[float] = []
    journal: list[float] = []
    unsent = 0
    engine = live.engine
    assert engine is not None
    pools = 3  # the arbitrage triangle: the world's first three pools (its LST pools make none)
    for i in range(rounds + WARMUP):
        index, side = i % pools, (i // pools) % 2
        world.send((index, side, MOVE_BPS))
        world.recv()
        snapshots = live.bridge.run(live.source.read_pools())
        moved = next(s for s in snapshots if s.pool_id == info.pools[index].pool_id)
        for snap in snapshots:  # the other pools' states, as the engine would have seen them
            if snap is not moved:
                live.market.set_pool(snap)
                engine.index.update(snap)
        known = set(live.client.reports)
        t0 = time.perf_counter()
        live._handle(PoolUpdate(time.time(), moved), feed=True)
        new = [r for k, r in live.client.reports.items() if k not in known]
        deadline = time.monotonic() + 10
        while live.client.in_flight() and time.monotonic() < deadline:
            live.step(0.005)
        if i < WARMUP or not new:
            continue
        report = new[0]
        if report.t_sent is None or report.t_settled is None or report.t_signed is None:
            unsent += 1
            continue
        to_sent.append((report.t_sent - t0) * 1000)
        to_signed.append((report.t_signed - t0) * 1000)
        to_confirmed.append((report.t_settled - report.t_sent) * 1000)
        to_submit.append((report.t_submit - t0) * 1000)
        if report.t_journaled is not None:
            journal.append((report.t_journaled - report.t_signed) * 1000)
    quote, simulate = _component_times(info, live)
    return {
        "signal_to_sent_median_ms": statistics.median(to_sent),
        "signal_to_sent_p99_ms": _pct(to_sent, 0.99),
        "signal_to_signed_median_ms": statistics.median(to_signed),
        "engine_gates_ledger_journal_median_ms": statistics.median(to_submit),
        "signed_to_journaled_median_ms": statistics.median(journal),
        "sent_to_confirmed_median_ms": statistics.median(to_confirmed),
        "sent_to_confirmed_p99_ms": _pct(to_confirmed, 0.99),
        "quote_median_ms": statistics.median(quote),
        "simulate_median_ms": statistics.median(simulate),
        "trades_timed": float(len(to_sent)),
        "refused_or_unsent": float(unsent),
    }


def _component_times(
    info: WorldInfo, live: SolanaLiveRun, n: int = 200
) -> tuple[list[float], list[float]]:
    usdc, jup = info.tokens["USDC"].mint, info.tokens["JUP"].mint
    request = QuoteRequest(input_mint=usdc, output_mint=jup, amount=10**9, slippage_bps=100)
    client = live.client

    async def one_quote() -> float:
        t = time.perf_counter()
        await client.jupiter.quote(request)
        return (time.perf_counter() - t) * 1000

    raw = next(r.raw for r in live.journal.all())  # a signed leg (simulated as it is now)

    async def one_simulation() -> float:
        t = time.perf_counter()
        await client.rpc.simulate_transaction(raw, sig_verify=True)
        return (time.perf_counter() - t) * 1000

    async def both() -> tuple[list[float], list[float]]:
        quotes = [await one_quote() for _ in range(n)]
        sims = [await one_simulation() for _ in range(n)]
        return quotes, sims

    return live.bridge.run(asyncio.wait_for(both(), 120))


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:36s} {value:10.3f}")
