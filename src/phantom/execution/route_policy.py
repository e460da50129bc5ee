"""Route choice by sandwich risk: high -> private (Jito), medium -> public with a tighter slippage
bound, low -> public.

The risk is what an optimal sandwich bot would make on the intent as it stands, in basis points
of its notional: the attacker's profit (first leg, current pool state, the intent's final-output
bound translated back to the first leg) over ``notional_usd``. A sandwich too small for the bot to
bother with (profit not above ``mev_attacker_min_profit_usd``) counts as no risk. When a leg's
reserves are unknown the risk is the probabilistic model's expectation:
``mev_risk_rate_pct / 100 * mev_penalty_max_pct / 2`` percent, i.e.
``mev_risk_rate_pct * mev_penalty_max_pct / 2`` bps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from phantom.core.orders import OrderIntent, Route
from phantom.execution.params import RealismParams
from phantom.execution.realism import all_pools_known, optimal_sandwich, to_usd
from phantom.market.state import MarketView

BPS = 10_000
RISK_QUANTUM = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """The chosen route, the intent to send (route set, bound possibly tightened) and the risk."""

    route: Route
    intent: OrderIntent
    sandwich_risk_bps: Decimal


class RoutePolicy:
    """``decide(intent, market)``: risk >= ``high_bps`` -> PRIVATE (slippage kept, pays a tip);
    >= ``medium_bps`` -> PUBLIC_TIGHT (bound re-derived from ``expected_amount_out`` with
    ``tight_slippage_bps``, never looser than before); else PUBLIC."""

    def __init__(
        self,
        medium_bps: Decimal,
        high_bps: Decimal,
        tight_slippage_bps: int,
        *,
        mev_risk_rate_pct: float = 0.0,
        mev_penalty_max_pct: float = 0.0,
        mev_attacker_min_profit_usd: Decimal = Decimal(0),
    ) -> None:
        if not (Decimal(0) <= medium_bps <= high_bps):
            raise ValueError(
                f"route policy needs 0 <= medium_bps <= high_bps, got {medium_bps}, {high_bps}"
            )
        if not 1 <= tight_slippage_bps <= BPS:
            raise ValueError(f"tight_slippage_bps must be 1..10000, got {tight_slippage_bps}")
        if not (0.0 <= mev_risk_rate_pct <= 100.0 and 0.0 <= mev_penalty_max_pct <= 100.0):
            raise ValueError("mev_risk_rate_pct and mev_penalty_max_pct must be 0..100")
        if mev_attacker_min_profit_usd < 0:
            raise ValueError("mev_attacker_min_profit_usd must be >= 0")
        self.medium_bps = medium_bps
        self.high_bps = high_bps
        self.tight_slippage_bps = tight_slippage_bps
        self.mev_risk_rate_pct = mev_risk_rate_pct
        self.mev_penalty_max_pct = mev_penalty_max_pct
        self.mev_attacker_min_profit_usd = mev_attacker_min_profit_usd

    @classmethod
    def from_params(
        cls,
        params: RealismParams,
        medium_bps: Decimal,
        high_bps: Decimal,
        tight_slippage_bps: int,
    ) -> RoutePolicy:
        """A policy whose unknown-reserve risk and bot threshold match the paper model's."""
        return cls(
            medium_bps,
            high_bps,
            tight_slippage_bps,
            mev_risk_rate_pct=params.mev_risk_rate_pct,
            mev_penalty_max_pct=params.mev_penalty_max_pct,
            mev_attacker_min_profit_usd=params.mev_attacker_min_profit_usd,
        )

    def sandwich_risk_bps(self, intent: OrderIntent, market: MarketView) -> Decimal:
        if not all_pools_known(intent, market):
            expected = Decimal(str(self.mev_risk_rate_pct)) * Decimal(str(self.mev_penalty_max_pct))
            return (expected / 2).quantize(RISK_QUANTUM)
        notional = intent.notional_usd
        if notional <= 0:
            notional = to_usd(intent.token_in, intent.amount_in, market)
        if notional <= 0:
            return Decimal(0)
        sandwich = optimal_sandwich(market, intent, intent.amount_in, intent.min_amount_out)
        if sandwich is None:
            return Decimal(0)
        profit = to_usd(intent.token_in, sandwich.attacker_profit, market)
        if profit <= self.mev_attacker_min_profit_usd:
            return Decimal(0)
        return (profit / notional * BPS).quantize(RISK_QUANTUM)

    def decide(self, intent: OrderIntent, market: MarketView) -> RouteDecision:
        risk = self.sandwich_risk_bps(intent, market)
        if risk >= self.high_bps:
            return RouteDecision(Route.PRIVATE, replace(intent, route=Route.PRIVATE), risk)
        if risk >= self.medium_bps:
            return RouteDecision(Route.PUBLIC_TIGHT, self.tighten(intent), risk)
        return RouteDecision(Route.PUBLIC, replace(intent, route=Route.PUBLIC), risk)

    def tighten(self, intent: OrderIntent) -> OrderIntent:
        """The intent on PUBLIC_TIGHT with ``min_amount_out = expected - floor(expected * tight /
        10000)`` (Jupiter's ``otherAmountThreshold`` rule), never below the current bound."""
        expected = intent.expected_amount_out
        tightened = expected - expected * self.tight_slippage_bps // BPS
        return replace(
            intent,
            route=Route.PUBLIC_TIGHT,
            min_amount_out=max(intent.min_amount_out, tightened),
            slippage_bps=min(intent.slippage_bps, self.tight_slippage_bps),
        )
