"""Order intents: what an engine wants done. Never a dict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from phantom.core.construct import fast_constructor
from phantom.core.costs import CostBreakdown
from phantom.core.token import Token


class Route(StrEnum):
    """How a transaction reaches the chain."""

    PUBLIC = "public"  # public mempool / plain RPC, default slippage tolerance
    PUBLIC_TIGHT = "public_tight"  # public, with the slippage tolerance tightened
    PRIVATE = "private"  # Jito bundle / private relay: no sandwich, pays a tip


class IntentKind(StrEnum):
    ARBITRAGE = "arbitrage"  # an atomic multi-leg cycle that must return >= min_amount_out
    SWAP = "swap"  # a directional swap
    REFUEL = "refuel"  # buying the native gas token


@dataclass(frozen=True, slots=True)
class SwapLeg:
    """One hop of a route: pay ``token_in`` into ``pool_id``, receive ``token_out``."""

    pool_id: str
    token_in: Token
    token_out: Token


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An engine's request to swap ``amount_in`` through ``legs`` atomically.

    ``min_amount_out`` is the slippage bound the transaction enforces on-chain: the whole
    transaction reverts if the final output is below it. ``expected_*`` are the engine's
    estimates at signal time; the fill reports what actually happened.
    """

    intent_id: str
    engine: str
    kind: IntentKind
    created_at: float
    legs: tuple[SwapLeg, ...]
    amount_in: int
    min_amount_out: int
    expected_amount_out: int
    expected_profit_usd: Decimal
    expected_costs: CostBreakdown
    notional_usd: Decimal
    slippage_bps: int
    route: Route = Route.PUBLIC
    reason: str = ""
    signatures: int = 1
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.legs:
            raise ValueError(f"intent {self.intent_id}: needs at least one leg")
        if self.amount_in <= 0:
            raise ValueError(f"intent {self.intent_id}: amount_in must be positive")
        if self.min_amount_out < 0:
            raise ValueError(f"intent {self.intent_id}: min_amount_out must be >= 0")
        if not 0 <= self.slippage_bps <= 10_000:
            raise ValueError(f"intent {self.intent_id}: slippage_bps must be 0..10000")
        for a, b in zip(self.legs, self.legs[1:], strict=False):
            if a.token_out != b.token_in:
                raise ValueError(f"intent {self.intent_id}: legs do not chain")

    @property
    def token_in(self) -> Token:
        return self.legs[0].token_in

    @property
    def token_out(self) -> Token:
        return self.legs[-1].token_out

    @property
    def expected_profit_bps(self) -> Decimal:
        if self.notional_usd <= 0:
            return Decimal(0)
        return self.expected_profit_usd / self.notional_usd * 10_000


def _native_intent(
    intent_id: str,
    engine: str,
    kind: IntentKind,
    created_at: float,
    legs: tuple[SwapLeg, ...],
    amount_in: int,
    min_amount_out: int,
    expected_amount_out: int,
    expected_profit_usd: Decimal,
    expected_costs: CostBreakdown,
    notional_usd: Decimal,
    slippage_bps: int,
    route: Route,
    reason: str,
    signatures: int,
    tags: tuple[str, ...],
) -> OrderIntent:
    o = OrderIntent.__new__(OrderIntent)
    o.intent_id = intent_id  # type: ignore[misc]
    o.engine = engine  # type: ignore[misc]
    o.kind = kind  # type: ignore[misc]
    o.created_at = created_at  # type: ignore[misc]
    o.legs = legs  # type: ignore[misc]
    o.amount_in = amount_in  # type: ignore[misc]
    o.min_amount_out = min_amount_out  # type: ignore[misc]
    o.expected_amount_out = expected_amount_out  # type: ignore[misc]
    o.expected_profit_usd = expected_profit_usd  # type: ignore[misc]
    o.expected_costs = expected_costs  # type: ignore[misc]
    o.notional_usd = notional_usd  # type: ignore[misc]
    o.slippage_bps = slippage_bps  # type: ignore[misc]
    o.route = route  # type: ignore[misc]
    o.reason = reason  # type: ignore[misc]
    o.signatures = signatures  # type: ignore[misc]
    o.tags = tags  # type: ignore[misc]
    o.__post_init__()  # the same checks
    return o


# every field, in declaration order (validated: ``OrderIntent(*args)``, faster when compiled)
new_intent: Callable[
    [
        str,
        str,
        IntentKind,
        float,
        tuple[SwapLeg, ...],
        int,
        int,
        int,
        Decimal,
        CostBreakdown,
        Decimal,
        int,
        Route,
        str,
        int,
        tuple[str, ...],
    ],
    OrderIntent,
] = fast_constructor(OrderIntent, _native_intent)
