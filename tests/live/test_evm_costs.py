"""Gas-aware scoring: the EVM cost model, and the engine using it (the Solana path unchanged)."""

from __future__ import annotations

from decimal import Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.events import PoolUpdate
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.arb.params import ArbParams
from phantom.engines.base import EngineContext
from phantom.market.state import MarketState
from phantom.signals.evm_costs import DEFAULT_GAS_BY_HOPS, EvmGasModel, rescore_network
from phantom.signals.scoring import CycleScore

ETH = Token("ETH", 18, "devnet")
WETH = Token("WETH", 18, "devnet")
USDC = Token("USDC", 6, "devnet")
GWEI = 10**9


def _market() -> MarketState:
    market = MarketState()
    for symbol, price in (("ETH", 3000.0), ("WETH", 3000.0), ("USDC", 1.0)):
        market.set_price(symbol, price)
    return market


def test_gas_model_prices_base_fee_and_tip_separately() -> None:
    model = EvmGasModel(ETH)
    model.update_fees(base_fee_wei=10 * GWEI, tip_wei=2 * GWEI)
    costs = model.estimate((), _market())  # no legs: the extrapolated figure for 0 hops
    two = model.gas_units(2)
    assert two == DEFAULT_GAS_BY_HOPS[2]
    got = model.estimate(tuple([None, None]), _market())  # type: ignore[arg-type]
    assert got.gas == Decimal(two * 10 * GWEI).scaleb(-18) * 3000
    assert got.priority_fee == Decimal(two * 2 * GWEI).scaleb(-18) * 3000
    assert got.tip == 0 and costs.fee == 0
    model.observe_gas(2, 100)  # smaller: ignored
    assert model.gas_units(2) == two
    model.observe_gas(2, two + 1)
    assert model.gas_units(2) == two + 1
    assert model.gas_units(5) > model.gas_units(3)


def test_rescore_network_swaps_only_the_network_part() -> None:
    score = CycleScore(
        amount_in=1,
        amount_out=2,
        notional_usd=Decimal(100),
        spread_usd=Decimal(5),
        costs=CostBreakdown(fee=Decimal(1), slippage=Decimal(2), gas=Decimal("0.01")),
        expected_profit_usd=Decimal("1.99"),
    )
    evm = CostBreakdown(gas=Decimal("0.5"), priority_fee=Decimal("0.25"))
    out = rescore_network(score, evm)
    assert out.costs == CostBreakdown(
        fee=Decimal(1), slippage=Decimal(2), gas=Decimal("0.5"), priority_fee=Decimal("0.25")
    )
    assert out.expected_profit_usd == Decimal("1.99") + Decimal("0.01") - Decimal("0.75")


def _pools() -> list[ConstantProductPool]:
    return [
        ConstantProductPool("a", "a", WETH, USDC, 1000 * 10**18, 3_000_000 * 10**6, 3000),
        ConstantProductPool("b", "b", WETH, USDC, 220 * 10**18, 600_000 * 10**6, 3000),
    ]


def _first_intent(estimator: EvmGasModel | None) -> tuple[Decimal, CostBreakdown]:
    params = ArbParams((USDC,), ETH, SolanaFeeSchedule(), Decimal(100_000), 50, max_hops=2,
                       cost_estimator=estimator)  # fmt: skip
    pools = _pools()
    engine = ArbEngine(params, pools)
    ctx = EngineContext(0.0, _market(), {USDC: 10**15})
    (intent,) = engine.on_event(PoolUpdate(0.0, pools[1]), ctx)
    return intent.expected_profit_usd, intent.expected_costs


def test_engine_uses_the_estimator_and_keeps_the_solana_path() -> None:
    profit_sol, costs_sol = _first_intent(None)
    model = EvmGasModel(ETH, base_fee_wei=30 * GWEI, tip_wei=2 * GWEI)
    profit_evm, costs_evm = _first_intent(model)
    legs_cost = model.estimate(((), ()), _market())  # type: ignore[arg-type]
    assert (costs_evm.gas, costs_evm.priority_fee) == (legs_cost.gas, legs_cost.priority_fee)
    assert (costs_evm.fee, costs_evm.slippage) == (costs_sol.fee, costs_sol.slippage)
    assert profit_evm == profit_sol + costs_sol.network - costs_evm.network
    # the Solana path as before: 5000 lamports per signature at the native token's price
    assert costs_sol.gas == Decimal(5000).scaleb(-9) * 3000
