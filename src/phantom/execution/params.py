"""Every knob of the paper realism model, in one frozen value.

The application maps its settings onto :class:`RealismParams`; nothing in ``phantom.execution``
reads settings or holds a default of its own, so a paper fill costs exactly what the configuration
says. Percentages are in percent units: ``5.0`` means 5 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from phantom.core.fees import SolanaFeeSchedule
from phantom.core.token import Token


@dataclass(frozen=True, slots=True)
class RealismParams:
    """Parameters of the paper realism model (see ``docs/realism-model.md``).

    - ``execution_delay_min_ms`` / ``execution_delay_max_ms``: the latency between sending and
      reaching the venue is uniform in this range (EXECUTION_DELAY_MIN_MS / _MAX_MS).
    - ``transaction_failure_rate_pct``: chance a transaction is dropped or reverted by the
      network (TRANSACTION_FAILURE_RATE_PCT).
    - ``slippage_base_pct``, ``slippage_impact_multiplier``, ``slippage_volatility_multiplier``:
      the dynamic slippage model used for a leg whose pool reserves are unknown:
      ``(base_pct / 100 + impact_multiplier * size_usd / liquidity_usd) * volatility_multiplier``
      as a fraction of the leg's value (the multiplier applies only in a volatile market).
    - ``mev_risk_rate_pct``: chance a public transaction is seen by a sandwich bot.
    - ``mev_penalty_max_pct``: the probabilistic MEV penalty, uniform in ``[0, max]`` percent of
      the output, used when reserves are unknown.
    - ``mev_attacker_min_profit_usd``: a bot runs a sandwich only if its profit exceeds this.
    - ``partial_fill_rate_pct`` / ``min_fill_pct``: chance of a partial fill and the smallest
      fraction filled, percent of ``amount_in``.
    - ``fee_schedule``: Solana base fee, priority fee and Jito tip.
    - ``native``: the chain's native token (SOL), in which network fees are paid.
    - ``venue_fee_pct``: a venue's taker fee, percent of what a landed order receives, charged in
      the received token and rounded up to a whole base unit (a CEX-style fee; a backtest on
      candles sets it, ``--fee-pct``). Cost kind ``fee``; 0 (the default) charges nothing.
    """

    execution_delay_min_ms: float
    execution_delay_max_ms: float
    transaction_failure_rate_pct: float
    slippage_base_pct: float
    slippage_impact_multiplier: float
    slippage_volatility_multiplier: float
    mev_risk_rate_pct: float
    mev_penalty_max_pct: float
    mev_attacker_min_profit_usd: Decimal
    partial_fill_rate_pct: float
    min_fill_pct: float
    fee_schedule: SolanaFeeSchedule
    native: Token
    venue_fee_pct: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name in (
            "execution_delay_min_ms",
            "execution_delay_max_ms",
            "slippage_base_pct",
            "slippage_impact_multiplier",
            "mev_penalty_max_pct",
        ):
            _check_range(name, getattr(self, name), 0.0, math.inf)
        for name in (
            "transaction_failure_rate_pct",
            "mev_risk_rate_pct",
            "partial_fill_rate_pct",
        ):
            _check_range(name, getattr(self, name), 0.0, 100.0)
        _check_range("mev_penalty_max_pct", self.mev_penalty_max_pct, 0.0, 100.0)
        _check_range("slippage_volatility_multiplier", self.slippage_volatility_multiplier, 1.0)
        if not (0.0 < self.min_fill_pct <= 100.0):
            raise ValueError(f"min_fill_pct must be in (0, 100], got {self.min_fill_pct}")
        if self.execution_delay_max_ms < self.execution_delay_min_ms:
            raise ValueError(
                "execution_delay_max_ms must be >= execution_delay_min_ms "
                f"(got {self.execution_delay_max_ms} < {self.execution_delay_min_ms})"
            )
        fee = self.venue_fee_pct
        if not isinstance(fee, Decimal) or not fee.is_finite() or not 0 <= fee < 100:
            raise ValueError(f"venue_fee_pct must be a Decimal in [0, 100), got {fee!r}")
        profit = self.mev_attacker_min_profit_usd
        if not isinstance(profit, Decimal) or not profit.is_finite() or profit < 0:
            raise ValueError(f"mev_attacker_min_profit_usd must be a Decimal >= 0, got {profit!r}")


def _check_range(name: str, value: float, low: float, high: float = math.inf) -> None:
    if not (low <= value <= high):  # also rejects NaN
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
