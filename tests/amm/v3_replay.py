"""Replays recorded Uniswap V3 pool events through phantom.amm.concentrated (test helper).

Each SWAP starts from the recorded pre-state: the previous SWAP's ``sqrtPriceX96``,
``current_tick`` and in-range liquidity, plus the liquidity of MINT/BURN events in between whose
range contains the tick. (The data set's own ``total_liquidity`` on MINT/BURN/COLLECT rows is
derived and sometimes stale, e.g. COLLECT rows repeat the pre-burn value; the SWAP rows carry
the value from the Swap event itself, so only those are trusted.)

A swap is reproduced *exactly* when the recorded input, output, post ``sqrtPriceX96`` and post
liquidity all equal ours, under one of the three ways a V3 swap can be sent: exact input,
exact output (the recorded output), or exact input stopped by a price limit (the limit is the
recorded post price; the check is then the consumed input and the output).

We do not know the pool's tick map, so:

* a swap whose in-range liquidity did not change is replayed with no initialized ticks (the
  bitmap-word boundaries are still stepped through as on chain);
* a swap whose liquidity changed crossed initialized ticks. Its total ``liquidityNet`` is the
  recorded change; we first try one crossed tick at each multiple of the tick spacing between
  the pre and post tick (the match must be unique), then the ticks learned from earlier
  reconstructions (kept current through MINT/BURN) plus at most one unknown tick carrying the
  residual. Swaps that crossed two or more ticks we have not seen cannot be reconstructed from
  the recorded data and are counted as such.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from phantom.amm.concentrated import swap_exact_in, swap_exact_out
from phantom.amm.errors import InsufficientLiquidity
from phantom.core.pool import ConcentratedPool
from phantom.core.token import Token

USDC = Token("USDC", 6, chain="ethereum")
WETH = Token("WETH", 18, chain="ethereum")
COLUMNS = (
    "block_number",
    "log_index",
    "tx_type",
    "amount0",
    "amount1",
    "total_liquidity",
    "sqrtPriceX96",
    "current_tick",
    "tick_lower",
    "tick_upper",
    "liquidity",
)


@dataclass
class ReplayReport:
    swaps: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    ambiguous: int = 0

    @property
    def exact(self) -> int:
        return sum(n for k, n in self.outcomes.items() if not k.startswith("unreconstructable"))

    @property
    def unreconstructable(self) -> int:
        return self.outcomes["unreconstructable"]


def read_events(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _int(value: str) -> int:
    return int(float(value)) if "." in value else int(value)


@dataclass(frozen=True)
class RecordedSwap:
    sqrt_before: int
    tick_before: int
    liquidity_before: int
    zero_for_one: bool
    amount_in: int
    amount_out: int
    sqrt_after: int
    liquidity_after: int


def matching_mode(
    swap: RecordedSwap, fee_ppm: int, tick_spacing: int, nets: Mapping[int, int]
) -> str | None:
    """The swap mode under which our maths reproduces the record exactly, if any."""
    pool = ConcentratedPool(
        "replay", "uniswap_v3", USDC, WETH, swap.sqrt_before, swap.tick_before,
        swap.liquidity_before, fee_ppm, tick_spacing, tuple(sorted(nets)), dict(nets),
    )  # fmt: skip
    recorded = (swap.amount_in, swap.amount_out, swap.sqrt_after, swap.liquidity_after)
    for mode in ("exact_in", "exact_out", "price_limit"):
        try:
            if mode == "exact_in":
                r = swap_exact_in(pool, swap.zero_for_one, swap.amount_in)
            elif mode == "exact_out":
                r = swap_exact_out(pool, swap.zero_for_one, swap.amount_out)
            else:
                r = swap_exact_in(pool, swap.zero_for_one, swap.amount_in, swap.sqrt_after)
        except (InsufficientLiquidity, ValueError):
            continue
        after = r.pool_after
        assert isinstance(after, ConcentratedPool)
        if (r.amount_in, r.amount_out, after.sqrt_price_x96, after.liquidity) == recorded:
            return mode
    return None


def replay(rows: Iterable[Mapping[str, str]], fee_ppm: int, tick_spacing: int) -> ReplayReport:
    report = ReplayReport()
    state: tuple[int, int, int] | None = None  # sqrt price, liquidity, tick
    learned: dict[int, int] = {}  # tick -> liquidityNet revealed by earlier crossings
    for row in rows:
        kind = row["tx_type"]
        if kind in ("MINT", "BURN"):
            lower, upper = _int(row["tick_lower"]), _int(row["tick_upper"])
            delta = int(row["liquidity"]) * (1 if kind == "MINT" else -1)
            if lower in learned:
                learned[lower] += delta
            if upper in learned:
                learned[upper] -= delta
            if state is not None and lower <= state[2] < upper:
                state = (state[0], state[1] + delta, state[2])
            continue
        if kind != "SWAP":
            continue
        sqrt_after, liq_after = int(row["sqrtPriceX96"]), int(row["total_liquidity"])
        tick_after = _int(row["current_tick"])
        before, state = state, (sqrt_after, liq_after, tick_after)
        if before is None:
            continue
        sqrt0, liq0, tick0 = before
        amount0, amount1 = int(row["amount0"]), int(row["amount1"])
        zero_for_one = amount0 > 0
        amount_in, amount_out = (amount0, -amount1) if zero_for_one else (amount1, -amount0)
        rec = RecordedSwap(
            sqrt0, tick0, liq0, zero_for_one, amount_in, amount_out, sqrt_after, liq_after
        )
        report.swaps += 1

        if liq_after == liq0:
            mode = matching_mode(rec, fee_ppm, tick_spacing, {})
            report.outcomes[f"same_range/{mode}" if mode else "unreconstructable"] += 1
            continue
        net = liq0 - liq_after if zero_for_one else liq_after - liq0
        lo, hi = (tick_after, tick0) if zero_for_one else (tick0, tick_after)
        first = -(-(lo + 1) // tick_spacing) * tick_spacing
        candidates = list(range(first, hi + 1, tick_spacing))
        hits = [
            (t, m)
            for t in candidates
            if (m := matching_mode(rec, fee_ppm, tick_spacing, {t: net})) is not None
        ]
        if len(hits) > 1:
            report.ambiguous += 1
        if hits:
            learned[hits[0][0]] = net
            report.outcomes[f"one_tick/{hits[0][1]}"] += 1
            continue
        known = {t: learned[t] for t in candidates if t in learned}
        residual = net - sum(known.values())
        options = [known] if residual == 0 and known else []
        if residual != 0:
            options = [{**known, t: residual} for t in candidates if t not in known]
        for nets in options:
            mode = matching_mode(rec, fee_ppm, tick_spacing, nets)
            if mode is not None:
                learned.update(nets)
                report.outcomes[f"learned_ticks/{mode}"] += 1
                break
        else:
            report.outcomes["unreconstructable"] += 1
    return report
