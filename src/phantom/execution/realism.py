"""The deterministic core of the paper realism model: walking an intent's legs.

No randomness here: :mod:`phantom.execution.paper` draws the random numbers (failure, MEV, partial
fill) and passes them in, so this module is a pure function of (market, intent, draws).

- A leg whose pool is known to the market is executed with the exact curve maths of
  :func:`phantom.amm.swap.swap`.
- A leg whose pool is unknown uses the dynamic slippage model; the intent must then carry a
  ``liquidity_usd=<n>`` tag (the pool's liquidity in USD) and a positive ``notional_usd``.
- A public transaction seen by a sandwich bot gets the optimal sandwich given its slippage bound
  when every leg's reserves are known, else the probabilistic MEV penalty.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.sandwich import Sandwich, best_sandwich
from phantom.amm.swap import fee_of, required_input, spot_price, swap
from phantom.core.orders import OrderIntent, Route, SwapLeg
from phantom.core.pool import Pool
from phantom.core.token import Token
from phantom.execution.params import RealismParams
from phantom.market.state import MarketView

LIQUIDITY_TAG = "liquidity_usd="
PUBLIC_ROUTES = frozenset({Route.PUBLIC, Route.PUBLIC_TIGHT})
PPM = 1_000_000


class RefusedIntent(ValueError):
    """The paper model cannot price this intent (unknown token, missing liquidity figure...)."""

    def __init__(self, intent_id: str, reason: str) -> None:
        super().__init__(f"intent {intent_id} refused: {reason}")
        self.intent_id = intent_id
        self.reason = reason


class PathReverted(Exception):
    """The transaction would revert on-chain (e.g. a pool cannot serve the amount)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OverlayMarket:
    """A :class:`MarketView` whose pools are overridden by ``overlay`` (changes not yet applied by
    the caller, e.g. by earlier fills of the same ``due`` call)."""

    def __init__(self, base: MarketView, overlay: dict[str, Pool] | None = None) -> None:
        self._base = base
        self.overlay: dict[str, Pool] = {} if overlay is None else overlay

    def pool(self, pool_id: str) -> Pool:
        found = self.overlay.get(pool_id)
        return found if found is not None else self._base.pool(pool_id)

    def pools(self) -> Iterator[Pool]:
        seen: set[str] = set()
        for pool in self._base.pools():
            seen.add(pool.pool_id)
            yield self.overlay.get(pool.pool_id, pool)
        for pool_id, pool in self.overlay.items():
            if pool_id not in seen:
                yield pool

    def price_usd(self, token: Token) -> float:
        return self._base.price_usd(token)

    def is_volatile(self) -> bool:
        return self._base.is_volatile()


@dataclass(frozen=True, slots=True)
class MevDraw:
    """What the "mev" stream drew for one intent: whether a bot saw it and the penalty (percent)
    it would take if reserves are unknown. Both are drawn for every intent."""

    seen: bool
    penalty_pct: float


@dataclass(frozen=True, slots=True)
class PathResult:
    """One execution of an intent's legs (before the slippage bound is checked)."""

    amount_in: int
    amount_out: int
    clean_out: int  # the final output had no MEV bot acted
    mid_out: Decimal  # the input at pre-trade mid prices along the legs, output units
    lp_fee_usd: Decimal
    sandwiched: bool
    attacker_profit_usd: Decimal  # 0 unless an exact sandwich was run
    pools_after: tuple[Pool, ...]
    notes: tuple[str, ...]

    @property
    def mev_units(self) -> int:
        """The victim's loss to MEV, in units of the final output token."""
        return max(0, self.clean_out - self.amount_out)


def to_usd(token: Token, units: int, market: MarketView) -> Decimal:
    """``units`` of ``token`` in USD at the market's reference price."""
    return Decimal(units).scaleb(-token.decimals) * Decimal(str(market.price_usd(token)))


def known_pool(market: MarketView, pool_id: str) -> Pool | None:
    try:
        return market.pool(pool_id)
    except KeyError:
        return None


def liquidity_usd_tag(intent: OrderIntent) -> Decimal | None:
    """The ``liquidity_usd=<n>`` tag's value, ``None`` if absent; refuses a malformed one."""
    for tag in intent.tags:
        if tag.startswith(LIQUIDITY_TAG):
            raw = tag[len(LIQUIDITY_TAG) :]
            try:
                value = Decimal(raw)
            except InvalidOperation:
                raise RefusedIntent(intent.intent_id, f"bad tag {tag!r}") from None
            if not value.is_finite() or value <= 0:
                raise RefusedIntent(intent.intent_id, f"tag {tag!r}: liquidity must be > 0")
            return value
    return None


def validate_intent(intent: OrderIntent, market: MarketView, native: Token) -> None:
    """Raise :class:`RefusedIntent` unless the paper model can price ``intent`` on ``market``."""
    tokens = [native, *(t for leg in intent.legs for t in (leg.token_in, leg.token_out))]
    for token in tokens:
        try:
            market.price_usd(token)
        except KeyError:
            raise RefusedIntent(
                intent.intent_id, f"token {token.symbol} is unknown to the market (no USD price)"
            ) from None
    for leg in intent.legs:
        pool = known_pool(market, leg.pool_id)
        if pool is None:
            if liquidity_usd_tag(intent) is None:
                raise RefusedIntent(
                    intent.intent_id,
                    f"pool {leg.pool_id} is unknown to the market and the intent has no "
                    f"'{LIQUIDITY_TAG}<n>' tag for the dynamic slippage model",
                )
            if intent.notional_usd <= 0:
                raise RefusedIntent(
                    intent.intent_id, "the dynamic slippage model needs notional_usd > 0"
                )
        elif leg.token_in not in (pool.token0, pool.token1) or pool.other(leg.token_in) != (
            leg.token_out
        ):
            raise RefusedIntent(
                intent.intent_id,
                f"pool {leg.pool_id} does not trade {leg.token_in.symbol}->{leg.token_out.symbol}",
            )


def all_pools_known(intent: OrderIntent, market: MarketView) -> bool:
    return all(known_pool(market, leg.pool_id) is not None for leg in intent.legs)


def first_leg_min_out(
    market: MarketView, later_legs: Sequence[SwapLeg], min_out: int
) -> int | None:
    """Translate a bound on the final output into a bound on the first leg's output: the input
    the later legs need (at the market's state) to return ``min_out``. ``None`` if no input can."""
    need = min_out
    for leg in reversed(later_legs):
        if need <= 0:
            return 0
        try:
            need = required_input(market.pool(leg.pool_id), leg.token_in, need)
        except InsufficientLiquidity:
            return None
    return max(need, 0)


def optimal_sandwich(
    market: MarketView, intent: OrderIntent, amount_in: int, min_out: int
) -> Sandwich | None:
    """The attacker's optimal sandwich of the first leg, given the intent's final-output bound.
    Every leg's pool must be known to ``market``."""
    first_min = first_leg_min_out(market, intent.legs[1:], min_out)
    if first_min is None:
        return None
    leg = intent.legs[0]
    try:
        return best_sandwich(market.pool(leg.pool_id), leg.token_in, amount_in, first_min)
    except InsufficientLiquidity:
        return None


def dynamic_slippage(
    params: RealismParams, size_usd: Decimal, liquidity_usd: Decimal, volatile: bool
) -> Decimal:
    """The dynamic model's slippage as a fraction (0.004 is 0.4 %)."""
    base = Decimal(str(params.slippage_base_pct)) / 100
    impact = Decimal(str(params.slippage_impact_multiplier)) * size_usd / liquidity_usd
    mult = Decimal(str(params.slippage_volatility_multiplier)) if volatile else Decimal(1)
    return (base + impact) * mult


@dataclass(slots=True)
class _Walk:
    amount_out: int = 0
    fee_usd: Decimal = Decimal(0)
    pools: dict[str, Pool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mid_out: Decimal = Decimal(0)  # the input carried at pre-trade mid prices, output units


def _walk(
    market: MarketView,
    intent: OrderIntent,
    params: RealismParams,
    amount_in: int,
    first: tuple[int, Pool, int] | None = None,
) -> _Walk:
    """Execute the legs in order; ``first`` = (output, pool after, fee units) replaces leg 0."""
    walk = _Walk()
    amount = amount_in
    mid = Decimal(amount_in)
    for leg in intent.legs:
        mid = _mid_convert(market, leg, mid)
    walk.mid_out = mid
    for index, leg in enumerate(intent.legs):
        if index == 0 and first is not None:
            amount, pool_after, fee_units = first
            walk.pools[leg.pool_id] = pool_after
            walk.fee_usd += to_usd(leg.token_in, fee_units, market)
            continue
        pool = walk.pools.get(leg.pool_id)
        if pool is None:
            pool = known_pool(market, leg.pool_id)
        if pool is None:
            amount = _dynamic_leg(market, intent, params, leg, amount, walk.notes)
            continue
        try:
            result = swap(pool, leg.token_in, amount)
        except InsufficientLiquidity as exc:
            raise PathReverted(f"insufficient liquidity in {leg.pool_id}: {exc}") from None
        if result.amount_in != amount:
            raise PathReverted(
                f"insufficient liquidity in {leg.pool_id}: absorbed only "
                f"{result.amount_in} of {amount}"
            )
        walk.pools[leg.pool_id] = result.pool_after
        walk.fee_usd += to_usd(leg.token_in, result.fee_paid, market)
        amount = result.amount_out
    walk.amount_out = amount
    return walk


def _mid_convert(market: MarketView, leg: SwapLeg, units: Decimal) -> Decimal:
    """``units`` of the leg's input converted at the pool's mid price (no fee, no impact) as it
    is before the trade; at reference prices when the pool is unknown."""
    pool = known_pool(market, leg.pool_id)
    if pool is not None:
        rate = Decimal(repr(spot_price(pool, leg.token_in)))
    else:
        rate = Decimal(str(market.price_usd(leg.token_in))) / Decimal(
            str(market.price_usd(leg.token_out))
        )
    return units.scaleb(-leg.token_in.decimals) * rate * leg.token_out.one


def _dynamic_leg(
    market: MarketView,
    intent: OrderIntent,
    params: RealismParams,
    leg: SwapLeg,
    amount: int,
    notes: list[str],
) -> int:
    liquidity = liquidity_usd_tag(intent)
    if liquidity is None:
        raise RefusedIntent(intent.intent_id, f"pool {leg.pool_id} unknown and no liquidity tag")
    slip = dynamic_slippage(params, intent.notional_usd, liquidity, market.is_volatile())
    keep = max(Decimal(0), 1 - slip)
    value_out = to_usd(leg.token_in, amount, market) * keep
    price_out = Decimal(str(market.price_usd(leg.token_out)))
    units = (value_out / price_out).scaleb(leg.token_out.decimals)
    notes.append(f"impact: dynamic model on {leg.pool_id}, slippage {slip * 100:.4f} %")
    return int(units.to_integral_value(rounding=ROUND_FLOOR))


def execute_path(
    market: MarketView,
    intent: OrderIntent,
    params: RealismParams,
    amount_in: int,
    min_out: int,
    mev: MevDraw,
) -> PathResult:
    """Run ``amount_in`` through the intent's legs at ``market``'s state, with MEV if the route is
    public and a bot saw it. Raises :class:`PathReverted` when a pool cannot serve the swap."""
    clean = _walk(market, intent, params, amount_in)
    notes = list(clean.notes)
    if all_pools_known(intent, market):
        notes.insert(0, f"impact: exact curve maths over {len(intent.legs)} leg(s)")
    actual, sandwiched, attacker_usd = clean, False, Decimal(0)
    if intent.route not in PUBLIC_ROUTES:
        notes.append("mev: private route, not exposed to sandwich bots")
    elif not mev.seen:
        notes.append("mev: not seen by a sandwich bot")
    elif all_pools_known(intent, market):
        sandwich = optimal_sandwich(market, intent, amount_in, min_out)
        leg = intent.legs[0]
        profit = to_usd(leg.token_in, sandwich.attacker_profit, market) if sandwich else Decimal(0)
        if sandwich is not None and profit > params.mev_attacker_min_profit_usd:
            pool0 = market.pool(leg.pool_id)
            front = (
                swap(pool0, leg.token_in, sandwich.front_in).pool_after
                if sandwich.front_in > 0
                else pool0
            )
            fee0 = fee_of(front, leg.token_in, amount_in)
            actual = _walk(
                market, intent, params, amount_in, (sandwich.victim_out, sandwich.pool_after, fee0)
            )
            sandwiched, attacker_usd = True, profit
            notes.append(
                f"mev: sandwiched, front-run {sandwich.front_in} units, attacker profit "
                f"${profit:.6f}"
            )
        else:
            notes.append(f"mev: seen, sandwich not worth it (attacker profit ${profit:.6f})")
    else:
        ppm = int(mev.penalty_pct * 10_000)
        slack = max(0, clean.amount_out - min_out)
        loss = min(clean.amount_out * ppm // PPM, slack)
        actual = _Walk(clean.amount_out - loss, clean.fee_usd, clean.pools, clean.notes)
        sandwiched = loss > 0
        notes.append(
            f"mev: seen, reserves unknown, probabilistic penalty {mev.penalty_pct:.4f} % "
            f"(loss {loss} units, capped at the slippage bound's slack {slack})"
        )
    return PathResult(
        amount_in=amount_in,
        amount_out=actual.amount_out,
        clean_out=clean.amount_out,
        mid_out=clean.mid_out,
        lp_fee_usd=actual.fee_usd,
        sandwiched=sandwiched,
        attacker_profit_usd=attacker_usd,
        pools_after=tuple(actual.pools.values()),
        notes=tuple(notes),
    )
