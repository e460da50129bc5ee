"""PhantomArb: atomic flash-swap arbitrage between the two DEXes on the real Uniswap V2 pairs."""

from __future__ import annotations

import pytest

from phantom.devnet.deploy import FAR_DEADLINE
from phantom.devnet.rpc import RpcError
from phantom.devnet.v2math import best_flash_arb, flash_arb_profit
from phantom.devnet.world import DevnetWorld

ETH = 10**18
PROFIT_BELOW_MINIMUM = "PhantomArb: profit below minimum"


def _weth_usdc(devnet: DevnetWorld, dex: str) -> tuple[int, int]:
    """(WETH, USDC) reserves of the dex's WETH/USDC pool."""
    pool = devnet.deployment.pool(dex, "WETH/USDC")
    r0, r1 = devnet.reserves(dex, "WETH/USDC")
    return (r0, r1) if pool.symbol0 == "WETH" else (r1, r0)


def _skew_dex_b(devnet: DevnetWorld, weth_in: int = 40 * ETH) -> None:
    """A big WETH sale on dexB makes WETH cheap there (the shallower pool moves most)."""
    dep = devnet.deployment
    trader = devnet.account("trader")
    devnet.transact(
        trader,
        "UniswapV2Router02",
        dep.address("dexB.router"),
        "swapExactTokensForTokens",
        weth_in,
        0,
        [dep.address("WETH"), dep.address("USDC")],
        trader,
        FAR_DEADLINE,
    )


def _execute_args(devnet: DevnetWorld, amount: int, min_profit: int) -> tuple[object, ...]:
    dep = devnet.deployment
    return (
        dep.pool("dexB", "WETH/USDC").address,  # borrow WETH where it is cheap
        dep.pool("dexA", "WETH/USDC").address,  # sell it where it is dear
        dep.address("WETH"),
        amount,
        min_profit,
    )


def test_profitable_arbitrage_lands_and_pays_the_owner(devnet: DevnetWorld) -> None:
    _skew_dex_b(devnet)
    dep = devnet.deployment
    arb = dep.address("PhantomArb")
    owner = devnet.account("arbitrageur")
    borrow, profit = best_flash_arb(_weth_usdc(devnet, "dexB"), _weth_usdc(devnet, "dexA"))
    assert borrow > 0 and profit > 100 * 10**6  # more than 100 USDC on the table

    repay, proceeds = devnet.call(
        "PhantomArb", arb, "quote", *_execute_args(devnet, borrow, 0)[:4], sender=owner
    )
    assert proceeds - repay == profit
    # eth_call returns the profit execute would realise.
    (simulated,) = devnet.call(
        "PhantomArb", arb, "execute", *_execute_args(devnet, borrow, profit), sender=owner
    )
    assert simulated == profit

    usdc_before = devnet.balance_of("USDC", owner)
    receipt = devnet.transact(
        owner, "PhantomArb", arb, "execute", *_execute_args(devnet, borrow, profit)
    )
    assert int(receipt["status"], 16) == 1
    realised = devnet.balance_of("USDC", owner) - usdc_before
    assert realised == profit
    # Nothing stays in the contract; the arbitrage closed most of the gap.
    assert devnet.balance_of("USDC", arb) == 0 and devnet.balance_of("WETH", arb) == 0
    _, left = best_flash_arb(_weth_usdc(devnet, "dexB"), _weth_usdc(devnet, "dexA"))
    assert left < profit // 100
    # The Arbitrage event carries the same numbers.
    topic = devnet.artifact("PhantomArb").abi.event_topic("Arbitrage")
    logs = [lg for lg in receipt["logs"] if bytes.fromhex(lg["topics"][0][2:]) == topic]
    assert len(logs) == 1
    event = devnet.artifact("PhantomArb").abi.decode_log(
        "Arbitrage",
        [bytes.fromhex(t[2:]) for t in logs[0]["topics"]],
        bytes.fromhex(logs[0]["data"][2:]),
    )
    assert event["profit"] == profit and event["amountBorrow"] == borrow


def test_reverts_when_profit_below_minimum(devnet: DevnetWorld) -> None:
    _skew_dex_b(devnet)
    arb = devnet.address("PhantomArb")
    owner = devnet.account("arbitrageur")
    borrow, profit = best_flash_arb(_weth_usdc(devnet, "dexB"), _weth_usdc(devnet, "dexA"))
    with pytest.raises(RpcError) as err:
        devnet.call(
            "PhantomArb", arb, "execute", *_execute_args(devnet, borrow, profit + 1), sender=owner
        )
    assert err.value.reason == PROFIT_BELOW_MINIMUM
    # A mined transaction reverts too (forced past estimation with an explicit gas limit).
    usdc_before = devnet.balance_of("USDC", owner)
    tx = devnet.rpc.send(
        owner,
        arb,
        devnet.calldata("PhantomArb", "execute", *_execute_args(devnet, borrow, 10**15)),
        gas=500_000,
    )
    receipt = devnet.rpc.wait(tx, check=False)
    assert int(receipt["status"], 16) == 0
    assert devnet.balance_of("USDC", owner) == usdc_before


def test_unprofitable_without_a_price_gap(devnet: DevnetWorld) -> None:
    arb = devnet.address("PhantomArb")
    owner = devnet.account("arbitrageur")
    assert best_flash_arb(_weth_usdc(devnet, "dexB"), _weth_usdc(devnet, "dexA")) == (0, 0)
    assert flash_arb_profit(ETH, _weth_usdc(devnet, "dexB"), _weth_usdc(devnet, "dexA")) < 0
    with pytest.raises(RpcError) as err:
        devnet.call("PhantomArb", arb, "execute", *_execute_args(devnet, ETH, 0), sender=owner)
    assert err.value.reason == PROFIT_BELOW_MINIMUM


def test_only_owner_and_guarded_callback(devnet: DevnetWorld) -> None:
    _skew_dex_b(devnet)
    arb = devnet.address("PhantomArb")
    stranger = devnet.account("trader")
    borrow, _ = best_flash_arb(_weth_usdc(devnet, "dexB"), _weth_usdc(devnet, "dexA"))
    with pytest.raises(RpcError) as err:
        devnet.call(
            "PhantomArb", arb, "execute", *_execute_args(devnet, borrow, 0), sender=stranger
        )
    assert err.value.reason == "PhantomArb: caller is not the owner"
    with pytest.raises(RpcError) as err:
        devnet.call(
            "PhantomArb", arb, "withdraw", devnet.address("USDC"), stranger, 1, sender=stranger
        )
    assert err.value.reason == "PhantomArb: caller is not the owner"
    # Nobody can drive the callback directly, not even as if from a pair.
    pair = devnet.deployment.pool("dexA", "WETH/USDC").address
    with pytest.raises(RpcError) as err:
        devnet.call("PhantomArb", arb, "uniswapV2Call", arb, 1, 0, b"\x00" * 192, sender=pair)
    assert err.value.reason == "PhantomArb: unexpected caller"


def test_rejects_mismatched_pairs(devnet: DevnetWorld) -> None:
    dep = devnet.deployment
    arb = dep.address("PhantomArb")
    owner = devnet.account("arbitrageur")
    usdc_pool = dep.pool("dexA", "WETH/USDC").address
    wbtc_pool = dep.pool("dexB", "WETH/WBTC").address
    cases = [
        (
            (usdc_pool, wbtc_pool, dep.address("WETH"), ETH, 0),
            "PhantomArb: pairs hold different tokens",
        ),
        ((usdc_pool, usdc_pool, dep.address("WETH"), ETH, 0), "PhantomArb: pairs must differ"),
        ((usdc_pool, wbtc_pool, dep.address("WBTC"), 1, 0), "PhantomArb: token not in pair"),
        (
            (usdc_pool, dep.pool("dexB", "WETH/USDC").address, dep.address("WETH"), 10**24, 0),
            "PhantomArb: insufficient liquidity",
        ),
    ]
    for args, reason in cases:
        with pytest.raises(RpcError) as err:
            devnet.call("PhantomArb", arb, "execute", *args, sender=owner)
        assert err.value.reason == reason
