"""Parameters of the LST de-peg engine, and the liquid staking tokens it monitors by default."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from phantom.core.orders import Route
from phantom.core.token import Token


class RateSource(StrEnum):
    """Where an LST's fair exchange rate is read on chain (see ``venues/solana_accounts``)."""

    SPL_STAKE_POOL = "spl_stake_pool"  # StakePool: total_lamports / pool_token_supply
    MARINADE = "marinade"  # State: msol_price / 2^32


@dataclass(frozen=True, slots=True)
class LstMarket:
    """One monitored LST: its mint, the account holding its rate, and how to decode it."""

    symbol: str
    mint: str
    rate_account: str
    source: RateSource
    decimals: int = 9


# Addresses from reference/domain-facts §5 (SPL stake pool program, Marinade program).
DEFAULT_MARKETS: tuple[LstMarket, ...] = (
    LstMarket(
        "jitoSOL",
        "J1toso1uCk3RLmjorhTtrVwY9HJ7X8V9yYac6Y7kGCPn",
        "Jito4APyf642JPZPx3hGc6WWJ8zPKtRbRs4P815Awbb",
        RateSource.SPL_STAKE_POOL,
    ),
    LstMarket(
        "mSOL",
        "mSoLzYCxHdYgdzU16g5QSh3i5K3z3KZK7ytfqcJm7So",
        "8szGkuLTAux9XMgZ2vtY39jVSowEcpBfFfD8hXSEqdGC",
        RateSource.MARINADE,
    ),
    LstMarket(
        "bSOL",
        "bSo13r4TkiE4KumL71LsHTPpL2euBYLFx6h9HP3piy1",
        "stk9ApL5HeVAwPLr3TLhDXdZS8ptVu7zp6ov8HFDuMi",
        RateSource.SPL_STAKE_POOL,
    ),
)


@dataclass(frozen=True, slots=True)
class LstParams:
    """Buy the LST (``lst``) with its underlying (``underlying``) below fair value, sell on the
    re-peg or after ``max_hold_s``.

    Fair value: the on-chain rate when the mode supplies one (a ``StakeRate`` event); otherwise
    the staking-accrual trend: a robust line through ``log(ratio)`` against time over the trailing
    ``trend_window_s`` seconds of closes, refitted every ``refit_s`` seconds (on a fixed grid of
    epoch seconds) from past closes only and extrapolated to each bar; no fair value before
    ``min_history_s`` seconds of history.

    Entry, at a bar's close, when the discount ``1 - ratio / fair`` exceeds the round trip's
    costs plus ``threshold_bps``: ``2 * fee_bps`` (entry and exit), twice the expected slippage at
    the pool's depth, ``(slippage_base_bps + impact_multiplier * size / pool_depth * 10^4) *
    stress_multiplier`` (de-pegs happen in volatile markets), and twice ``network_cost`` (gas,
    priority fee and tip of one swap, in underlying tokens) over the size.

    - ``position_pct`` of the free underlying is spent, capped at ``max_size`` tokens.
    - Depth gate: no entry when the size exceeds ``max_depth_pct`` percent of ``pool_depth``
      (the pool's liquidity in underlying tokens; also the paper model's ``liquidity_usd`` tag,
      converted at the underlying's USD price).
    - Exit when the discount is at most ``repeg_bps`` (re-peg) or after ``max_hold_s`` seconds.
    - ``slippage_bps``: the bound of every order (``min_amount_out``).
    """

    lst: Token
    underlying: Token
    fee_bps: int = 10
    slippage_base_bps: Decimal = Decimal(5)
    impact_multiplier: Decimal = Decimal("0.05")
    stress_multiplier: Decimal = Decimal(3)
    network_cost: Decimal = Decimal("0.0001")
    threshold_bps: int = 20
    repeg_bps: int = 10
    max_hold_s: float = 3 * 86_400.0
    position_pct: Decimal = Decimal(100)
    max_size: Decimal | None = None
    min_size: Decimal = Decimal("0.01")
    pool_depth: Decimal = Decimal(2_000)
    max_depth_pct: Decimal = Decimal(2)
    trend_window_s: float = 7 * 86_400.0
    min_history_s: float = 2 * 86_400.0
    refit_s: float = 3_600.0
    slippage_bps: int = 300
    route: Route = Route.PRIVATE
    name: str = "lst"

    def __post_init__(self) -> None:
        if self.lst == self.underlying:
            raise ValueError("lst: lst and underlying must differ")
        for name in ("fee_bps", "threshold_bps", "repeg_bps"):
            value = getattr(self, name)
            if not 0 <= value < 10_000:
                raise ValueError(f"lst: {name} must be 0..9999, got {value}")
        if not 0 <= self.slippage_bps <= 10_000:
            raise ValueError(f"lst: slippage_bps must be 0..10000, got {self.slippage_bps}")
        for name in ("slippage_base_bps", "impact_multiplier", "network_cost", "min_size"):
            if getattr(self, name) < 0:
                raise ValueError(f"lst: {name} must be >= 0, got {getattr(self, name)}")
        if self.stress_multiplier < 1:
            raise ValueError(f"lst: stress_multiplier must be >= 1, got {self.stress_multiplier}")
        if not Decimal(0) < self.position_pct <= Decimal(100):
            raise ValueError(f"lst: position_pct must be in (0, 100], got {self.position_pct}")
        if self.max_size is not None and self.max_size <= 0:
            raise ValueError(f"lst: max_size must be > 0, got {self.max_size}")
        if self.pool_depth <= 0:
            raise ValueError(f"lst: pool_depth must be > 0, got {self.pool_depth}")
        if not Decimal(0) < self.max_depth_pct <= Decimal(100):
            raise ValueError(f"lst: max_depth_pct must be in (0, 100], got {self.max_depth_pct}")
        if self.max_hold_s <= 0:
            raise ValueError(f"lst: max_hold_s must be > 0, got {self.max_hold_s}")
        if not 0 < self.refit_s <= self.min_history_s <= self.trend_window_s:
            raise ValueError(
                "lst: need 0 < refit_s <= min_history_s <= trend_window_s, got "
                f"{self.refit_s}, {self.min_history_s}, {self.trend_window_s}"
            )
