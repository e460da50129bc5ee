"""The bar engines live on a running local world, driven step by step: bars from the pools read
once per block, the same ``on_bars`` path as paper, every order a Jito bundle that lands on
chain and is booked from its balances.

- lst: at the peg nothing happens; after a forced de-peg of both LSTs each engine buys its LST
  with WSOL; jitoSOL, re-pegged, is sold on the re-peg; mSOL, still under, at the maximum hold.
- scalp: a pushed BONK up-trend fires the pod's momentum entry (USDC -> BONK); it exits
  (BONK -> USDC) on its take profit or its time stop.
In both, the ledger verifies and matches the wallet on chain to the base unit.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from phantom.app.live_solana_bars import LstLiveRun, ScalpLiveRun
from phantom.localsolana.staking import depeg, pool_ratio, repeg
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.keystore import SolanaSigner

from .sol_live_support import FAST, Desk

BAR_S = 0.25


def _filled(run: Any, token_in: str, token_out: str) -> list[dict[str, Any]]:
    return [
        t
        for t in run.trades
        if t["status"] == "filled" and (t["token_in"], t["token_out"]) == (token_in, token_out)
    ]


def _landed_ok(world: LocalSolanaWorld, trade: dict[str, Any]) -> bool:
    sigs = trade["signatures"]
    return bool(sigs) and all(
        world.chain.landed[s].err is None for s in sigs if s in world.chain.landed
    ) and all(s in world.chain.landed for s in sigs)  # fmt: skip


def _check_books(run: Any) -> dict[str, Any]:
    summary: dict[str, Any] = run.summary()
    assert summary["ledger_ok"] is True
    assert set(summary["chain_minus_ledger"].values()) == {"0"}, summary["chain_minus_ledger"]
    assert summary["trades"] == summary["sent"] and summary["failed"] == 0
    return summary


def test_lst_buys_a_depeg_and_sells_on_the_repeg_or_at_max_hold(
    world: LocalSolanaWorld, tmp_path: Path, signer: SolanaSigner
) -> None:
    world.staking.epoch_blocks = None  # the fair values stay put
    options = FAST.model_copy(
        update={"bar_s": BAR_S, "stake_poll_interval_s": 0.2, "lst_params": {"max_hold_s": 3.0}}
    )
    desk = Desk(world, tmp_path, signer, options, engines=["lst"])
    run = desk.run
    assert isinstance(run, LstLiveRun)
    try:
        engines = {lst.token.symbol: lst.engine for lst in run.lsts}
        assert {s: e.onchain is not None for s, e in engines.items()} == {
            "jitoSOL": True, "mSOL": True
        }  # fmt: skip
        desk.step_until(lambda: all(e.stats.bars >= 3 for e in engines.values()))
        assert run.stats.intents == 0  # at the peg: no entry
        for symbol in engines:
            depeg(world, symbol, 400)
        desk.step_until(
            lambda: bool(_filled(run, "WSOL", "jitoSOL")) and bool(_filled(run, "WSOL", "mSOL"))
        )
        entered = time.monotonic()
        repeg(world, "jitoSOL")
        desk.step_until(lambda: bool(_filled(run, "jitoSOL", "WSOL")), timeout=5)
        assert engines["jitoSOL"].stats.exits_repeg == 1
        desk.step_until(lambda: bool(_filled(run, "mSOL", "WSOL")), timeout=8)
        assert time.monotonic() - entered >= 2.5  # held until the maximum hold
        assert engines["mSOL"].stats.exits_max_hold == 1
        run.feeding = False  # mSOL is still under its rate: a bar closing now could re-enter
        desk.settle()
        for trade in run.trades:
            assert _landed_ok(world, trade)
        summary = _check_books(run)
        assert summary["trades"] == 4 and summary["engine_name"] == "lst"
        for symbol, reason in (("jitoSOL", "repeg"), ("mSOL", "max_hold")):
            (entry,) = summary["engine"][symbol]["entries"]
            assert entry["exit_reason"] == reason and entry["fair_value"] > entry["ratio"]
            assert entry["discount_bps"] > entry["hurdle_bps"] > 0
            buy = _filled(run, "WSOL", symbol)[0]
            # the engine's position is what the chain delivered
            assert Decimal(entry["bought"]) * 10**9 == int(buy["amount_out"])
        assert pool_ratio(world, "mSOL") < float(world.staking.rate("mSOL"))
    finally:
        desk.close()


def test_scalp_enters_a_pushed_trend_and_exits(
    world: LocalSolanaWorld, tmp_path: Path, signer: SolanaSigner
) -> None:
    pod = {"name": "quick", "share_pct": 100, "lookback_bars": 2, "entry_return_pct": 0.3,
           "take_profit_pct": 0.4, "stop_loss_pct": 5, "max_hold_s": 3,
           "cooldown_s": 60}  # fmt: skip  # one trade: no re-entry on the same trend
    options = FAST.model_copy(update={"bar_s": BAR_S, "scalp_pods": [pod]})
    desk = Desk(world, tmp_path, signer, options, engines=["scalp"], max_slippage_bps=200)
    run = desk.run
    assert isinstance(run, ScalpLiveRun)
    pool = next(p for p in world.pools if p.name == "BONK-USDC")
    try:
        desk.step_until(lambda: run.engine.stats.bars >= 3)
        assert run.stats.intents == 0  # a flat market: no signal

        def push_until(done: Any, timeout: float) -> None:
            deadline = time.monotonic() + timeout
            last = 0.0
            while not done():
                assert time.monotonic() < deadline, "the pod did not act in time"
                if time.monotonic() - last > 0.1:  # sell USDC into the pool: BONK rises
                    world.move_pool(pool, world.mints["USDC"], 20)
                    last = time.monotonic()
                run.step(0.02)

        push_until(lambda: bool(_filled(run, "USDC", "BONK")), 10)
        push_until(lambda: bool(_filled(run, "BONK", "USDC")), 10)
        desk.settle()
        assert run.engine.stats.entries == 1 and run.engine.stats.exits == 1
        figures = run.engine.summary()["quick"]
        assert figures["trades"] == 1 and not figures["open_position"]
        exits = figures["exits"]
        assert exits["take_profit"] + exits["time_stop"] == 1
        for trade in run.trades:
            assert _landed_ok(world, trade)
        summary = _check_books(run)
        assert summary["trades"] == 2 and summary["engine"]["pods"]["quick"]["trades"] == 1
        assert summary["engines"]["scalp"]["routes"] == {"private": 2}
    finally:
        desk.close()
