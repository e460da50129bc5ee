"""Reverter: a transaction that passes eth_call and then fails once mined (for tx-manager tests)."""

from __future__ import annotations

import pytest

from phantom.devnet.rpc import RpcError
from phantom.devnet.world import DevnetWorld

GWEI = 10**9


def test_simulation_passes_then_mined_transaction_fails(devnet: DevnetWorld) -> None:
    rev = devnet.address("Reverter")
    user = devnet.account("user")
    other = devnet.account("trader")
    assert devnet.call("Reverter", rev, "poke", sender=user) == (1,)

    # Hold mining; the poke goes into the pool first, then an arm with a higher fee overtakes it.
    devnet.rpc.set_automine(False)
    poke = devnet.rpc.send(
        user,
        rev,
        devnet.calldata("Reverter", "poke"),
        gas=100_000,
        maxFeePerGas=50 * GWEI,
        maxPriorityFeePerGas=1 * GWEI,
    )
    arm = devnet.rpc.send(
        other,
        rev,
        devnet.calldata("Reverter", "arm", True),
        gas=100_000,
        maxFeePerGas=100 * GWEI,
        maxPriorityFeePerGas=20 * GWEI,
    )
    devnet.rpc.mine()
    arm_receipt = devnet.rpc.wait(arm)
    poke_receipt = devnet.rpc.wait(poke, check=False)
    assert arm_receipt["blockNumber"] == poke_receipt["blockNumber"]
    assert int(arm_receipt["transactionIndex"], 16) < int(poke_receipt["transactionIndex"], 16)
    assert int(poke_receipt["status"], 16) == 0
    with pytest.raises(RpcError) as err:
        devnet.call("Reverter", rev, "poke", sender=user)
    assert err.value.reason == "Reverter: armed"


def test_fail_reverts_with_given_reason(devnet: DevnetWorld) -> None:
    with pytest.raises(RpcError) as err:
        devnet.call("Reverter", devnet.address("Reverter"), "fail", "custom reason")
    assert err.value.reason == "custom reason"
