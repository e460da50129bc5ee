"""Benchmark: cycle path finder over a synthetic 5,000-pool / 1,000-token constant-product graph.

The graph looks like a real DEX: every token trades against WETH, 40 % also against USDC, 600
WETH pairs have a second venue, and the rest are token/token pools, all priced from one set of
"true" prices with a 0.05 % reserve jitter (well inside the 0.3 % fee, so almost nothing is
profitable). A handful of pools are then pushed 1.5-3 % off, which makes a realistic few dozen
cycles profitable. Timings are medians of ``time.perf_counter`` over many repetitions after a
warm-up: a full scan with optimal sizing, and ``update()`` + ``rescore()`` for one pool.

``run()`` returns named figures: µs for timings (``full_scan_us`` and ``rescore_us`` are
medians), plain counts otherwise.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

from phantom.amm.pathfinder import CycleIndex
from phantom.amm.swap import swap
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token

N_POOLS = 5000
N_TOKENS = 1000
SEED = 7


def build_graph(
    n_pools: int = N_POOLS, n_tokens: int = N_TOKENS, seed: int = SEED, skewed: int = 4
) -> tuple[list[ConstantProductPool], list[Token]]:
    rng = random.Random(seed)
    weth, usdc = Token("WETH", 18, "ethereum"), Token("USDC", 6, "ethereum")
    tokens = [weth, usdc] + [
        Token(f"T{i}", rng.choice((6, 8, 18)), "ethereum") for i in range(n_tokens - 2)
    ]
    usd_price = {weth: 2300.0, usdc: 1.0}
    for tok in tokens[2:]:
        usd_price[tok] = 10 ** rng.uniform(-4, 3)
    pools: list[ConstantProductPool] = []
    pairs: set[tuple[str, str, str]] = set()

    def add(a: Token, b: Token, venue: str) -> None:
        key = (min(a.symbol, b.symbol), max(a.symbol, b.symbol), venue)
        if a == b or key in pairs or len(pools) >= n_pools:
            return
        pairs.add(key)
        depth_usd = 10 ** rng.uniform(4.5, 7.5)
        jitter = 1 + rng.gauss(0, 0.0005)
        r_a = int(depth_usd / usd_price[a] * 10**a.decimals * jitter)
        r_b = int(depth_usd / usd_price[b] * 10**b.decimals)
        fee = rng.choice((3000, 3000, 3000, 500, 10_000)) if venue == "v2" else 2500
        pools.append(
            ConstantProductPool(f"{venue}:{a}/{b}", venue, a, b, max(r_a, 1), max(r_b, 1), fee)
        )

    add(weth, usdc, "v2")
    add(weth, usdc, "sushi")
    for tok in tokens[2:]:
        add(tok, weth, "v2")
    for tok in tokens[2:]:
        if rng.random() < 0.4:
            add(tok, usdc, "v2")
    for tok in rng.sample(tokens[2:], 600):
        add(tok, weth, "sushi")
    while len(pools) < n_pools:
        a, b = rng.sample(tokens[2:], 2)
        add(a, b, "v2")
    for i in rng.sample(range(len(pools)), skewed):
        p = pools[i]
        pools[i] = replace(p, reserve0=int(p.reserve0 * rng.uniform(1.015, 1.03)))
    return pools, [weth, usdc]


def _median_us(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


def run() -> dict[str, float]:
    pools, bases = build_graph()
    t0 = time.perf_counter()
    index = CycleIndex(pools, bases, max_hops=3)
    build_s = time.perf_counter() - t0
    found = index.full_scan()
    for _ in range(20):
        index.full_scan()
    full_us = _median_us(index.full_scan, 200)
    candidates_us = _median_us(index.candidates, 200)

    rng = random.Random(SEED + 1)
    rescore_samples: list[float] = []  # update() + rescore()
    rescore_only: list[float] = []
    for _ in range(2000):
        pool = rng.choice(pools)
        current = index.pool(pool.pool_id)
        assert isinstance(current, ConstantProductPool)
        moved = swap(current, current.token0, max(1, current.reserve0 // 5000)).pool_after
        t1 = time.perf_counter()
        index.update(moved)
        t2 = time.perf_counter()
        index.rescore(pool.pool_id)
        t3 = time.perf_counter()
        rescore_samples.append(t3 - t1)
        rescore_only.append(t3 - t2)
    rescore_samples.sort()
    hub = max(pools, key=lambda p: len(index.cycles_through(p.pool_id)))
    hub_us = _median_us(lambda: index.rescore(hub.pool_id), 50)
    through = sorted(len(index.cycles_through(p.pool_id)) for p in pools)
    return {
        "pools": float(len(pools)),
        "tokens": float(N_TOKENS),
        "cycles": float(len(index.cycles)),
        "profitable_cycles": float(len(found)),
        "index_build_s": build_s,
        "full_scan_us": full_us,  # median
        "full_scan_candidates_only_median_us": candidates_us,
        "rescore_us": statistics.median(rescore_samples) * 1e6,  # median, update + rescore
        "rescore_only_median_us": statistics.median(rescore_only) * 1e6,
        "rescore_p99_us": rescore_samples[int(len(rescore_samples) * 0.99)] * 1e6,
        "rescore_hub_pool_median_us": hub_us,
        "cycles_per_pool_median": float(statistics.median(through)),
        "cycles_per_pool_max": float(through[-1]),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:40s} {value:12.1f}")
