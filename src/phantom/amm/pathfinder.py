"""Cycle index: finds and sizes arbitrage cycles over a set of pools, and re-scores the cycles
through one pool when its state changes.

* ``full_scan`` is vectorised: cycles are index arrays into per-direction float arrays of
  (virtual) reserves and fee factors; each cycle's hops are composed into one virtual
  constant-product pool with numpy, its marginal rate tested, and the closed-form optimum
  computed. Only the few candidates with a marginal rate above 1 are sized on the exact integer
  curves (:mod:`phantom.amm.sizing`).
* ``rescore`` is a lean pure-Python pass over the few cycles through the updated pool.

Floats only pick candidates and seed the sizing; every reported amount comes from exact integer
swaps along the legs. Profits are in the cycle's base-token base units, so ``rescore`` and
``full_scan`` order opportunities by that raw number: compare across base tokens with prices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from phantom.amm.cycles import Cycle, enumerate_cycles
from phantom.amm.sizing import (
    optimum,
    refine_cp,
    size_exact,
    virtual_reserves,
)
from phantom.core.pool import FEE_DENOMINATOR, ConstantProductPool, Pool
from phantom.core.token import Token

__all__ = ["Cycle", "CycleIndex", "Opportunity"]

_RATE_SLACK = 1e-9  # candidates: marginal rate > 1 - slack (exact maths decides)
_UNKNOWN_HINT = float(2**64)  # seed for cycles whose marginal rate is unknown (empty CL range)
_VECTOR_RESCORE_MIN = 64  # cycles through one pool above which re-scoring uses numpy

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A profitable cycle, sized: ``profit = amount_out - amount_in > 0`` (base-token units,
    LP fees included through the curves, network costs not)."""

    cycle_id: int
    cycle: Cycle
    amount_in: int
    amount_out: int
    profit: int


@dataclass(frozen=True, slots=True)
class _Group:
    """Cycles of one length: ``edges[j]`` holds the j-th leg's direction index per cycle."""

    cycle_ids: IntArray
    edges: tuple[IntArray, ...]


class CycleIndex:
    """Two-pool and triangular (up to ``max_hops``) cycles through the base tokens."""

    def __init__(
        self, pools: Iterable[Pool], base_tokens: Iterable[Token], max_hops: int = 3
    ) -> None:
        pool_list = list(pools)
        self._pools: dict[str, Pool] = {}
        for pool in pool_list:
            if pool.pool_id in self._pools:
                raise ValueError(f"duplicate pool id {pool.pool_id}")
            self._pools[pool.pool_id] = pool
        self._pidx = {pool.pool_id: i for i, pool in enumerate(pool_list)}
        self.cycles: Sequence[Cycle] = tuple(enumerate_cycles(pool_list, base_tokens, max_hops))

        n_edges = 2 * len(pool_list)
        self._rin_l = [0.0] * n_edges
        self._rout_l = [0.0] * n_edges
        self._g_l = [0.0] * n_edges
        self._rate: FloatArray = np.zeros(n_edges)  # marginal rate g * r_out / r_in
        self._rate_l = [0.0] * n_edges
        self._unknown_edge = [False] * n_edges  # empty in-range liquidity: rate unknown
        for pool in pool_list:
            self._load(pool)

        through: dict[str, list[int]] = {pid: [] for pid in self._pools}
        self._cycle_edges: list[tuple[int, ...]] = []
        self._cycle_hops: list[tuple[tuple[str, bool], ...]] = []  # (pool id, zero_for_one)
        self._cycle_all_cp: list[bool] = []
        for cid, cycle in enumerate(self.cycles):
            edges = []
            hops = []
            for leg in cycle.legs:
                zero_for_one = leg.token_in == self._pools[leg.pool_id].token0
                i = self._pidx[leg.pool_id]
                edges.append(2 * i if zero_for_one else 2 * i + 1)
                hops.append((leg.pool_id, zero_for_one))
                through[leg.pool_id].append(cid)
            self._cycle_edges.append(tuple(edges))
            self._cycle_hops.append(tuple(hops))
            self._cycle_all_cp.append(True)
        self._through = {pid: tuple(ids) for pid, ids in through.items()}
        self._unknown_cycles: set[int] = set()
        for pid, p in self._pools.items():
            if not isinstance(p, ConstantProductPool):
                self._refresh_kind(pid)
        self._groups = self._build_groups(range(len(self.cycles)))
        # hub pools sit on many cycles: their re-score takes the vectorised path too
        self._pool_groups = {
            pid: self._build_groups(ids)
            for pid, ids in self._through.items()
            if len(ids) >= _VECTOR_RESCORE_MIN
        }

    # ----------------------------------------------------------------- state
    def _load(self, pool: Pool) -> None:
        i = self._pidx[pool.pool_id]
        for e, zero_for_one in ((2 * i, True), (2 * i + 1, False)):
            r_in, r_out, g = virtual_reserves(pool, zero_for_one)
            self._rin_l[e], self._rout_l[e], self._g_l[e] = r_in, r_out, g
            self._rate[e] = self._rate_l[e] = g * r_out / r_in if r_in > 0.0 else 0.0
            self._unknown_edge[e] = not isinstance(pool, ConstantProductPool) and (
                pool.liquidity == 0
            )

    def _refresh_kind(self, pool_id: str) -> None:
        """Recompute the per-cycle flags (all constant product? a leg with an unknown rate?)
        for the cycles through one pool."""
        for cid in self._through[pool_id]:
            self._cycle_all_cp[cid] = all(
                isinstance(self._pools[pid], ConstantProductPool)
                for pid in self.cycles[cid].pool_ids
            )
            if any(self._unknown_edge[e] for e in self._cycle_edges[cid]):
                self._unknown_cycles.add(cid)
            else:
                self._unknown_cycles.discard(cid)

    def _build_groups(self, cycle_ids: Iterable[int]) -> list[_Group]:
        by_len: dict[int, list[int]] = {}
        for cid in cycle_ids:
            by_len.setdefault(len(self._cycle_edges[cid]), []).append(cid)
        groups = []
        for length, ids in sorted(by_len.items()):
            matrix = np.array([self._cycle_edges[c] for c in ids], dtype=np.intp)
            cols = tuple(np.ascontiguousarray(matrix[:, j]) for j in range(length))
            groups.append(_Group(np.array(ids, dtype=np.intp), cols))
        return groups

    def update(self, pool: Pool) -> None:
        """Replace an indexed pool's state (same id and tokens)."""
        old = self._pools.get(pool.pool_id)
        if old is None:
            raise KeyError(f"pool {pool.pool_id} is not indexed")
        if (old.token0, old.token1) != (pool.token0, pool.token1):
            raise ValueError(f"pool {pool.pool_id}: tokens changed on update")
        self._pools[pool.pool_id] = pool
        self._load(pool)
        if not (isinstance(old, ConstantProductPool) and isinstance(pool, ConstantProductPool)):
            self._refresh_kind(pool.pool_id)

    def pool(self, pool_id: str) -> Pool:
        return self._pools[pool_id]

    def cycles_through(self, pool_id: str) -> Sequence[int]:
        return self._through[pool_id]

    # --------------------------------------------------------------- sizing
    def _hint(self, cid: int) -> float | None:
        """Closed-form optimum of the composed cycle, or None when it cannot profit."""
        edges = self._cycle_edges[cid]
        if cid in self._unknown_cycles:
            return _UNKNOWN_HINT
        rate = 1.0
        for e in edges:
            rate *= self._rate_l[e]
        if not rate > 1.0 - _RATE_SLACK:
            return None
        rin, rout, gl = self._rin_l, self._rout_l, self._g_l
        e = edges[0]
        e_in, e_out, g0 = rin[e], rout[e], gl[e]
        for e in edges[1:]:
            g = gl[e]
            d = rin[e] + g * e_out
            if d <= 0.0:
                e_out = 0.0
                break
            e_in, e_out = e_in * rin[e] / d, g * e_out * rout[e] / d
        return optimum(e_in, e_out, g0)

    def _size(self, cid: int, hint: float, cap: int | None) -> Opportunity | None:
        if cap is not None and cap <= 0:
            return None
        cycle = self.cycles[cid]
        if self._cycle_all_cp[cid]:
            hops: list[tuple[int, int, int]] = []
            for pool_id, zero_for_one in self._cycle_hops[cid]:
                pool = self._pools[pool_id]
                assert isinstance(pool, ConstantProductPool)
                g_num = FEE_DENOMINATOR - pool.fee_ppm
                if zero_for_one:
                    hops.append((pool.reserve0, pool.reserve1, g_num))
                else:
                    hops.append((pool.reserve1, pool.reserve0, g_num))
            if any(r_in == 0 or r_out == 0 for r_in, r_out, _ in hops):
                return None
            start = int(hint) if hint < 2.0**200 else 1 << 200
            amount, out = refine_cp(hops, start, cap)
            if out <= amount:
                return None
            return Opportunity(cid, cycle, amount, out, out - amount)
        pools = [self._pools[pool_id] for pool_id, _ in self._cycle_hops[cid]]
        sized = size_exact(pools, cycle.legs, hint, cap)
        if sized is None:
            return None
        amount, out = sized
        return Opportunity(cid, cycle, amount, out, out - amount)

    def best(self, cycle_id: int, max_amount_in: int | None = None) -> Opportunity | None:
        """The cycle's profit-maximising input (capped), or None when no input profits."""
        hint = self._hint(cycle_id)
        if hint is None:
            return None
        return self._size(cycle_id, hint, max_amount_in)

    @staticmethod
    def _rank(opportunities: list[Opportunity]) -> list[Opportunity]:
        opportunities.sort(key=lambda o: (-o.profit, o.cycle_id))
        return opportunities

    def rescore(
        self, pool_id: str, max_amount_in: Mapping[Token, int] | None = None
    ) -> list[Opportunity]:
        """Profitable cycles through ``pool_id``, best first."""
        groups = self._pool_groups.get(pool_id)
        if groups is not None:
            unknown = self._unknown_cycles.intersection(self._through[pool_id])
            return self._sized(self._vector_candidates(groups, unknown), max_amount_in)
        found = []
        for cid in self._through[pool_id]:
            hint = self._hint(cid)
            if hint is None:
                continue
            cap = None if max_amount_in is None else max_amount_in.get(self.cycles[cid].base)
            opp = self._size(cid, hint, cap)
            if opp is not None:
                found.append(opp)
        return self._rank(found)

    # ------------------------------------------------------------ full scan
    def _vector_candidates(
        self, groups: Sequence[_Group], unknown: set[int]
    ) -> list[tuple[int, float]]:
        """``(cycle_id, closed-form optimum)`` for the groups' cycles whose marginal rate
        exceeds 1. Vectorised: the cycle's marginal rate is the product of its legs' rates (one
        gather per leg); the few hits are then composed into their virtual pool."""
        out: list[tuple[int, float]] = []
        rate = self._rate
        for group in groups:
            product = rate[group.edges[0]]
            for col in group.edges[1:]:
                product = product * rate[col]
            hits = np.flatnonzero(product > 1.0 - _RATE_SLACK)
            for cid in group.cycle_ids[hits].tolist():
                hint = self._hint(cid)
                if hint is not None:
                    out.append((cid, hint))
        if unknown:
            listed = {cid for cid, _ in out}
            out.extend((cid, _UNKNOWN_HINT) for cid in sorted(unknown) if cid not in listed)
        return out

    def candidates(self) -> list[tuple[int, float]]:
        """``(cycle_id, closed-form optimum)`` for every cycle whose marginal rate exceeds 1."""
        return self._vector_candidates(self._groups, self._unknown_cycles)

    def _sized(
        self, candidates: Iterable[tuple[int, float]], max_amount_in: Mapping[Token, int] | None
    ) -> list[Opportunity]:
        found = []
        for cid, hint in candidates:
            cap = None if max_amount_in is None else max_amount_in.get(self.cycles[cid].base)
            opp = self._size(cid, hint, cap)
            if opp is not None:
                found.append(opp)
        return self._rank(found)

    def full_scan(self, max_amount_in: Mapping[Token, int] | None = None) -> list[Opportunity]:
        """Every profitable cycle, sized on the exact curves, best first."""
        return self._sized(self.candidates(), max_amount_in)
