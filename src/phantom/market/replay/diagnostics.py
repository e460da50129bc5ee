"""How many arbitrage opportunities the replay world produces: a measuring tool for tuning.

    python -m phantom.market.replay.diagnostics [--start 2022-11-09T18:00] [--hours 2] [--seed 7]

After every pool update it prices every cycle of two or three pools that starts and ends in a
base token (USDC): the marginal edge is the product of the legs' fee-adjusted spot prices minus
one. An *episode* is a stretch of time during which one cycle's edge stays above zero; at each new
peak of an episode the best exact-integer trade through the cycle (golden-section search over the
input, :func:`phantom.amm.swap.quote` for every leg) gives its profit in USD before network costs.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.swap import quote, spot_price
from phantom.core.events import PoolUpdate
from phantom.core.pool import FEE_DENOMINATOR, Pool
from phantom.core.rng import SeededRng
from phantom.core.token import Token
from phantom.market.replay.agents import virtual_reserve
from phantom.market.replay.params import WorldParams
from phantom.market.replay.path import load_sample
from phantom.market.replay.world import ReplayWorld


@dataclass(frozen=True, slots=True)
class Cycle:
    """Pools traded in order, starting with ``tokens[0]``; ``tokens[i]`` is paid into leg i."""

    pool_ids: tuple[str, ...]
    tokens: tuple[Token, ...]

    @property
    def label(self) -> str:
        return " > ".join(self.pool_ids)


def find_cycles(pools: Sequence[Pool], bases: Sequence[Token], max_legs: int = 3) -> list[Cycle]:
    """Every cycle of 2..max_legs distinct pools from a base token back to it."""
    found: list[Cycle] = []

    def walk(start: Token, token: Token, used: tuple[Pool, ...], paid: tuple[Token, ...]) -> None:
        for pool in pools:
            if pool in used or token not in (pool.token0, pool.token1):
                continue
            nxt = pool.other(token)
            legs = (*used, pool)
            if nxt == start and len(legs) >= 2:
                found.append(Cycle(tuple(p.pool_id for p in legs), (*paid, token)))
            elif nxt != start and len(legs) < max_legs and nxt not in paid:
                walk(start, nxt, legs, (*paid, token))

    for base in bases:
        walk(base, base, (), ())
    return found


def marginal_edge(cycle: Cycle, pools: Mapping[str, Pool]) -> float:
    """Product of the legs' spot prices after fees, minus one (> 0: a small trade profits)."""
    rate = 1.0
    for pool_id, token in zip(cycle.pool_ids, cycle.tokens, strict=True):
        pool = pools[pool_id]
        rate *= spot_price(pool, token) * (1.0 - pool.fee_ppm / FEE_DENOMINATOR)
    return rate - 1.0


def cycle_output(cycle: Cycle, pools: Mapping[str, Pool], amount_in: int) -> int:
    amount = amount_in
    for pool_id, token in zip(cycle.pool_ids, cycle.tokens, strict=True):
        if amount <= 0:
            return 0
        try:
            amount = quote(pools[pool_id], token, amount)
        except InsufficientLiquidity:
            return 0
    return amount


def best_trade(cycle: Cycle, pools: Mapping[str, Pool], iterations: int = 48) -> tuple[int, int]:
    """``(amount_in, profit)`` in base units of the cycle's start token, golden-section search
    over log(amount) between one unit and a fifth of the first pool's virtual reserve."""
    upper = 0.2 * virtual_reserve(pools[cycle.pool_ids[0]], cycle.tokens[0])
    lo, hi = 0.0, math.log(max(upper, 2.0))

    def profit(log_amount: float) -> tuple[int, int]:
        amount = max(1, int(math.exp(log_amount)))
        return amount, cycle_output(cycle, pools, amount) - amount

    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    pa, pb = profit(a), profit(b)
    for _ in range(iterations):
        if pa[1] >= pb[1]:
            hi, b, pb = b, a, pa
            a = hi - ratio * (hi - lo)
            pa = profit(a)
        else:
            lo, a, pa = a, b, pb
            b = lo + ratio * (hi - lo)
            pb = profit(b)
    best = max(pa, pb, key=lambda x: x[1])
    return best if best[1] > 0 else (0, 0)


@dataclass(slots=True)
class Episode:
    cycle: Cycle
    start: float
    end: float = math.nan
    peak_edge: float = 0.0
    best_profit_usd: float = 0.0
    best_size_usd: float = 0.0

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(slots=True)
class OpportunityStats:
    start: float
    end: float
    cycles: int
    episodes: list[Episode] = field(default_factory=list)
    pair_gap_episodes: int = 0
    """Episodes of the orca 0.30 % vs raydium 0.25 % SOL/USDC price gap above 0.6 %."""

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / 60.0

    def open_share(self, legs: int, min_profit_usd: float = 0.0) -> float:
        """Share of the time during which at least one cycle of ``legs`` pools whose episode
        is worth ``min_profit_usd`` at its best size was open."""
        spans = sorted(
            (e.start, e.end)
            for e in self.episodes
            if len(e.cycle.pool_ids) == legs and e.best_profit_usd >= min_profit_usd
        )
        covered, reach = 0.0, -math.inf
        for start, end in spans:
            if end > reach:
                covered += end - max(start, reach)
                reach = end
        return covered / max(self.end - self.start, 1e-9)

    def summary(self) -> str:
        lines = [f"{self.minutes:.0f} simulated minutes, {self.cycles} cycles watched"]
        for legs, name in ((2, "two-pool"), (3, "triangular")):
            eps = [e for e in self.episodes if len(e.cycle.pool_ids) == legs]
            worth = [e for e in eps if e.best_profit_usd >= 1.0]
            big = [e for e in eps if e.best_profit_usd >= 10.0]
            durations = [e.duration for e in eps] or [0.0]
            profits = sorted(e.best_profit_usd for e in worth) or [0.0]
            lines.append(
                f"{name}: {len(eps)} episodes ({len(eps) / self.minutes:.2f}/min); "
                f">= $1: {len(worth)} ({len(worth) / self.minutes:.2f}/min), "
                f">= $10: {len(big)}; median duration {statistics.median(durations):.1f} s; "
                f"profit at best size median ${statistics.median(profits):.2f}, "
                f"max ${profits[-1]:.2f}; peak edge max "
                f"{max((e.peak_edge for e in eps), default=0.0) * 100:.2f} %"
            )
            lines.append(
                f"  time with one open: {self.open_share(legs) * 100:.0f} %, "
                f"with one worth >= $1: {self.open_share(legs, 1.0) * 100:.0f} %"
            )
        pairs: dict[str, list[Episode]] = {}
        for e in self.episodes:
            if len(e.cycle.pool_ids) == 2:
                pair = "/".join(sorted(t.symbol for t in e.cycle.tokens))
                pairs.setdefault(pair, []).append(e)
        for pair, pair_eps in sorted(pairs.items()):
            n_worth = sum(e.best_profit_usd >= 1.0 for e in pair_eps)
            lines.append(
                f"  two-pool {pair}: {len(pair_eps) / self.minutes:.2f}/min, "
                f">= $1: {n_worth / self.minutes:.2f}/min"
            )
        lines.append(
            f"orca 0.30% vs raydium 0.25% SOL/USDC gap > 0.6 %: {self.pair_gap_episodes} "
            f"episodes ({self.pair_gap_episodes / self.minutes:.2f}/min)"
        )
        return "\n".join(lines)


def measure(world: ReplayWorld, until: float) -> OpportunityStats:
    """Run ``world`` up to ``until`` and record every cycle's opportunity episodes."""
    pools = {p.pool_id: p for p in world.pools()}
    cycles = find_cycles(list(pools.values()), world.base_tokens)
    by_pool: dict[str, list[Cycle]] = {pid: [] for pid in pools}
    for cycle in cycles:
        for pid in cycle.pool_ids:
            by_pool[pid].append(cycle)
    stats = OpportunityStats(world.now, until, len(cycles))
    open_: dict[Cycle, Episode] = {}
    gap_open = False
    for event in world.events(until):
        if not isinstance(event, PoolUpdate):
            continue
        pools[event.pool.pool_id] = event.pool
        usd = world.reference_prices()
        for cycle in by_pool[event.pool.pool_id]:
            edge = marginal_edge(cycle, pools)
            episode = open_.get(cycle)
            if edge > 0:
                if episode is None:
                    episode = open_[cycle] = Episode(cycle, event.ts)
                if edge > episode.peak_edge:
                    episode.peak_edge = edge
                    size, profit = best_trade(cycle, pools)
                    scale = usd[cycle.tokens[0].symbol] / cycle.tokens[0].one
                    if profit * scale > episode.best_profit_usd:
                        episode.best_profit_usd = profit * scale
                        episode.best_size_usd = size * scale
            elif episode is not None:
                episode.end = event.ts
                stats.episodes.append(open_.pop(cycle))
        if {"orca-SOL-USDC", "raydium-SOL-USDC"} <= pools.keys():
            sol = world.tokens["SOL"]
            a = spot_price(pools["orca-SOL-USDC"], sol)
            b = spot_price(pools["raydium-SOL-USDC"], sol)
            wide = abs(a / b - 1.0) > 0.006
            stats.pair_gap_episodes += wide and not gap_open
            gap_open = wide
    for episode in open_.values():
        episode.end = until
        stats.episodes.append(episode)
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="measure the replay world's opportunities")
    parser.add_argument("--start", default="2022-11-01T00:00", help="UTC start, ISO format")
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    start = datetime.fromisoformat(args.start).replace(tzinfo=UTC).timestamp()
    world = ReplayWorld(WorldParams(), load_sample(), SeededRng(args.seed), start=start)
    print(f"start {args.start} UTC, seed {args.seed}")
    print(measure(world, min(world.start_ts + args.hours * 3600, world.end_ts)).summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
