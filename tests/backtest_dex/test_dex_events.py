"""Loading recorded Uniswap V3 events and reconstructing the pools' states."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from phantom.backtest.dex_events import (
    DexDataError,
    PoolEvent,
    PoolTracker,
    consistent_nets,
    discover,
    merged_events,
    read_events,
)

FIXTURE = Path(__file__).parent.parent / "fixtures" / "uniswap_v3_20240105_replay"
POOL_005 = "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640"
POOL_03 = "0x8ad599c3a0ff1de082011efddc58f1908eb6e6d8"


def test_discover_knows_both_fee_tiers() -> None:
    pools = {p.address: p for p in discover(FIXTURE)}
    assert set(pools) == {POOL_005, POOL_03}
    assert (pools[POOL_005].fee_ppm, pools[POOL_005].tick_spacing) == (500, 10)
    assert (pools[POOL_03].fee_ppm, pools[POOL_03].tick_spacing) == (3000, 60)
    assert pools[POOL_03].label == "USDC/WETH 0.3%"


def test_events_are_merged_in_chain_order() -> None:
    events = merged_events(discover(FIXTURE))
    assert len(events) == 722 + 65
    keys = [(e.block, e.log_index) for e in events]
    assert keys == sorted(keys)
    assert [e.ts for e in events] == sorted(e.ts for e in events)
    assert {e.kind for e in events} == {"SWAP", "MINT", "BURN", "COLLECT"}


def _copy(tmp_path: Path, address: str = POOL_005) -> Path:
    target = tmp_path / f"ethereum-{address}-2024-01-05.pool.tick.csv"
    shutil.copy(FIXTURE / f"ethereum-{POOL_005}-2024-01-05.pool.tick.csv", target)
    return target


def test_unknown_pool_needs_its_fee(tmp_path: Path) -> None:
    other = "0x" + "ab" * 20
    _copy(tmp_path, other)
    with pytest.raises(DexDataError, match="no known fee tier"):
        discover(tmp_path)
    (pool,) = discover(tmp_path, fees={other: 100})
    assert (pool.fee_ppm, pool.tick_spacing) == (100, 1)


def test_empty_dir_and_bad_names_are_errors(tmp_path: Path) -> None:
    with pytest.raises(DexDataError, match="no \\*.pool.tick.csv"):
        discover(tmp_path)
    (tmp_path / "pool.pool.tick.csv").write_text("x\n")
    with pytest.raises(DexDataError, match="expected <chain>-<pool address>"):
        discover(tmp_path)


def test_unsorted_rows_are_reported_with_the_row(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    lines = path.read_text().splitlines()
    lines[5], lines[6] = lines[6], lines[5]
    path.write_text("\n".join(lines) + "\n")
    (pool,) = discover(tmp_path)
    with pytest.raises(DexDataError, match=r":7: block .* is not after"):
        read_events(pool)


def test_missing_columns_and_bad_values(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = [f for f in rows[0] if f != "sqrtPriceX96"]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (pool,) = discover(tmp_path)
    with pytest.raises(DexDataError, match="missing column\\(s\\) sqrtPriceX96"):
        read_events(pool)
    rows[2]["amount0"] = "lots"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DexDataError, match=":4: bad value"):
        read_events(pool)


def _event(kind: str, **kw: int) -> PoolEvent:
    base = dict(
        pool=POOL_005, block=1, log_index=0, ts=0.0, kind=kind, amount0=0, amount1=0,
        sqrt_price=0, tick=0, liquidity_after=0, tick_lower=None, tick_upper=None,
        position_liquidity=0,
    )  # fmt: skip
    base.update(kw)
    return PoolEvent(**base)  # type: ignore[arg-type]


def test_tracker_trusts_swaps_and_applies_in_range_mints() -> None:
    pool = next(p for p in discover(FIXTURE) if p.address == POOL_005)
    tracker = PoolTracker(pool)
    mint = _event("MINT", tick_lower=199000, tick_upper=199100, position_liquidity=10)
    assert tracker.apply(mint) is None  # state unknown before the first swap
    assert tracker.stats["skipped_before_first_swap"] == 1
    snap = tracker.apply(_event("SWAP", sqrt_price=2**96 * 40, tick=199050, liquidity_after=1000))
    assert snap is not None
    assert (snap.sqrt_price_x96, snap.tick, snap.liquidity) == (2**96 * 40, 199050, 1000)
    in_range = tracker.apply(mint)
    assert in_range is not None and in_range.liquidity == 1010
    out_of_range = _event("BURN", tick_lower=199100, tick_upper=199200, position_liquidity=5)
    assert tracker.apply(out_of_range) is None
    assert tracker.apply(_event("COLLECT")) is None


def test_tracker_learns_crossed_ticks_from_the_real_day() -> None:
    pools = discover(FIXTURE)
    trackers = {p.address: PoolTracker(p) for p in pools}
    for ev in merged_events(pools):
        trackers[ev.pool].apply(ev)
    t = trackers[POOL_005]
    assert t.stats["crossings_located"] > 0
    assert len(t.known) > 0
    assert all(tick % 10 == 0 for tick in t.known)
    snap = t.snapshot()
    assert set(snap.ticks) == set(snap.liquidity_net)


def test_consistent_nets_drop_ticks_that_would_go_negative() -> None:
    known = {100: 50, 200: -80, 300: 10, 0: 30, -100: 200}
    nets = consistent_nets(known, tick=150, liquidity=60)
    # up: 60 - 80 < 0 at 200, so 200 and 300 are dropped; down: 60 - 50 = 10 at 100,
    # 10 - 30 < 0 at 0, so 0 and -100 are dropped
    assert nets == {100: 50}
