"""Wallets on anvil: several keystore wallets, native and ERC-20 balances, exact approvals."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantom.devnet.anvil import AnvilProcess
from phantom.venues.evm.abi import MAX_UINT256, event_topic
from phantom.venues.evm.errors import MalformedResponse
from phantom.venues.evm.keystore import Keystore
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey
from phantom.venues.evm.wallet import (
    allowance,
    approve_exact,
    balance_of,
    load_wallets,
    native_balance,
)

from .evm_support import ETH, deploy, make_txm, run

SUPPLY = 10**24
SPENDER = "0x000000000000000000000000000000000000cafE"
APPROVAL = event_topic("Approval(address,address,uint256)")


def test_several_wallets_and_balances(node: AnvilProcess, key: SecretKey, tmp_path: Path) -> None:
    ks = Keystore(tmp_path, scrypt_n=2**12)
    ks.import_key("trader", "0x" + key.reveal().hex(), "pw-trader")
    ks.new("spare", "pw-spare")
    passwords = {"trader": "pw-trader", "spare": "pw-spare"}
    wallets = load_wallets(ks, ["trader", "spare"], passwords.__getitem__)
    assert set(wallets) == {"trader", "spare"}
    assert "pw-" not in repr(wallets) and key.reveal().hex() not in repr(wallets)

    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            trader = wallets["trader"]
            assert await native_balance(rpc, trader.address) == 100 * ETH
            assert await native_balance(rpc, wallets["spare"].address) == 0
            txm = make_txm(rpc, key)
            assert txm.address == trader.address
            token = await deploy(txm, "v2-core", "ERC20", ["uint256"], [SUPPLY])
            assert await balance_of(rpc, token, trader.address) == SUPPLY
            assert await balance_of(rpc, token, wallets["spare"].address) == 0
            with pytest.raises(MalformedResponse, match="not a uint256"):
                await balance_of(rpc, "0x" + "99" * 20, trader.address)  # no code there

    run(main())


def test_approve_exact(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            token = await deploy(txm, "v2-core", "ERC20", ["uint256"], [SUPPLY])
            for amount in (MAX_UINT256, 2**255, SUPPLY + 1, -1):
                with pytest.raises(ValueError, match="unlimited"):
                    await approve_exact(txm, token, SPENDER, amount)
            first = await approve_exact(txm, token, SPENDER, 1_000)
            assert len(first) == 1 and first[0].ok
            assert await allowance(rpc, token, txm.address, SPENDER) == 1_000
            assert await approve_exact(txm, token, SPENDER, 1_000) == []  # already exact
            changed = await approve_exact(txm, token, SPENDER, 250)
            assert len(changed) == 1
            assert await allowance(rpc, token, txm.address, SPENDER) == 250
            # USDT-style tokens: reset to 0 first, then set.
            reset = await approve_exact(txm, token, SPENDER, 400, reset_first=True)
            values = [
                int.from_bytes(o.receipt.logs[0].data, "big")
                for o in reset
                if o.receipt.logs[0].topics[0] == APPROVAL
            ]
            assert values == [0, 400]
            assert await allowance(rpc, token, txm.address, SPENDER) == 400
            revoke = await approve_exact(txm, token, SPENDER, 0, reset_first=True)
            assert len(revoke) == 1 and await allowance(rpc, token, txm.address, SPENDER) == 0

    run(main())
