"""The deployment file: what ``phantom devnet up`` deployed and where (read by other commands).

Amounts are int base units. The funded accounts are anvil's well-known public test keys (derived
from the public test mnemonic) and are marked ``devnet_only``; their keys are kept as
``SecretStr`` in memory so they never show in a repr or a log, and are written to the file in
clear (mode 0600) because that is what the file is for.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, field_serializer

FORMAT = "phantom-devnet/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenInfo(_Frozen):
    symbol: str
    name: str
    address: str
    decimals: int


class DexInfo(_Frozen):
    name: str
    factory: str
    router: str
    fee_bps: int = 30


class PoolInfo(_Frozen):
    """A Uniswap V2 pair. ``name`` is ``BASE/QUOTE``; reserves are as seeded at deployment."""

    dex: str
    name: str
    address: str
    token0: str
    token1: str
    symbol0: str
    symbol1: str
    initial_reserve0: int
    initial_reserve1: int


class DevAccount(_Frozen):
    role: str
    index: int
    address: str
    private_key: SecretStr
    devnet_only: Literal[True] = True

    @field_serializer("private_key", when_used="json")
    def _reveal(self, value: SecretStr) -> str:
        return value.get_secret_value()


class NodeInfo(_Frozen):
    """The anvil process behind the deployment (absent for a node the caller manages)."""

    pid: int | None = None
    port: int
    log_path: str | None = None
    block_time: int | None = None


class Deployment(_Frozen):
    format: Literal["phantom-devnet/1"] = "phantom-devnet/1"
    devnet_only: Literal[True] = True
    rpc_url: str
    ws_url: str
    chain_id: int
    deployed_block: int
    pair_init_code_hash: str
    router_init_code_hash_matches: bool
    tokens: dict[str, TokenInfo]
    dexes: dict[str, DexInfo]
    pools: dict[str, dict[str, PoolInfo]]
    contracts: dict[str, str]
    addresses: dict[str, str]
    accounts: list[DevAccount]
    node: NodeInfo | None = None

    def token(self, symbol: str) -> TokenInfo:
        try:
            return self.tokens[symbol]
        except KeyError:
            raise KeyError(f"no token {symbol!r}; deployed: {sorted(self.tokens)}") from None

    def pool(self, dex: str, pair: str) -> PoolInfo:
        """A pool by DEX name and ``A/B`` (either order)."""
        pools = self.pools.get(dex)
        if pools is None:
            raise KeyError(f"no DEX {dex!r}; deployed: {sorted(self.pools)}")
        if pair in pools:
            return pools[pair]
        base, _, quote = pair.partition("/")
        flipped = f"{quote}/{base}"
        if flipped in pools:
            return pools[flipped]
        raise KeyError(f"no pool {pair!r} on {dex}; deployed: {sorted(pools)}")

    def account(self, role: str) -> DevAccount:
        for acct in self.accounts:
            if acct.role == role:
                return acct
        raise KeyError(f"no account with role {role!r}; roles: {[a.role for a in self.accounts]}")

    def address(self, name: str) -> str:
        """Any deployed address by name: ``WETH``, ``USDC``, ``dexA.router``, ``PhantomArb``,
        ``dexA:WETH/USDC`` (a pool)."""
        if name in self.addresses:
            return self.addresses[name]
        dex, sep, pair = name.partition(":")
        if sep:
            return self.pool(dex, pair).address
        raise KeyError(f"no address named {name!r}")

    def with_node(self, node: NodeInfo | None) -> Deployment:
        return self.model_copy(update={"node": node})


def write_deployment(deployment: Deployment, path: Path) -> None:
    """Write atomically with mode 0600 (the file holds the devnet keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = deployment.model_dump_json(indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".deployment-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_deployment(path: Path) -> Deployment:
    """Read a deployment file; a clear error if missing or malformed."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"no devnet deployment at {path}; start one with `phantom devnet up`"
        ) from None
    return Deployment.model_validate_json(text)
