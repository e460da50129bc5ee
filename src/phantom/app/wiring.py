"""Map settings onto each layer's own parameter objects. Only ``phantom.app`` reads settings.

The engines' parameters on the replay world (scalp, lst, funding) are in
:mod:`phantom.app.paper_params`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from phantom.app.settings import Settings
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.orders import IntentKind, OrderIntent
from phantom.core.token import Token
from phantom.engines.arb.params import ArbParams
from phantom.execution.params import RealismParams
from phantom.execution.route_policy import RoutePolicy
from phantom.market.replay.layout import DEFAULT_POOLS, LST_POOLS
from phantom.market.replay.params import WorldParams
from phantom.risk.breaker import CircuitBreaker, KillSwitch
from phantom.risk.gate import GateContext, Rejection, RiskChain, RiskGate
from phantom.risk.gates import MaxConcurrentGate, MaxTradeSizeGate, MinProfitGate, VolatilityGate

DIRECTIONAL: frozenset[IntentKind] = frozenset({IntentKind.SWAP})
"""Intent kinds of directional entries and exits (scalp, lst, funding spot legs): they carry no
arbitrage edge, so the min-profit gate does not apply (as in the backtester), and they must be
able to exit in a volatile market, so the volatility gate does not either."""


@dataclass(slots=True)
class ExemptKinds:
    """``gate``, except that intents of the ``exempt`` kinds pass it."""

    gate: RiskGate
    exempt: frozenset[IntentKind]
    name: str = field(default="")

    def __post_init__(self) -> None:
        self.name = self.name or self.gate.name

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        if intent.kind in self.exempt:
            return None
        return self.gate.check(intent, ctx)


def fee_schedule(s: Settings, native: Token) -> SolanaFeeSchedule:
    return SolanaFeeSchedule(
        base_fee_lamports_per_signature=native.to_units(s.simulation_swap_fee_sol),
        compute_unit_price_micro_lamports=s.compute_unit_price_micro_lamports,
        compute_unit_limit=s.compute_unit_limit,
        jito_tip_lamports=s.jito_tip_lamports,
    )


def realism_params(s: Settings, native: Token) -> RealismParams:
    return RealismParams(
        execution_delay_min_ms=float(s.execution_delay_min_ms),
        execution_delay_max_ms=float(s.execution_delay_max_ms),
        transaction_failure_rate_pct=s.transaction_failure_rate_pct,
        slippage_base_pct=s.slippage_base_pct,
        slippage_impact_multiplier=s.slippage_impact_multiplier,
        slippage_volatility_multiplier=s.slippage_volatility_multiplier,
        mev_risk_rate_pct=s.mev_risk_rate_pct,
        mev_penalty_max_pct=s.mev_penalty_max_pct,
        mev_attacker_min_profit_usd=s.mev_attacker_min_profit_usd,
        partial_fill_rate_pct=s.partial_fill_rate_pct,
        min_fill_pct=s.min_fill_pct,
        fee_schedule=fee_schedule(s, native),
        native=native,
    )


def route_policy(s: Settings, native: Token) -> RoutePolicy:
    return RoutePolicy.from_params(
        realism_params(s, native),
        s.sandwich_risk_medium_bps,
        s.sandwich_risk_high_bps,
        s.tight_slippage_bps,
    )


def arb_params(s: Settings, base_tokens: tuple[Token, ...], native: Token) -> ArbParams:
    return ArbParams(
        base_tokens=base_tokens,
        native=native,
        fee_schedule=fee_schedule(s, native),
        max_trade_usd=s.max_trade_usd,
        slippage_bps=s.max_slippage_bps,
    )


def risk_chain(s: Settings, kill: KillSwitch, breaker: CircuitBreaker) -> RiskChain:
    """The gates every intent passes, in order. Every engine gets this chain with its own
    ``breaker`` (its failures, not another engine's, open it); ``MaxConcurrentGate`` counts
    the engine's own executions in flight; directional swaps skip the two arbitrage gates."""
    return RiskChain(
        [
            kill,
            breaker,
            MaxConcurrentGate(s.max_concurrent_executions),
            MaxTradeSizeGate(s.max_trade_usd),
            ExemptKinds(VolatilityGate(), DIRECTIONAL),
            ExemptKinds(MinProfitGate(s.min_profit_usd, s.min_profit_bps), DIRECTIONAL),
        ]
    )


def circuit_breaker(s: Settings) -> CircuitBreaker:
    return CircuitBreaker(s.max_consecutive_failures, s.failure_cooldown_s)


def world_params(s: Settings) -> WorldParams:
    """The replay world: the default pools, plus the LST/SOL pools when the lst engine runs
    (so an arb-only world is exactly what it always was)."""
    pools = DEFAULT_POOLS
    if "lst" in s.engines:
        pools = pools + tuple(p for p in LST_POOLS if p.base in s.lst_symbols)
    return WorldParams(pools=pools, lst_apr_pct=s.lst_apr_pct, depeg_scale=s.lst_depeg_scale)
