"""EIP-1559 fee pricing from ``eth_feeHistory``, bounded by caps (abort rather than overpay).

Rule (domain reference §6): the effective gas price is ``min(maxFee, baseFee + tip)``; the base
fee moves at most 12.5% a block, so ``maxFee = 2 × baseFee + tip`` stays valid for about six full
blocks. Here:

* ``base`` = the base fee of the pending block (the last ``baseFeePerGas`` entry); above
  ``max_base_fee`` -> :class:`FeeCapExceeded`, nothing is sent.
* ``tip`` = the median, over non-empty blocks of the window, of the ``reward_percentile``-th
  reward; raised to the floor (policy floor, and the chain's, e.g. Polygon's 25 gwei), then
  clamped to ``max_priority_fee`` (a floor above the cap -> :class:`FeeCapExceeded`, it could
  never land). Zero on chains whose sequencer ignores tips (Arbitrum).
* ``maxFee = min(multiplier × base, max_base_fee) + tip``: never above what the caps allow.

Replacement (same nonce): BOTH fields at least ``old × (100 + bump)/100`` and at least +1 wei
(geth's default ``--txpool.pricebump`` is 10), and no lower than a fresh quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from statistics import median_low
from typing import TYPE_CHECKING

from phantom.venues.evm.chains import GWEI, Chain
from phantom.venues.evm.errors import FeeCapExceeded
from phantom.venues.evm.models import FeeHistory

if TYPE_CHECKING:
    from phantom.venues.evm.rpc import RpcClient

MIN_REPLACEMENT_BUMP_PCT = 10


def gwei_to_wei(value: Decimal | int | str | float, *, name: str = "value") -> int:
    """Exact gwei -> wei (``"0.01"`` -> 10_000_000). Fractions of a wei are an error."""
    try:
        dec = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{name}: not a number: {value!r}") from None
    if not dec.is_finite() or dec < 0:
        raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
    wei = dec * GWEI
    if wei != wei.to_integral_value():
        raise ValueError(f"{name}: {value} gwei is not a whole number of wei")
    return int(wei)


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """Fee caps and pricing knobs, in wei. Build from settings with :meth:`from_gwei`."""

    max_base_fee_wei: int
    max_priority_fee_wei: int
    reward_percentile: float = 50.0
    history_blocks: int = 10
    base_fee_multiplier: int = 2
    min_priority_fee_wei: int = 0

    def __post_init__(self) -> None:
        if self.max_base_fee_wei < 0 or self.max_priority_fee_wei < 0:
            raise ValueError("fee caps must be >= 0")
        if not 0 <= self.reward_percentile <= 100:
            raise ValueError(f"reward_percentile must be 0..100, got {self.reward_percentile}")
        if not 1 <= self.history_blocks <= 1024:
            raise ValueError(f"history_blocks must be 1..1024, got {self.history_blocks}")
        if self.base_fee_multiplier < 1:
            raise ValueError(f"base_fee_multiplier must be >= 1, got {self.base_fee_multiplier}")
        if self.min_priority_fee_wei < 0:
            raise ValueError("min_priority_fee_wei must be >= 0")

    @classmethod
    def from_gwei(
        cls,
        max_base_fee_gwei: Decimal | int | str | float,
        max_priority_fee_gwei: Decimal | int | str | float,
        *,
        reward_percentile: float = 50.0,
        history_blocks: int = 10,
        base_fee_multiplier: int = 2,
        min_priority_fee_gwei: Decimal | int | str | float = 0,
    ) -> FeePolicy:
        return cls(
            max_base_fee_wei=gwei_to_wei(max_base_fee_gwei, name="max_base_fee_gwei"),
            max_priority_fee_wei=gwei_to_wei(max_priority_fee_gwei, name="max_priority_fee_gwei"),
            reward_percentile=reward_percentile,
            history_blocks=history_blocks,
            base_fee_multiplier=base_fee_multiplier,
            min_priority_fee_wei=gwei_to_wei(min_priority_fee_gwei, name="min_priority_fee_gwei"),
        )

    @property
    def max_fee_ceiling_wei(self) -> int:
        """The highest ``maxFeePerGas`` the caps allow: max base fee + max tip."""
        return self.max_base_fee_wei + self.max_priority_fee_wei


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """The two EIP-1559 fee fields of a type-2 transaction, with the base fee they assumed."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    base_fee_wei: int = 0

    def __post_init__(self) -> None:
        if self.max_priority_fee_per_gas < 0 or self.max_fee_per_gas < 0:
            raise ValueError("fees must be >= 0")
        if self.max_priority_fee_per_gas > self.max_fee_per_gas:
            raise ValueError("maxPriorityFeePerGas must be <= maxFeePerGas")


def suggested_tip(history: FeeHistory) -> int:
    """Median of the first requested reward percentile over non-empty blocks (0 if none)."""
    rewards = history.reward or []
    tips = [
        row[0]
        for row, ratio in zip(rewards, history.gas_used_ratio, strict=False)
        if row and ratio > 0
    ]
    return int(median_low(tips)) if tips else 0


def price_fees(history: FeeHistory, policy: FeePolicy, chain: Chain | None = None) -> FeeQuote:
    """Fee fields for the next block, or :class:`FeeCapExceeded`. Pure."""
    base = 0 if chain is not None and chain.base_fee_zero else history.next_base_fee
    if base > policy.max_base_fee_wei:
        raise FeeCapExceeded("base fee", base, policy.max_base_fee_wei)
    if chain is not None and chain.priority_fee_ignored:
        tip = 0
    else:
        floor = max(policy.min_priority_fee_wei, chain.min_priority_fee_wei if chain else 0)
        if floor > policy.max_priority_fee_wei:
            raise FeeCapExceeded("priority fee floor", floor, policy.max_priority_fee_wei)
        tip = min(max(suggested_tip(history), floor), policy.max_priority_fee_wei)
    headroom = min(policy.base_fee_multiplier * base, policy.max_base_fee_wei)
    return FeeQuote(max_fee_per_gas=headroom + tip, max_priority_fee_per_gas=tip, base_fee_wei=base)


def bump(value: int, pct: int) -> int:
    """``value × (100 + pct) / 100`` rounded up, and at least ``value + 1``."""
    return max(-(-value * (100 + pct) // 100), value + 1)


def replacement_fees(
    old: FeeQuote,
    policy: FeePolicy,
    *,
    bump_pct: int = MIN_REPLACEMENT_BUMP_PCT,
    fresh: FeeQuote | None = None,
) -> FeeQuote:
    """Fees for a same-nonce replacement: both fields bumped >= ``bump_pct``% (and +1 wei), no
    lower than ``fresh``; :class:`FeeCapExceeded` if that passes the tip cap or the max-fee
    ceiling (``max_base_fee + max_priority_fee``)."""
    if bump_pct < MIN_REPLACEMENT_BUMP_PCT:
        raise ValueError(
            f"bump_pct must be >= {MIN_REPLACEMENT_BUMP_PCT} (nodes reject smaller replacement "
            f"bumps as underpriced), got {bump_pct}"
        )
    tip = bump(old.max_priority_fee_per_gas, bump_pct)
    max_fee = bump(old.max_fee_per_gas, bump_pct)
    base = old.base_fee_wei
    if fresh is not None:
        tip = max(tip, fresh.max_priority_fee_per_gas)
        max_fee = max(max_fee, fresh.max_fee_per_gas)
        base = fresh.base_fee_wei
    if tip > policy.max_priority_fee_wei:
        raise FeeCapExceeded("replacement priority fee", tip, policy.max_priority_fee_wei)
    if max_fee > policy.max_fee_ceiling_wei:
        raise FeeCapExceeded("replacement max fee", max_fee, policy.max_fee_ceiling_wei)
    return FeeQuote(max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip, base_fee_wei=base)


async def fetch_fees(rpc: RpcClient, policy: FeePolicy, chain: Chain | None = None) -> FeeQuote:
    """Read ``eth_feeHistory`` over ``policy.history_blocks`` and price the next block."""
    history = await rpc.fee_history(policy.history_blocks, "latest", [policy.reward_percentile])
    return price_fees(history, policy, chain)
