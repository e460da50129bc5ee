"""Arbitrage cycles: closed routes that start and end in a base token.

A cycle is a tuple of :class:`~phantom.core.orders.SwapLeg`, each leg on a different pool,
chaining token_out into the next token_in and returning to the base token. Enumeration covers
every simple cycle of 2..``max_hops`` legs through each base token (two pools of the same pair,
both directions; triangles base -> A -> B -> base, both directions; longer loops likewise).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from phantom.core.orders import SwapLeg
from phantom.core.pool import Pool
from phantom.core.token import Token


@dataclass(frozen=True, slots=True)
class Cycle:
    """A closed route ``base -> ... -> base``; ``legs[i].token_out == legs[i+1].token_in``."""

    legs: tuple[SwapLeg, ...]

    def __post_init__(self) -> None:
        if len(self.legs) < 2:
            raise ValueError("a cycle needs at least two legs")
        for a, b in zip(self.legs, self.legs[1:] + self.legs[:1], strict=True):
            if a.token_out != b.token_in:
                raise ValueError("cycle legs do not chain back to the base token")
        if len({leg.pool_id for leg in self.legs}) != len(self.legs):
            raise ValueError("a cycle uses each pool at most once")

    @property
    def base(self) -> Token:
        return self.legs[0].token_in

    @property
    def pool_ids(self) -> tuple[str, ...]:
        return tuple(leg.pool_id for leg in self.legs)


def _extend(
    adjacency: list[list[tuple[int, int]]],
    base: int,
    token: int,
    path: list[tuple[int, int, int]],
    used_pools: set[int],
    visited: set[int],
    max_hops: int,
    out: list[tuple[tuple[int, int, int], ...]],
) -> None:
    """Depth-first search over integer ids; ``path`` holds (pool, token_in, token_out)."""
    for pool, nxt in adjacency[token]:
        if pool in used_pools:
            continue
        if nxt == base:
            if path:
                out.append((*path, (pool, token, nxt)))
            continue
        if nxt in visited or len(path) + 2 > max_hops:
            continue
        path.append((pool, token, nxt))
        used_pools.add(pool)
        visited.add(nxt)
        _extend(adjacency, base, nxt, path, used_pools, visited, max_hops, out)
        visited.discard(nxt)
        used_pools.discard(pool)
        path.pop()


def enumerate_cycles(
    pools: Sequence[Pool], base_tokens: Iterable[Token], max_hops: int
) -> list[Cycle]:
    """Every simple cycle of 2..``max_hops`` legs through each base token (each pool used once,
    no token visited twice except the base), in a deterministic order."""
    if max_hops < 2:
        return []
    token_ids: dict[Token, int] = {}
    for pool in pools:
        token_ids.setdefault(pool.token0, len(token_ids))
        token_ids.setdefault(pool.token1, len(token_ids))
    tokens = list(token_ids)
    adjacency: list[list[tuple[int, int]]] = [[] for _ in tokens]
    for i, pool in enumerate(pools):
        t0, t1 = token_ids[pool.token0], token_ids[pool.token1]
        adjacency[t0].append((i, t1))
        adjacency[t1].append((i, t0))
    found: list[tuple[tuple[int, int, int], ...]] = []
    for base in dict.fromkeys(base_tokens):
        b = token_ids.get(base)
        if b is not None:
            _extend(adjacency, b, b, [], set(), {b}, max_hops, found)
    return [
        Cycle(tuple(SwapLeg(pools[p].pool_id, tokens[t_in], tokens[t_out]) for p, t_in, t_out in c))
        for c in found
    ]
