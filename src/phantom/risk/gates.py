"""The standard gates: profit after costs, size, concurrency, volatility."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from phantom.core.orders import IntentKind, OrderIntent
from phantom.core.token import Token
from phantom.risk.gate import GateContext, Rejection, RiskChain, RiskGate


@dataclass(slots=True)
class MinProfitGate:
    """``Spread > Fee + Slippage + MinProfit``: expected profit after every expected cost must
    reach both MIN_PROFIT_USD and MIN_PROFIT_BPS of the notional. Refuels are exempt."""

    min_profit_usd: Decimal
    min_profit_bps: Decimal
    name: str = "min_profit"

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        if intent.kind is IntentKind.REFUEL:
            return None
        if intent.expected_profit_usd < self.min_profit_usd:
            return Rejection(
                "min_profit_usd",
                f"expected profit {intent.expected_profit_usd:.4f} USD after costs "
                f"< {self.min_profit_usd} USD",
            )
        if intent.expected_profit_bps < self.min_profit_bps:
            return Rejection(
                "min_profit_bps",
                f"expected profit {intent.expected_profit_bps:.2f} bps < {self.min_profit_bps} bps",
            )
        return None


@dataclass(slots=True)
class MaxTradeSizeGate:
    max_trade_usd: Decimal
    name: str = "max_trade_size"

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        if intent.notional_usd > self.max_trade_usd:
            return Rejection(
                "max_trade_size",
                f"notional {intent.notional_usd:.2f} USD > {self.max_trade_usd} USD",
            )
        return None


@dataclass(slots=True)
class MaxConcurrentGate:
    max_concurrent: int
    name: str = "max_concurrent"

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        if intent.kind is not IntentKind.REFUEL and ctx.in_flight >= self.max_concurrent:
            return Rejection(
                "max_concurrent",
                f"{ctx.in_flight} executions in flight (max {self.max_concurrent})",
            )
        return None


@dataclass(slots=True)
class VolatilityGate:
    """Forbids new entries while the reference market is volatile (seed 002's volatility
    penalty). Refuels pass: running out of gas is worse."""

    name: str = "volatility"

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        if ctx.volatile and intent.kind is not IntentKind.REFUEL:
            return Rejection("volatility", "reference volatility above VOLATILITY_THRESHOLD_PCT")
        return None


@dataclass(slots=True)
class SalesExempt:
    """``gate``, except for an intent that sells ``held``: selling a held spot leg only reduces
    the position (an exit or a reduction) and must never be stuck behind a limit that bounded
    its entry, e.g. the trade-size limit once the price has risen (the funding engine's spot
    leg, in paper and live alike)."""

    gate: RiskGate
    held: Token
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.gate.name

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        if intent.token_in == self.held:
            return None
        return self.gate.check(intent, ctx)


def exempt_sales(chain: RiskChain, held: Token, gate_name: str = "max_trade_size") -> RiskChain:
    """``chain`` with its ``gate_name`` gate wrapped in :class:`SalesExempt` for ``held``."""
    return RiskChain([SalesExempt(g, held) if g.name == gate_name else g for g in chain.gates])
