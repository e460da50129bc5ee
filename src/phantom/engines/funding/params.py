"""Parameters of the funding (delta-neutral) engine. Every one is a setting with this default."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from phantom.core.orders import Route
from phantom.core.token import Token

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FundingCosts:
    """What the engine expects each kind of trade to cost (the safety gate's inputs).

    - ``spot_fee_bps`` / ``spot_slippage_bps``: per spot swap, of its notional (on-chain the LP
      fee sits inside the slippage figure of the paper model; a CEX spot leg has a fee).
    - ``perp_fee_bps`` / ``perp_slippage_bps``: per perp order (taker fee; fill vs. mark).
    - ``network_usd``: network fees of one on-chain transaction (spot swap, margin transfer).
    - ``expected_rebalances``: rebalances expected over the holding horizon, each trading
      ``rebalance_size_pct`` % of the hedge on the perp leg.
    """

    spot_fee_bps: Decimal = _ZERO
    spot_slippage_bps: Decimal = Decimal(30)
    perp_fee_bps: Decimal = Decimal(5)
    perp_slippage_bps: Decimal = Decimal(2)
    network_usd: Decimal = Decimal("0.01")
    expected_rebalances: int = 4
    rebalance_size_pct: Decimal = Decimal(2)

    def __post_init__(self) -> None:
        for name in (
            "spot_fee_bps",
            "spot_slippage_bps",
            "perp_fee_bps",
            "perp_slippage_bps",
            "network_usd",
            "rebalance_size_pct",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"funding costs: {name} must be >= 0, got {getattr(self, name)}")
        if self.expected_rebalances < 0:
            raise ValueError("funding costs: expected_rebalances must be >= 0")


@dataclass(frozen=True, slots=True)
class FundingParams:
    """Rules of the funding engine (see ``docs/engines/funding.md``).

    Instrument: ``base`` (held spot, shorted perp), ``quote`` (cash and perp collateral),
    ``market`` (the perp symbol, e.g. ``SOL/USDT:USDT``), ``spot_pool`` (the spot venue's id).

    Sizing: ``capital_pct`` % of the free quote balance is deployed, capped at
    ``max_notional_usd``; ``perp_leverage`` = perp notional / perp collateral at entry, so the
    spot notional is ``capital / (1 + 1 / perp_leverage)``. Below ``min_notional_usd`` nothing
    opens.

    Entry (the safety gate): the expected rate is the mean of the last ``lookback_prints``
    prints and the last ``confirm_prints`` must all be positive; the expected funding over
    ``horizon_h`` hours must exceed every cost (``costs``) by ``min_edge_bps`` of the notional
    and by ``min_profit_usd``. No entry within ``reentry_cooldown_h`` hours of an exit.

    Holding: rebalance the perp leg when ``|spot + perp| / hedge`` exceeds
    ``rebalance_threshold_pct`` % (and the order is at least ``min_perp_order_usd``); when
    health drops below ``health_reduce_pct`` %, shrink both legs and move the spot proceeds to
    the perp collateral so the account is back at ``perp_leverage``; below ``health_exit_pct``
    % close everything. When the price fell and the collateral holds more than the leverage
    needs, the excess goes back into a bigger hedge once it reaches ``relever_min_pct`` % of the
    hedge and the safety gate passes for the added notional (``None``: never).

    Exit: funding negative for ``negative_exit_h`` hours in a row, or a single print whose APR
    is below ``-hard_exit_apr_pct`` %.

    Orders: spot swaps enforce ``spot_slippage_bound_bps`` (``min_amount_out``), go by
    ``route`` and carry the ``liquidity_usd`` tag for the paper model when set.
    """

    base: Token
    quote: Token
    market: str
    spot_pool: str = ""
    name: str = "funding"
    capital_pct: Decimal = Decimal(95)
    max_notional_usd: Decimal | None = None
    min_notional_usd: Decimal = Decimal(20)
    perp_leverage: Decimal = Decimal(2)
    lookback_prints: int = 21
    confirm_prints: int = 3
    horizon_h: float = 30 * 24.0
    min_edge_bps: Decimal = Decimal(10)
    min_profit_usd: Decimal = Decimal(1)
    reentry_cooldown_h: float = 24.0
    rebalance_threshold_pct: Decimal = Decimal(1)
    min_perp_order_usd: Decimal = Decimal(5)
    health_reduce_pct: Decimal = Decimal(60)
    health_exit_pct: Decimal = Decimal(25)
    relever_min_pct: Decimal | None = Decimal(20)
    negative_exit_h: float = 24.0
    hard_exit_apr_pct: Decimal = Decimal(50)
    spot_slippage_bound_bps: int = 150
    route: Route = Route.PRIVATE
    liquidity_usd: Decimal | None = None
    costs: FundingCosts = FundingCosts()

    def __post_init__(self) -> None:
        if self.base == self.quote:
            raise ValueError("funding: base and quote must differ")
        if not self.market:
            raise ValueError("funding: market (the perp symbol) must not be empty")
        if not _ZERO < self.capital_pct <= Decimal(100):
            raise ValueError(f"funding: capital_pct must be in (0, 100], got {self.capital_pct}")
        if self.max_notional_usd is not None and self.max_notional_usd <= 0:
            raise ValueError("funding: max_notional_usd must be > 0")
        if self.perp_leverage < 1:
            raise ValueError(f"funding: perp_leverage must be >= 1, got {self.perp_leverage}")
        if self.lookback_prints < 1 or not 1 <= self.confirm_prints <= self.lookback_prints:
            raise ValueError("funding: need 1 <= confirm_prints <= lookback_prints")
        if self.horizon_h <= 0:
            raise ValueError("funding: horizon_h must be > 0")
        if not _ZERO <= self.health_exit_pct < self.health_reduce_pct < Decimal(100):
            raise ValueError(
                "funding: need 0 <= health_exit_pct < health_reduce_pct < 100, got "
                f"{self.health_exit_pct} and {self.health_reduce_pct}"
            )
        if self.relever_min_pct is not None and self.relever_min_pct <= 0:
            raise ValueError("funding: relever_min_pct must be > 0 (or None to disable)")
        if self.rebalance_threshold_pct <= 0:
            raise ValueError("funding: rebalance_threshold_pct must be > 0")
        if self.negative_exit_h < 0 or self.reentry_cooldown_h < 0:
            raise ValueError("funding: negative_exit_h and reentry_cooldown_h must be >= 0")
        if self.hard_exit_apr_pct <= 0:
            raise ValueError("funding: hard_exit_apr_pct must be > 0")
        if not 0 <= self.spot_slippage_bound_bps <= 10_000:
            raise ValueError("funding: spot_slippage_bound_bps must be 0..10000")
        if self.liquidity_usd is not None and self.liquidity_usd <= 0:
            raise ValueError("funding: liquidity_usd must be > 0")

    @property
    def pool_id(self) -> str:
        return self.spot_pool or f"spot:{self.base.symbol}/{self.quote.symbol}"
