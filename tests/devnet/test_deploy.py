"""The deployed devnet world: contracts, pools at the intended depths, funded accounts, file."""

from __future__ import annotations

import json
from pathlib import Path

from phantom.devnet.artifacts import pair_init_code_hash, router_knows_init_code_hash
from phantom.devnet.deployment import load_deployment, write_deployment
from phantom.devnet.world import DevnetWorld

ETH = 10**18
USDC = 10**6
BTC = 10**8


def test_uniswap_init_code_hash_matches_router() -> None:
    # The router's pairFor() hard-codes the CREATE2 init-code hash of UniswapV2Pair.
    assert pair_init_code_hash().hex() == (
        "96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"
    )
    assert router_knows_init_code_hash()


def test_contracts_deployed(devnet: DevnetWorld) -> None:
    dep = devnet.deployment
    assert dep.chain_id == 31337 and dep.devnet_only
    assert dep.router_init_code_hash_matches
    for name in [
        "WETH",
        "USDC",
        "WBTC",
        "dexA.factory",
        "dexA.router",
        "dexB.factory",
        "dexB.router",
        "PhantomArb",
        "Reverter",
    ]:
        assert len(devnet.rpc.code(dep.address(name))) > 0, name
    assert dep.address("dexA.factory") != dep.address("dexB.factory")
    assert {t: dep.token(t).decimals for t in dep.tokens} == {"WETH": 18, "USDC": 6, "WBTC": 8}
    assert devnet.call("TestToken", dep.address("USDC"), "decimals") == (6,)
    assert devnet.call("TestToken", dep.address("WBTC"), "symbol") == ("WBTC",)
    # Each router points at its own factory and the shared WETH.
    for dex in ("dexA", "dexB"):
        router = dep.address(f"{dex}.router")
        (factory,) = devnet.call("UniswapV2Router02", router, "factory")
        (weth,) = devnet.call("UniswapV2Router02", router, "WETH")
        assert factory.lower() == dep.address(f"{dex}.factory").lower()
        assert weth.lower() == dep.address("WETH").lower()
    (owner,) = devnet.call("PhantomArb", dep.address("PhantomArb"), "owner")
    assert owner.lower() == dep.account("arbitrageur").address.lower()


def test_pools_have_intended_reserves(devnet: DevnetWorld) -> None:
    dep = devnet.deployment
    expected = {
        ("dexA", "WETH/USDC"): {"WETH": 1_000 * ETH, "USDC": 3_000_000 * USDC},
        ("dexB", "WETH/USDC"): {"WETH": 200 * ETH, "USDC": 600_000 * USDC},
        ("dexA", "WETH/WBTC"): {"WETH": 1_000 * ETH, "WBTC": 50 * BTC},
        ("dexB", "WETH/WBTC"): {"WETH": 200 * ETH, "WBTC": 10 * BTC},
    }
    for (dex, pair), amounts in expected.items():
        pool = dep.pool(dex, pair)
        assert dep.pool(dex, "/".join(reversed(pair.split("/")))) == pool
        r0, r1 = devnet.reserves(dex, pair)
        assert {pool.symbol0: r0, pool.symbol1: r1} == amounts
        assert (pool.initial_reserve0, pool.initial_reserve1) == (r0, r1)
        # token0 < token1 as Uniswap sorts them; the factory knows the pair.
        assert int(pool.token0, 16) < int(pool.token1, 16)
        (pair_addr,) = devnet.call(
            "UniswapV2Factory", dep.address(f"{dex}.factory"), "getPair", pool.token0, pool.token1
        )
        assert pair_addr.lower() == pool.address.lower()
    # Same price, different depth: 3,000 USDC per WETH on both DEXes.
    a = dep.pool("dexA", "WETH/USDC")
    b = dep.pool("dexB", "WETH/USDC")
    assert a.address != b.address


def test_accounts_funded_and_approved(devnet: DevnetWorld) -> None:
    dep = devnet.deployment
    assert [a.role for a in dep.accounts][:2] == ["deployer", "arbitrageur"]
    for acct in dep.accounts[1:]:
        assert devnet.balance_of("WETH", acct.address) == 100 * ETH
        assert devnet.balance_of("USDC", acct.address) == 1_000_000 * USDC
        assert devnet.balance_of("WBTC", acct.address) == 10 * BTC
        for dex in ("dexA", "dexB"):
            (allowance,) = devnet.call(
                "TestToken",
                dep.address("USDC"),
                "allowance",
                acct.address,
                dep.address(f"{dex}.router"),
            )
            assert allowance == 2**256 - 1
    assert all(a.devnet_only for a in dep.accounts)


def test_deployment_file_round_trip_hides_keys_in_repr(devnet: DevnetWorld, tmp_path: Path) -> None:
    dep = devnet.deployment
    path = tmp_path / "deployment.json"
    write_deployment(dep, path)
    assert path.stat().st_mode & 0o777 == 0o600
    raw = json.loads(path.read_text())
    assert raw["format"] == "phantom-devnet/1" and raw["devnet_only"] is True
    first = raw["accounts"][0]
    assert first["devnet_only"] is True
    # The well-known public anvil key #0, written in clear for the other commands.
    assert first["private_key"].startswith("0xac0974be")
    assert raw["pools"]["dexA"]["WETH/USDC"]["initial_reserve0"] == 1_000 * ETH
    assert load_deployment(path) == dep
    key = dep.accounts[0].private_key.get_secret_value()
    assert key not in repr(dep) and key not in str(dep.accounts[0])
