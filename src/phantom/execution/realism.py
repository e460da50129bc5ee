"""The deterministic core of the paper realism model: walking an intent's legs.

No randomness here: :mod:`phantom.execution.paper` draws the random numbers (failure, MEV, partial
fill) and passes them in, so this module is a pure function of (market, intent, draws).

- A leg whose pool is known to the market is executed with the exact curve maths of
  :func:`phantom.amm.swap.swap`.
- A leg whose pool is unknown uses the dynamic slippage model; the intent must then carry a
  ``liquidity_usd=<n>`` tag (the pool's liquidity in USD) and a positive ``notional_usd``.
- A public transaction seen by a sandwich bot gets the optimal sandwich given its slippage bound
  when every leg's reserves are known, else the probabilistic MEV penalty.

Speed (a backtest sends tens of thousands of intents through here): float -> ``Decimal``
conversions of prices and settings and parsed liquidity tags are memoised (``usd_price``,
:func:`liquidity_usd_tag`), pools are looked up once per leg (``find_pool`` when the market offers
it, see :func:`known_pool`). Every memo returns exactly the value the plain computation gives, so
results are the same bit for bit. The memos, fast constructors and the walk's value types
(:class:`MevDraw`, :class:`PathResult`) live in :mod:`phantom.execution.fill_builder`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.sandwich import Sandwich, best_sandwich
from phantom.amm.swap import fee_of, required_input, spot_price, swap
from phantom.core.orders import OrderIntent, Route, SwapLeg
from phantom.core.pool import Pool
from phantom.core.token import Token
from phantom.execution.fill_builder import MEMO_MAX, one_decimal, usd_price
from phantom.execution.fill_builder import MevDraw as MevDraw
from phantom.execution.fill_builder import PathResult as PathResult
from phantom.execution.fill_builder import new_mev_draw as new_mev_draw
from phantom.execution.fill_builder import new_path as _new_path
from phantom.execution.params import RealismParams
from phantom.market.state import MarketView

LIQUIDITY_TAG = "liquidity_usd="
PUBLIC_ROUTES = frozenset({Route.PUBLIC, Route.PUBLIC_TIGHT})
PPM = 1_000_000
_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


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


_TAGS: dict[tuple[str, ...], Decimal | str | None] = {}


def _parse_liquidity(tags: tuple[str, ...]) -> Decimal | str | None:
    """The first ``liquidity_usd=<n>`` tag's value, ``None`` if absent, or why it is refused."""
    for tag in tags:
        if tag.startswith(LIQUIDITY_TAG):
            raw = tag[len(LIQUIDITY_TAG) :]
            try:
                value = Decimal(raw)
            except InvalidOperation:
                return f"bad tag {tag!r}"
            if not value.is_finite() or value <= 0:
                return f"tag {tag!r}: liquidity must be > 0"
            return value
    return None


def to_usd(token: Token, units: int, market: MarketView) -> Decimal:
    """``units`` of ``token`` in USD at the market's reference price."""
    return Decimal(units).scaleb(-token.decimals) * usd_price(market.price_usd(token))


def known_pool(market: MarketView, pool_id: str) -> Pool | None:
    """``market.pool(pool_id)``, ``None`` if the market does not know it. A market may offer
    ``find_pool(pool_id) -> Pool | None`` that answers the same without raising (a backtest on
    candles, which knows no pool, asks once per order: an exception costs more than the rest)."""
    return _pool_finder(market)(pool_id)


def _pool_finder(market: MarketView) -> Callable[[str], Pool | None]:
    find: Callable[[str], Pool | None] | None = getattr(market, "find_pool", None)
    if find is not None:
        return find

    def lookup(pool_id: str) -> Pool | None:
        try:
            return market.pool(pool_id)
        except KeyError:
            return None

    return lookup


def liquidity_usd_tag(intent: OrderIntent) -> Decimal | None:
    """The ``liquidity_usd=<n>`` tag's value, ``None`` if absent; refuses a malformed one."""
    tags = intent.tags
    try:
        found = _TAGS[tags]
    except KeyError:
        found = _parse_liquidity(tags)
        if len(_TAGS) >= MEMO_MAX:
            _TAGS.clear()
        _TAGS[tags] = found
    if isinstance(found, str):
        raise RefusedIntent(intent.intent_id, found)
    return found


def validate_intent(intent: OrderIntent, market: MarketView, native: Token) -> None:
    """Raise :class:`RefusedIntent` unless the paper model can price ``intent`` on ``market``."""
    price = market.price_usd
    legs = intent.legs
    token = native
    try:
        price(token)
        for leg in legs:
            token = leg.token_in
            price(token)
            token = leg.token_out
            price(token)
    except KeyError:
        raise RefusedIntent(
            intent.intent_id, f"token {token.symbol} is unknown to the market (no USD price)"
        ) from None
    find = _pool_finder(market)
    for leg in legs:
        pool = find(leg.pool_id)
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


_SETTINGS: dict[int, tuple[RealismParams, Decimal, Decimal, Decimal]] = {}


def _remember_settings(
    params: RealismParams,
) -> tuple[RealismParams, Decimal, Decimal, Decimal]:
    """The dynamic model's settings as exact decimals, memoised per params object (the entry
    holds the object, so its id cannot be reused while the entry exists)."""
    found = (
        params,
        Decimal(str(params.slippage_base_pct)),
        Decimal(str(params.slippage_impact_multiplier)),
        Decimal(str(params.slippage_volatility_multiplier)),
    )
    if len(_SETTINGS) >= MEMO_MAX:
        _SETTINGS.clear()
    _SETTINGS[id(params)] = found
    return found


def dynamic_slippage(
    params: RealismParams, size_usd: Decimal, liquidity_usd: Decimal, volatile: bool
) -> Decimal:
    """The dynamic model's slippage as a fraction (0.004 is 0.4 %)."""
    found = _SETTINGS.get(id(params))
    if found is None or found[0] is not params:
        found = _remember_settings(params)
    _, base_pct, impact_mult, vol_mult = found
    base = base_pct / _HUNDRED
    impact = impact_mult * size_usd / liquidity_usd
    mult = vol_mult if volatile else _ONE
    return (base + impact) * mult


# (final output, LP fees in USD, pools after by id, notes, the input at mid prices)
_Walk = tuple[int, Decimal, dict[str, Pool], list[str], Decimal]


def _walk(
    market: MarketView,
    intent: OrderIntent,
    params: RealismParams,
    amount_in: int,
    pools: list[Pool | None],
    first: tuple[int, Pool, int] | None = None,
) -> _Walk:
    """Execute the legs in order; ``pools[i]`` is leg i's pool as the market knows it (``None``:
    unknown, the dynamic model); ``first`` = (output, pool after, fee units) replaces leg 0."""
    legs = intent.legs
    if first is None and len(legs) == 1 and pools[0] is None:
        # one leg through an unknown pool (a candle backtest's every order): no loop needed
        leg = legs[0]
        price_in = usd_price(market.price_usd(leg.token_in))
        price_out = usd_price(market.price_usd(leg.token_out))
        units_in = Decimal(amount_in)
        mid = _mid_step(leg, units_in, price_in / price_out)
        notes: list[str] = []
        out = _dynamic_leg(
            market, intent, params, leg, amount_in, notes, price_in, price_out, units_in
        )
        return out, _ZERO, {}, notes, mid
    # the input carried at the pools' mid prices as they are before the trade (no fee, no impact),
    # at reference prices where a pool is unknown
    mid = Decimal(amount_in)
    refs: list[tuple[Decimal, Decimal] | None] = []
    for leg, pool in zip(legs, pools, strict=True):
        if pool is not None:
            rate = Decimal(repr(spot_price(pool, leg.token_in)))
            refs.append(None)
        else:
            price_in = usd_price(market.price_usd(leg.token_in))
            price_out = usd_price(market.price_usd(leg.token_out))
            rate = price_in / price_out
            refs.append((price_in, price_out))
        mid = _mid_step(leg, mid, rate)
    amount = amount_in
    fee_usd = _ZERO
    after: dict[str, Pool] = {}
    notes = []
    for index, leg in enumerate(legs):
        if index == 0 and first is not None:
            amount, pool_after, fee_units = first
            after[leg.pool_id] = pool_after
            fee_usd += to_usd(leg.token_in, fee_units, market)
            continue
        pool = after.get(leg.pool_id)
        if pool is None:
            pool = pools[index]
        if pool is None:
            price_in, price_out = refs[index]  # type: ignore[misc]
            amount = _dynamic_leg(market, intent, params, leg, amount, notes, price_in, price_out)
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
        after[leg.pool_id] = result.pool_after
        fee_usd += to_usd(leg.token_in, result.fee_paid, market)
        amount = result.amount_out
    return amount, fee_usd, after, notes, mid


def _mid_step(leg: SwapLeg, units: Decimal, rate: Decimal) -> Decimal:
    """``units`` of the leg's input converted at ``rate`` (whole output per whole input: the
    pool's mid price before the trade, or the ratio of the reference prices), in output units."""
    return units.scaleb(-leg.token_in.decimals) * rate * one_decimal(leg.token_out)


def _dynamic_leg(
    market: MarketView,
    intent: OrderIntent,
    params: RealismParams,
    leg: SwapLeg,
    amount: int,
    notes: list[str],
    price_in: Decimal,
    price_out: Decimal,
    units: Decimal | None = None,
) -> int:
    """The dynamic model: the leg keeps ``1 - slippage`` of its input's value (USD prices of the
    leg's tokens given, as decimals; ``units``: ``Decimal(amount)`` if the caller has it)."""
    liquidity = liquidity_usd_tag(intent)
    if liquidity is None:
        raise RefusedIntent(intent.intent_id, f"pool {leg.pool_id} unknown and no liquidity tag")
    slip = dynamic_slippage(params, intent.notional_usd, liquidity, market.is_volatile())
    keep = max(_ZERO, _ONE - slip)
    if units is None:
        units = Decimal(amount)
    value_out = units.scaleb(-leg.token_in.decimals) * price_in * keep
    out = (value_out / price_out).scaleb(leg.token_out.decimals)
    notes.append(f"impact: dynamic model on {leg.pool_id}, slippage {slip * _HUNDRED:.4f} %")
    return int(out.to_integral_value(ROUND_FLOOR))


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
    legs = intent.legs
    find = _pool_finder(market)
    pools = [find(legs[0].pool_id)] if len(legs) == 1 else [find(leg.pool_id) for leg in legs]
    clean_out, fee_usd, after, notes, mid_out = _walk(market, intent, params, amount_in, pools)
    known = None not in pools
    if known:
        notes.insert(0, f"impact: exact curve maths over {len(legs)} leg(s)")
    amount_out = clean_out
    sandwiched, attacker_usd = False, _ZERO
    if intent.route not in PUBLIC_ROUTES:
        notes.append("mev: private route, not exposed to sandwich bots")
    elif not mev.seen:
        notes.append("mev: not seen by a sandwich bot")
    elif known:
        sandwich = optimal_sandwich(market, intent, amount_in, min_out)
        leg = intent.legs[0]
        profit = to_usd(leg.token_in, sandwich.attacker_profit, market) if sandwich else _ZERO
        if sandwich is not None and profit > params.mev_attacker_min_profit_usd:
            pool0 = market.pool(leg.pool_id)
            front = (
                swap(pool0, leg.token_in, sandwich.front_in).pool_after
                if sandwich.front_in > 0
                else pool0
            )
            fee0 = fee_of(front, leg.token_in, amount_in)
            first = (sandwich.victim_out, sandwich.pool_after, fee0)
            amount_out, fee_usd, after, _, _ = _walk(
                market, intent, params, amount_in, pools, first
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
        slack = max(0, clean_out - min_out)
        loss = min(clean_out * ppm // PPM, slack)
        amount_out = clean_out - loss
        sandwiched = loss > 0
        notes.append(
            f"mev: seen, reserves unknown, probabilistic penalty {mev.penalty_pct:.4f} % "
            f"(loss {loss} units, capped at the slippage bound's slack {slack})"
        )
    return _new_path(
        amount_in,
        amount_out,
        clean_out,
        mid_out,
        fee_usd,
        sandwiched,
        attacker_usd,
        tuple(after.values()) if after else (),
        tuple(notes),
    )
