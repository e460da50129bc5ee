"""Router swaps on both DEXes of the devnet, priced by the V2 formula."""

from __future__ import annotations

import pytest

from phantom.devnet.deploy import FAR_DEADLINE
from phantom.devnet.rpc import RpcError
from phantom.devnet.v2math import amount_out
from phantom.devnet.world import DevnetWorld

ETH = 10**18


@pytest.mark.parametrize("dex", ["dexA", "dexB"])
def test_router_swap_exact_tokens(devnet: DevnetWorld, dex: str) -> None:
    dep = devnet.deployment
    trader = devnet.account("trader")
    weth, usdc = dep.address("WETH"), dep.address("USDC")
    router = dep.address(f"{dex}.router")
    pool = dep.pool(dex, "WETH/USDC")
    r_weth, r_usdc = devnet.reserves(dex, "WETH/USDC")
    if pool.symbol0 != "WETH":
        r_weth, r_usdc = r_usdc, r_weth
    size = 5 * ETH
    expected = amount_out(size, r_weth, r_usdc)
    (amounts,) = devnet.call("UniswapV2Router02", router, "getAmountsOut", size, [weth, usdc])
    assert list(amounts) == [size, expected]

    before_weth = devnet.balance_of("WETH", trader)
    before_usdc = devnet.balance_of("USDC", trader)
    receipt = devnet.transact(
        trader,
        "UniswapV2Router02",
        router,
        "swapExactTokensForTokens",
        size,
        expected,
        [weth, usdc],
        trader,
        FAR_DEADLINE,
    )
    assert int(receipt["status"], 16) == 1
    assert devnet.balance_of("WETH", trader) == before_weth - size
    assert devnet.balance_of("USDC", trader) == before_usdc + expected
    after = devnet.reserves(dex, "WETH/USDC")
    assert sorted(after) == sorted([r_weth + size, r_usdc - expected])


def test_router_rejects_a_too_high_minimum(devnet: DevnetWorld) -> None:
    dep = devnet.deployment
    trader = devnet.account("trader")
    path = [dep.address("WETH"), dep.address("USDC")]
    router = dep.address("dexB.router")
    (amounts,) = devnet.call("UniswapV2Router02", router, "getAmountsOut", ETH, path)
    with pytest.raises(RpcError) as err:
        devnet.call(
            "UniswapV2Router02",
            router,
            "swapExactTokensForTokens",
            ETH,
            amounts[1] + 1,
            path,
            trader,
            FAR_DEADLINE,
            sender=trader,
        )
    assert err.value.reason == "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"


def test_snapshot_reset_restores_reserves(devnet: DevnetWorld) -> None:
    # The previous tests swapped; the fixture reverted to the deployment snapshot.
    pool = devnet.deployment.pool("dexB", "WETH/USDC")
    assert devnet.reserves("dexB", "WETH/USDC") == (pool.initial_reserve0, pool.initial_reserve1)
