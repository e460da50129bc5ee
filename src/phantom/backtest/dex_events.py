"""Recorded Uniswap V3 pool events (``*.pool.tick.csv``) and the pool states they imply.

File format (the demeter-fetch "tick" export, see ``../shared/data/README.md``): one row per pool
event with ``block_number, block_timestamp, tx_type (SWAP|MINT|BURN|COLLECT), log_index, amount0,
amount1, total_liquidity, sqrtPriceX96, current_tick, tick_lower, tick_upper, liquidity``. Files
are named ``<chain>-<pool address>-<date>.pool.tick.csv``; a pool's fee tier comes from
:data:`KNOWN_POOLS` or from the caller.

What can be reconstructed (and what cannot) is in ``docs/dex-replay.md``; in short:

* after every SWAP the price, tick and in-range liquidity are the recorded ones (exact);
* a MINT or BURN whose range holds the current tick changes the in-range liquidity by its
  ``liquidity`` (the data set's own ``total_liquidity`` on those rows is derived and sometimes
  stale, so it is not used); COLLECT changes nothing;
* the tick map (``liquidityNet`` per initialized tick) is not in the data. Only ticks whose
  absolute net a recorded swap revealed are known (see :class:`PoolTracker`); any other tick is
  treated as uninitialized, i.e. the in-range liquidity is assumed to extend until the next known
  tick. Before a pool's first SWAP its state is unknown and its events are skipped.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from phantom.amm.concentrated import swap_exact_in, swap_exact_out
from phantom.amm.errors import InsufficientLiquidity
from phantom.core.pool import ConcentratedPool
from phantom.core.token import Token

USDC = Token("USDC", 6, chain="ethereum", address="0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
WETH = Token("WETH", 18, chain="ethereum", address="0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
# pool address -> (token0, token1, fee ppm)
KNOWN_POOLS: Mapping[str, tuple[Token, Token, int]] = {
    "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640": (USDC, WETH, 500),
    "0x8ad599c3a0ff1de082011efddc58f1908eb6e6d8": (USDC, WETH, 3000),
}
TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10_000: 200}  # Uniswap V3's fee tiers
LOG_INDEX_S = 1e-6  # events of one block are spread by log index, 1 µs apart
MAX_CANDIDATES = 64  # crossings with more candidate ticks are not located
FILE_RE = re.compile(r"^(?P<chain>[a-z0-9_]+)-(?P<address>0x[0-9a-fA-F]{40})-.*\.pool\.tick\.csv$")
REQUIRED = (
    "block_number",
    "block_timestamp",
    "tx_type",
    "log_index",
    "amount0",
    "amount1",
    "total_liquidity",
    "sqrtPriceX96",
    "current_tick",
    "tick_lower",
    "tick_upper",
    "liquidity",
)


class DexDataError(ValueError):
    """A recorded DEX file is missing, malformed or out of order (names the file and row)."""


@dataclass(frozen=True, slots=True)
class PoolFile:
    address: str
    token0: Token
    token1: Token
    fee_ppm: int
    tick_spacing: int
    path: Path

    @property
    def label(self) -> str:
        return f"{self.token0.symbol}/{self.token1.symbol} {self.fee_ppm / 10_000:g}%"


@dataclass(frozen=True, slots=True)
class PoolEvent:
    """One recorded event. ``sqrt_price``, ``tick`` and ``liquidity_after`` are the pool state
    after a SWAP; ``position_liquidity`` and the ticks are a MINT/BURN's position."""

    pool: str
    block: int
    log_index: int
    ts: float
    kind: str
    amount0: int
    amount1: int
    sqrt_price: int
    tick: int
    liquidity_after: int
    tick_lower: int | None
    tick_upper: int | None
    position_liquidity: int


def discover(data_dir: Path, fees: Mapping[str, int] | None = None) -> list[PoolFile]:
    """The ``*.pool.tick.csv`` files of ``data_dir``, with each pool's tokens and fee tier."""
    if not data_dir.is_dir():
        raise DexDataError(f"{data_dir}: not a directory")
    found: list[PoolFile] = []
    for path in sorted(data_dir.glob("*.pool.tick.csv")):
        m = FILE_RE.match(path.name)
        if m is None:
            raise DexDataError(f"{path}: expected <chain>-<pool address>-<date>.pool.tick.csv")
        address = m["address"].lower()
        known = KNOWN_POOLS.get(address)
        fee = (fees or {}).get(address, known[2] if known else None)
        if fee is None or fee not in TICK_SPACING:
            raise DexDataError(
                f"{path}: pool {address} has no known fee tier; pass fees={{address: ppm}} "
                f"with one of {sorted(TICK_SPACING)}"
            )
        token0, token1 = (known[0], known[1]) if known else (USDC, WETH)
        found.append(PoolFile(address, token0, token1, fee, TICK_SPACING[fee], path))
    if not found:
        raise DexDataError(f"{data_dir}: no *.pool.tick.csv file")
    return found


def _int(raw: str) -> int:
    return int(raw.split(".", 1)[0]) if "." in raw else int(raw)


def _opt(raw: str) -> int | None:
    return _int(raw) if raw else None


def _ts(raw: str) -> float:
    return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()


def read_events(pool: PoolFile) -> list[PoolEvent]:
    """Every event of one file, checked for columns, values and (block, log index) order."""
    events: list[PoolEvent] = []
    with pool.path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            raise DexDataError(f"{pool.path}: missing column(s) {', '.join(missing)}")
        last = (-1, -1)
        for row_no, row in enumerate(reader, start=2):
            try:
                kind = row["tx_type"]
                swap = kind == "SWAP"
                ev = PoolEvent(
                    pool=pool.address,
                    block=int(row["block_number"]),
                    log_index=int(row["log_index"]),
                    ts=_ts(row["block_timestamp"]) + int(row["log_index"]) * LOG_INDEX_S,
                    kind=kind,
                    amount0=int(row["amount0"]),
                    amount1=int(row["amount1"]),
                    sqrt_price=int(row["sqrtPriceX96"]) if swap else 0,
                    tick=_int(row["current_tick"]) if swap else 0,
                    liquidity_after=int(row["total_liquidity"]) if swap else 0,
                    tick_lower=_opt(row["tick_lower"]),
                    tick_upper=_opt(row["tick_upper"]),
                    position_liquidity=_int(row["liquidity"]) if row["liquidity"] else 0,
                )
            except (ValueError, KeyError) as exc:
                raise DexDataError(f"{pool.path}:{row_no}: bad value ({exc})") from None
            if kind not in ("SWAP", "MINT", "BURN", "COLLECT"):
                raise DexDataError(f"{pool.path}:{row_no}: unknown tx_type {kind!r}")
            if (ev.block, ev.log_index) <= last:
                raise DexDataError(
                    f"{pool.path}:{row_no}: block {ev.block} log {ev.log_index} is not after "
                    f"block {last[0]} log {last[1]} (unsorted or duplicated)"
                )
            if kind in ("MINT", "BURN") and (ev.tick_lower is None or ev.tick_upper is None):
                raise DexDataError(f"{pool.path}:{row_no}: {kind} without tick_lower/tick_upper")
            if swap and (ev.sqrt_price <= 0 or ev.liquidity_after < 0):
                raise DexDataError(f"{pool.path}:{row_no}: SWAP with a non-positive price")
            last = (ev.block, ev.log_index)
            events.append(ev)
    return events


def merged_events(pools: Iterable[PoolFile]) -> list[PoolEvent]:
    """The events of every pool in chain order: block, then log index."""
    events = [ev for pool in pools for ev in read_events(pool)]
    events.sort(key=lambda e: (e.block, e.log_index, e.pool))
    return events


class PoolTracker:
    """One pool's recorded state and what is known of its tick map.

    ``known`` holds absolute ``liquidityNet`` values revealed by swaps whose recorded liquidity
    changed: the change is the net of the ticks crossed; when exactly one tick multiple lies in
    the crossed range (after the known ones are taken out) it is that tick's net, otherwise the
    candidate that makes our swap maths reproduce the recorded swap exactly is taken. MINT/BURN
    keep known ticks current.
    """

    def __init__(self, pool: PoolFile) -> None:
        self.meta = pool
        self.pool_id = pool.address
        self.state: tuple[int, int, int] | None = None  # sqrt price, tick, in-range liquidity
        self.known: dict[int, int] = {}
        self.stats: Counter[str] = Counter()

    def apply(self, ev: PoolEvent) -> ConcentratedPool | None:
        """Apply one event; the new snapshot, or ``None`` when nothing observable changed."""
        self.stats[f"events_{ev.kind.lower()}"] += 1
        if ev.kind == "SWAP":
            before, self.state = self.state, (ev.sqrt_price, ev.tick, ev.liquidity_after)
            if before is not None and before[2] != ev.liquidity_after:
                self._locate(before, ev)
            return self.snapshot()
        if ev.kind not in ("MINT", "BURN") or ev.position_liquidity == 0:
            return None
        assert ev.tick_lower is not None and ev.tick_upper is not None
        delta = ev.position_liquidity if ev.kind == "MINT" else -ev.position_liquidity
        changed = False
        for t, sign in ((ev.tick_lower, 1), (ev.tick_upper, -1)):
            if t in self.known:
                self.known[t] += sign * delta
                changed = True
        if self.state is None:
            self.stats["skipped_before_first_swap"] += 1
            return None
        sqrt, tick, liquidity = self.state
        if ev.tick_lower <= tick < ev.tick_upper:
            self.state = (sqrt, tick, max(0, liquidity + delta))
            changed = True
        return self.snapshot() if changed else None

    def snapshot(self) -> ConcentratedPool:
        assert self.state is not None
        sqrt, tick, liquidity = self.state
        nets = consistent_nets(self.known, tick, liquidity)
        token0, token1 = self.meta.token0, self.meta.token1
        return ConcentratedPool(
            self.pool_id, "uniswap_v3", token0, token1, sqrt, tick, liquidity,
            self.meta.fee_ppm, self.meta.tick_spacing, tuple(sorted(nets)), nets,
        )  # fmt: skip

    # --- tick map ---
    def _locate(self, before: tuple[int, int, int], ev: PoolEvent) -> None:
        sqrt0, tick0, liq0 = before
        zero_for_one = ev.amount0 > 0
        spacing = self.meta.tick_spacing
        net_total = liq0 - ev.liquidity_after if zero_for_one else ev.liquidity_after - liq0
        lo, hi = (ev.tick, tick0) if zero_for_one else (tick0, ev.tick)
        first = -(-(lo + 1) // spacing) * spacing  # crossed ticks t: lo < t <= hi
        candidates = range(first, hi + 1, spacing)
        known = {t: self.known[t] for t in candidates if t in self.known}
        residual = net_total - sum(known.values())
        unknown = [t for t in candidates if t not in known]
        if residual == 0:
            self.stats["crossings_consistent"] += 1
            return
        if len(unknown) == 1:
            self.known[unknown[0]] = residual
            self.stats["crossings_located"] += 1
            return
        if not unknown or len(unknown) > MAX_CANDIDATES:
            self.stats["crossings_unlocated"] += 1
            return
        amount_in, amount_out = (
            (ev.amount0, -ev.amount1) if zero_for_one else (ev.amount1, -ev.amount0)
        )
        for t in unknown:
            nets = {**known, t: residual}
            pool = ConcentratedPool(
                "locate", "uniswap_v3", self.meta.token0, self.meta.token1, sqrt0, tick0, liq0,
                self.meta.fee_ppm, spacing, tuple(sorted(nets)), nets,
            )  # fmt: skip
            if _reproduces(pool, zero_for_one, amount_in, amount_out, ev):
                self.known[t] = residual
                self.stats["crossings_located_by_maths"] += 1
                return
        self.stats["crossings_unlocated"] += 1


def _reproduces(
    pool: ConcentratedPool, zero_for_one: bool, amount_in: int, amount_out: int, ev: PoolEvent
) -> bool:
    """Whether our maths on ``pool`` gives the recorded swap exactly (exact-in, exact-out, or
    exact-in stopped at the recorded price as a limit)."""
    want = (amount_in, amount_out, ev.sqrt_price, ev.liquidity_after)
    for mode in ("exact_in", "exact_out", "price_limit"):
        try:
            if mode == "exact_in":
                r = swap_exact_in(pool, zero_for_one, amount_in)
            elif mode == "exact_out":
                r = swap_exact_out(pool, zero_for_one, amount_out)
            else:
                r = swap_exact_in(pool, zero_for_one, amount_in, ev.sqrt_price)
        except (InsufficientLiquidity, ValueError):
            continue
        after = r.pool_after
        assert isinstance(after, ConcentratedPool)
        if (r.amount_in, r.amount_out, after.sqrt_price_x96, after.liquidity) == want:
            return True
    return False


def consistent_nets(known: Mapping[int, int], tick: int, liquidity: int) -> dict[int, int]:
    """The known ticks a swap may cross without the liquidity going negative: walking away
    from ``tick`` in each direction, the first tick that would make it negative (a sign that an
    unknown tick lies between) and every tick beyond it are left out."""
    nets: dict[int, int] = {}
    running = liquidity
    for t in sorted(t for t in known if t > tick):
        running += known[t]
        if running < 0:
            break
        nets[t] = known[t]
    running = liquidity
    for t in sorted((t for t in known if t <= tick), reverse=True):
        running -= known[t]
        if running < 0:
            break
        nets[t] = known[t]
    return {t: n for t, n in nets.items() if n != 0}
