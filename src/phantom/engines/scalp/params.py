"""Parameters of the multi-pod scalp engine: one :class:`PodParams` per sub-strategy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from phantom.core.orders import Route
from phantom.core.token import Token

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class PodParams:
    """One pod: a momentum entry rule, its exits, its sizing and its share of the capital.

    Entry, at a bar's close, when all of these hold (a rule set to 0 is off):

    - ``lookback_bars`` / ``entry_return_pct``: the close rose at least this much (percent)
      over the last ``lookback_bars`` bars (``close[i] / close[i - lookback] - 1``);
    - ``breakout_bars``: the close is above the highest high of the previous ``breakout_bars``
      bars;
    - ``volume_bars`` / ``volume_mult``: the bar's volume is at least ``volume_mult`` times the
      mean volume of the previous ``volume_bars`` bars.

    Exits, at the first bar close after the entry filled where (checked in this order):

    - ``stop_loss_pct``: the close is at or below the entry price minus this percent;
    - ``take_profit_pct``: the close is at or above the entry price plus this percent;
    - ``max_hold_s``: this many seconds have passed since the entry filled (time stop).

    Sizing: the pod risks ``risk_pct`` percent of its own equity on a trade, i.e. it spends
    ``equity * risk_pct / stop_loss_pct`` (a loss of ``risk_pct`` at the stop), capped by its
    free cash. ``share_pct`` is the pod's share of the engine's capital. ``cooldown_s``: no new
    entry this long after an exit.
    """

    name: str
    share_pct: Decimal
    lookback_bars: int
    entry_return_pct: float
    take_profit_pct: float
    stop_loss_pct: float
    max_hold_s: float
    risk_pct: Decimal = Decimal(1)
    breakout_bars: int = 0
    volume_bars: int = 0
    volume_mult: float = 0.0
    cooldown_s: float = 0.0

    def __post_init__(self) -> None:
        n = f"scalp pod {self.name!r}"
        if not self.name or any(c in self.name for c in " =,"):
            raise ValueError(f"{n}: name must be non-empty, without spaces, '=' or ','")
        if not Decimal(0) < self.share_pct <= _HUNDRED:
            raise ValueError(f"{n}: share_pct must be in (0, 100], got {self.share_pct}")
        if self.lookback_bars < 1:
            raise ValueError(f"{n}: lookback_bars must be >= 1, got {self.lookback_bars}")
        if self.breakout_bars < 0 or self.volume_bars < 0:
            raise ValueError(f"{n}: breakout_bars and volume_bars must be >= 0")
        if self.volume_mult < 0 or (self.volume_mult > 0) != (self.volume_bars > 0):
            raise ValueError(f"{n}: volume_mult > 0 needs volume_bars > 0 and the reverse")
        if not 0 < self.take_profit_pct < 1000:
            raise ValueError(
                f"{n}: take_profit_pct must be in (0, 1000), got {self.take_profit_pct}"
            )
        if not 0 < self.stop_loss_pct < 100:
            raise ValueError(f"{n}: stop_loss_pct must be in (0, 100), got {self.stop_loss_pct}")
        if self.max_hold_s <= 0:
            raise ValueError(f"{n}: max_hold_s must be > 0, got {self.max_hold_s}")
        if not Decimal(0) < self.risk_pct <= _HUNDRED:
            raise ValueError(f"{n}: risk_pct must be in (0, 100], got {self.risk_pct}")
        if self.cooldown_s < 0:
            raise ValueError(f"{n}: cooldown_s must be >= 0, got {self.cooldown_s}")

    @property
    def warmup_bars(self) -> int:
        """Bars of history the entry rule needs before the current one."""
        return max(self.lookback_bars, self.breakout_bars, self.volume_bars)


# Three pods tuned for a volatile token on 3-5 minute bars: a quick burst, a breakout with a
# volume surge, and a slower trend follower. Shares add up to 100 percent.
DEFAULT_PODS: tuple[PodParams, ...] = (
    PodParams(
        name="burst",
        share_pct=Decimal(30),
        lookback_bars=3,
        entry_return_pct=2.0,
        take_profit_pct=2.5,
        stop_loss_pct=1.5,
        max_hold_s=1800.0,
        risk_pct=Decimal(1),
        cooldown_s=900.0,
    ),
    PodParams(
        name="breakout",
        share_pct=Decimal(40),
        lookback_bars=1,
        entry_return_pct=0.5,
        take_profit_pct=4.0,
        stop_loss_pct=2.0,
        max_hold_s=3600.0,
        risk_pct=Decimal(1),
        breakout_bars=24,
        volume_bars=24,
        volume_mult=3.0,
        cooldown_s=1800.0,
    ),
    PodParams(
        name="trend",
        share_pct=Decimal(30),
        lookback_bars=12,
        entry_return_pct=4.0,
        take_profit_pct=6.0,
        stop_loss_pct=3.0,
        max_hold_s=7200.0,
        risk_pct=Decimal(1),
        cooldown_s=3600.0,
    ),
)


@dataclass(frozen=True, slots=True)
class ScalpParams:
    """The engine: long-only spot scalping of ``base`` against ``quote`` by several pods.

    - ``pods``: the sub-strategies (distinct names; shares add up to at most 100 percent).
    - ``slippage_bps``: the slippage bound of every order (``min_amount_out``); meme tokens need
      a wide one.
    - ``liquidity_usd``: the pool's liquidity for the paper model's dynamic slippage model
      (the ``liquidity_usd=<n>`` tag; thin for a meme token). ``None``: no tag.
    - ``min_notional_usd``: an entry smaller than this is skipped; ``max_notional_usd``: cap of
      one entry (``None``: no cap).
    - A failed, partial or rejected exit is re-sent at the next bar's close, for as long as it
      takes: a position is never abandoned.
    """

    base: Token
    quote: Token
    pods: tuple[PodParams, ...] = DEFAULT_PODS
    slippage_bps: int = 500
    liquidity_usd: Decimal | None = None
    min_notional_usd: Decimal = Decimal(5)
    max_notional_usd: Decimal | None = None
    route: Route = Route.PUBLIC
    name: str = "scalp"

    def __post_init__(self) -> None:
        if not self.pods:
            raise ValueError("scalp: at least one pod")
        names = [p.name for p in self.pods]
        if len(set(names)) != len(names):
            raise ValueError(f"scalp: pod names must be distinct, got {names}")
        total = sum((p.share_pct for p in self.pods), Decimal(0))
        if total > _HUNDRED:
            raise ValueError(f"scalp: pod shares add up to {total} percent (> 100)")
        if not 0 <= self.slippage_bps <= 10_000:
            raise ValueError(f"scalp: slippage_bps must be 0..10000, got {self.slippage_bps}")
        if self.liquidity_usd is not None and self.liquidity_usd <= 0:
            raise ValueError(f"scalp: liquidity_usd must be > 0, got {self.liquidity_usd}")
        if self.min_notional_usd < 0:
            raise ValueError(f"scalp: min_notional_usd must be >= 0, got {self.min_notional_usd}")
        if self.max_notional_usd is not None and self.max_notional_usd <= 0:
            raise ValueError(f"scalp: max_notional_usd must be > 0, got {self.max_notional_usd}")
        if self.base == self.quote:
            raise ValueError("scalp: base and quote must differ")
