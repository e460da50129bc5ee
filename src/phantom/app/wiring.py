"""Map settings onto each layer's own parameter objects. Only ``phantom.app`` reads settings."""

from __future__ import annotations

from phantom.app.settings import Settings
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.token import Token
from phantom.engines.arb.params import ArbParams
from phantom.execution.params import RealismParams
from phantom.execution.route_policy import RoutePolicy
from phantom.risk.breaker import CircuitBreaker, KillSwitch
from phantom.risk.gate import RiskChain
from phantom.risk.gates import MaxConcurrentGate, MaxTradeSizeGate, MinProfitGate, VolatilityGate


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
    return RiskChain(
        [
            kill,
            breaker,
            MaxConcurrentGate(s.max_concurrent_executions),
            MaxTradeSizeGate(s.max_trade_usd),
            VolatilityGate(),
            MinProfitGate(s.min_profit_usd, s.min_profit_bps),
        ]
    )


def circuit_breaker(s: Settings) -> CircuitBreaker:
    return CircuitBreaker(s.max_consecutive_failures, s.failure_cooldown_s)
