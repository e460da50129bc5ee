"""Building the funding engine's intents from its decisions (pure: no state but a counter)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.orders import IntentKind, OrderIntent, SwapLeg
from phantom.engines.funding.events import MarginIntent, PerpIntent, PerpSide
from phantom.engines.funding.gate import BPS
from phantom.engines.funding.params import FundingParams


class IntentFactory:
    """Spot swaps (``OrderIntent``), perp orders and collateral moves of one engine."""

    def __init__(self, params: FundingParams, prefix: str) -> None:
        self.params = params
        self._prefix = prefix
        self._seq = 0
        self._buy = (SwapLeg(params.pool_id, params.quote, params.base),)
        self._sell = (SwapLeg(params.pool_id, params.base, params.quote),)
        lq = params.liquidity_usd
        self._tags = () if lq is None else (f"liquidity_usd={lq}",)

    def next_id(self) -> str:
        self._seq += 1
        return f"{self._prefix}-{self._seq:07d}"

    def base_units(self, amount: Decimal) -> int:
        """Whole base tokens to base units, rounded down."""
        scaled = amount.scaleb(self.params.base.decimals)
        return int(scaled.to_integral_value(rounding=ROUND_FLOOR))

    def value(self, units: int, price: Decimal) -> Decimal:
        return Decimal(units).scaleb(-self.params.base.decimals) * price

    def spot_buy(
        self,
        intent_id: str,
        ts: float,
        amount_in: int,
        expected: int,
        notional: Decimal,
        profit: Decimal,
        why: str,
    ) -> OrderIntent:
        return self._swap(intent_id, ts, self._buy, amount_in, expected, notional, profit, why)

    def spot_sell(
        self, intent_id: str, ts: float, units: int, price: Decimal, why: str
    ) -> OrderIntent:
        value = self.value(units, price)
        expected = self.params.quote.to_units(value)
        return self._swap(intent_id, ts, self._sell, units, expected, value, Decimal(0), why)

    def _swap(
        self,
        intent_id: str,
        ts: float,
        legs: tuple[SwapLeg, ...],
        amount_in: int,
        expected: int,
        notional: Decimal,
        profit: Decimal,
        why: str,
    ) -> OrderIntent:
        p, c = self.params, self.params.costs
        bound = p.spot_slippage_bound_bps
        return OrderIntent(
            intent_id=intent_id,
            engine=p.name,
            kind=IntentKind.SWAP,
            created_at=ts,
            legs=legs,
            amount_in=amount_in,
            min_amount_out=expected - expected * bound // 10_000,
            expected_amount_out=expected,
            expected_profit_usd=profit,
            expected_costs=CostBreakdown(
                fee=notional * c.spot_fee_bps / BPS,
                slippage=notional * c.spot_slippage_bps / BPS,
                gas=c.network_usd,
            ),
            notional_usd=notional,
            slippage_bps=bound,
            route=p.route,
            reason=why,
            tags=self._tags,
        )

    def perp(
        self,
        intent_id: str,
        ts: float,
        side: PerpSide,
        size: int,
        reduce_only: bool,
        mark: Decimal,
        why: str,
    ) -> PerpIntent:
        notional = self.value(size, mark)
        return PerpIntent(
            intent_id=intent_id,
            engine=self.params.name,
            created_at=ts,
            market=self.params.market,
            base=self.params.base,
            side=side,
            size=size,
            reduce_only=reduce_only,
            expected_price=mark,
            notional_usd=notional,
            expected_fee_usd=notional * self.params.costs.perp_fee_bps / BPS,
            reason=why,
        )

    def margin(self, intent_id: str, ts: float, amount: int, why: str) -> MarginIntent:
        return MarginIntent(
            intent_id=intent_id,
            engine=self.params.name,
            created_at=ts,
            market=self.params.market,
            token=self.params.quote,
            amount=amount,
            reason=why,
        )
