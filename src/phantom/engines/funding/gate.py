"""The funding engine's safety gate (seed 001: fees < expected revenue), as pure functions.

A position of notional ``N`` (spot and perp each) opens only when the funding it is expected
to earn over the holding horizon beats everything the trade will cost from entry to exit:

- spot: two swaps (buy, sell), each ``spot_fee_bps + spot_slippage_bps`` of ``N``;
- perp: two orders (open, close), each ``perp_fee_bps + perp_slippage_bps`` of ``N``;
- rebalances: ``expected_rebalances`` perp orders of ``rebalance_size_pct`` % of ``N``;
- network: four on-chain transactions (spot buy, spot sell, collateral in, collateral out).

Expected funding = expected rate per interval * intervals in the horizon * ``N``, where the
expected rate is the mean of the last ``lookback_prints`` prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from phantom.engines.funding.params import FundingCosts, FundingParams

BPS = Decimal(10_000)
NETWORK_TXS = 4


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """Expected costs of one round trip, USD, by kind."""

    spot_fees: Decimal
    spot_slippage: Decimal
    perp_fees: Decimal
    perp_slippage: Decimal
    rebalances: Decimal
    network: Decimal

    @property
    def total(self) -> Decimal:
        return sum((getattr(self, f.name) for f in fields(self)), Decimal(0))

    def as_dict(self) -> dict[str, str]:
        out = {f.name: str(round(getattr(self, f.name), 6)) for f in fields(self)}
        out["total"] = str(round(self.total, 6))
        return out


def round_trip_costs(notional_usd: Decimal, costs: FundingCosts) -> CostEstimate:
    n = notional_usd
    rebalanced = n * costs.rebalance_size_pct / 100 * costs.expected_rebalances
    return CostEstimate(
        spot_fees=2 * n * costs.spot_fee_bps / BPS,
        spot_slippage=2 * n * costs.spot_slippage_bps / BPS,
        perp_fees=2 * n * costs.perp_fee_bps / BPS,
        perp_slippage=2 * n * costs.perp_slippage_bps / BPS,
        rebalances=rebalanced * (costs.perp_fee_bps + costs.perp_slippage_bps) / BPS,
        network=NETWORK_TXS * costs.network_usd,
    )


def expected_funding_usd(
    rate: float, interval_s: float, horizon_h: float, notional_usd: Decimal
) -> Decimal:
    """Funding a short of ``notional_usd`` collects over ``horizon_h`` at ``rate`` per interval."""
    intervals = Decimal(repr(horizon_h * 3600.0 / interval_s))
    return Decimal(repr(rate)) * intervals * notional_usd


@dataclass(frozen=True, slots=True)
class GateDecision:
    ok: bool
    reason: str
    notional_usd: Decimal
    expected_rate: float
    expected_funding_usd: Decimal
    costs: CostEstimate
    required_usd: Decimal

    @property
    def net_usd(self) -> Decimal:
        return self.expected_funding_usd - self.costs.total


def expected_rate(rates: Sequence[float], lookback: int) -> float:
    window = rates[-lookback:]
    return sum(window) / len(window) if window else 0.0


def safety_gate(
    notional_usd: Decimal, rates: Sequence[float], interval_s: float, params: FundingParams
) -> GateDecision:
    """Decide whether a position of ``notional_usd`` may open, given the funding prints seen
    so far (oldest first) of the engine's market."""
    costs = round_trip_costs(notional_usd, params.costs)
    required = max(params.min_profit_usd, notional_usd * params.min_edge_bps / BPS)
    rate = expected_rate(rates, params.lookback_prints)
    funding = expected_funding_usd(rate, interval_s, params.horizon_h, notional_usd)

    def decide(ok: bool, reason: str) -> GateDecision:
        return GateDecision(ok, reason, notional_usd, rate, funding, costs, required)

    if len(rates) < params.confirm_prints:
        return decide(False, f"only {len(rates)} funding prints (need {params.confirm_prints})")
    recent = rates[-params.confirm_prints :]
    if min(recent) <= 0:
        return decide(False, f"funding not positive in the last {params.confirm_prints} prints")
    if rate <= 0:
        return decide(False, f"expected funding rate {rate:.6%} per interval is not positive")
    if funding - costs.total < required:
        return decide(
            False,
            f"expected funding {funding:.2f} USD over {params.horizon_h:g} h does not cover "
            f"costs {costs.total:.2f} USD + required edge {required:.2f} USD",
        )
    return decide(True, f"expected net {funding - costs.total:.2f} USD over {params.horizon_h:g} h")
