"""Deploy the devnet world onto a running anvil node.

WETH9, two independent Uniswap V2 DEXes (factory + router02 from the published npm artifacts),
test tokens, pools at different depths on both DEXes, the PhantomArb contract and a Reverter;
then fund the role accounts with WETH and tokens and approve both routers for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from pydantic import SecretStr

from phantom.devnet.abi import checksum
from phantom.devnet.anvil import DEFAULT_MNEMONIC
from phantom.devnet.artifacts import (
    Artifact,
    artifact,
    pair_init_code_hash,
    router_knows_init_code_hash,
)
from phantom.devnet.deployment import (
    Deployment,
    DevAccount,
    DexInfo,
    PoolInfo,
    TokenInfo,
)
from phantom.devnet.rpc import DevnetRpc

MAX_UINT256 = 2**256 - 1
#: A deadline far in the future for router calls on a devnet.
FAR_DEADLINE = 2**63
ETHER = 10**18

#: Account roles, in mnemonic index order.
ROLES: tuple[str, ...] = (
    "deployer",
    "arbitrageur",
    "trader",
    "noise1",
    "noise2",
    "noise3",
    "sandwich",
    "user",
)


@dataclass(frozen=True)
class TokenSpec:
    symbol: str
    name: str
    decimals: int


@dataclass(frozen=True)
class PoolSpec:
    """Seed ``base_amount`` / ``quote_amount`` (whole units) into ``BASE/QUOTE`` on ``dex``."""

    dex: str
    base: str
    quote: str
    base_amount: int
    quote_amount: int

    @property
    def name(self) -> str:
        return f"{self.base}/{self.quote}"


@dataclass(frozen=True)
class DeploySpec:
    """What to deploy. Amounts are whole token units (scaled by decimals at deployment)."""

    tokens: tuple[TokenSpec, ...] = (
        TokenSpec("USDC", "USD Coin (devnet)", 6),
        TokenSpec("WBTC", "Wrapped BTC (devnet)", 8),
    )
    dexes: tuple[str, ...] = ("dexA", "dexB")
    # ETH = 3,000 USDC and BTC = 20 ETH on both DEXes; dexA is five times deeper than dexB.
    pools: tuple[PoolSpec, ...] = (
        PoolSpec("dexA", "WETH", "USDC", 1_000, 3_000_000),
        PoolSpec("dexB", "WETH", "USDC", 200, 600_000),
        PoolSpec("dexA", "WETH", "WBTC", 1_000, 50),
        PoolSpec("dexB", "WETH", "WBTC", 200, 10),
    )
    roles: tuple[str, ...] = ROLES
    #: What each account other than the deployer receives (whole units).
    fund: dict[str, int] = field(
        default_factory=lambda: {"WETH": 100, "USDC": 1_000_000, "WBTC": 10}
    )


DEFAULT_SPEC = DeploySpec()


def derive_accounts(roles: tuple[str, ...], mnemonic: str = DEFAULT_MNEMONIC) -> list[DevAccount]:
    """Devnet accounts ``m/44'/60'/0'/0/i`` of ``mnemonic``, labelled by role."""
    Account.enable_unaudited_hdwallet_features()
    out: list[DevAccount] = []
    for index, role in enumerate(roles):
        acct = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
        out.append(
            DevAccount(
                role=role,
                index=index,
                address=checksum(acct.address),
                private_key=SecretStr("0x" + bytes(acct.key).hex()),
            )
        )
    return out


class _Deployer:
    def __init__(self, rpc: DevnetRpc, sender: str) -> None:
        self.rpc = rpc
        self.sender = sender
        self._artifacts: dict[str, Artifact] = {}

    def artifact(self, name: str) -> Artifact:
        if name not in self._artifacts:
            self._artifacts[name] = artifact(name)
        return self._artifacts[name]

    def create(self, name: str, *args: Any, sender: str | None = None) -> str:
        data = self.artifact(name).deploy_data(*args)
        receipt = self.rpc.transact(sender or self.sender, None, data)
        address = receipt.get("contractAddress")
        if not isinstance(address, str):
            raise RuntimeError(f"deploying {name} gave no contract address")
        return checksum(address)

    def send(
        self, to: str, contract: str, fn: str, *args: Any, sender: str | None = None, value: int = 0
    ) -> dict[str, Any]:
        data = self.artifact(contract).abi.encode_call(fn, *args)
        return self.rpc.transact(sender or self.sender, to, data, value=value)

    def read(self, to: str, contract: str, fn: str, *args: Any) -> tuple[Any, ...]:
        abi = self.artifact(contract).abi
        raw = self.rpc.eth_call({"to": to, "data": abi.encode_call_hex(fn, *args)})
        return abi.decode_result(fn, raw, len(args))


def deploy(
    rpc: DevnetRpc,
    spec: DeploySpec = DEFAULT_SPEC,
    *,
    mnemonic: str = DEFAULT_MNEMONIC,
    ws_url: str | None = None,
) -> Deployment:
    """Deploy everything onto the node behind ``rpc``; returns the deployment (not written)."""
    accounts = derive_accounts(spec.roles, mnemonic)
    unlocked = {checksum(a) for a in rpc.accounts()}
    missing = [a.role for a in accounts if a.address not in unlocked]
    if missing:
        raise RuntimeError(f"the node has no unlocked dev account for roles {missing}")
    by_role = {a.role: a.address for a in accounts}
    deployer = by_role[spec.roles[0]]
    d = _Deployer(rpc, deployer)

    weth = d.create("WETH9")
    tokens: dict[str, TokenInfo] = {
        "WETH": TokenInfo(symbol="WETH", name="Wrapped Ether", address=weth, decimals=18)
    }
    for t in spec.tokens:
        addr = d.create("TestToken", t.name, t.symbol, t.decimals)
        tokens[t.symbol] = TokenInfo(
            symbol=t.symbol, name=t.name, address=addr, decimals=t.decimals
        )

    dexes: dict[str, DexInfo] = {}
    for dex in spec.dexes:
        factory = d.create("UniswapV2Factory", deployer)
        router = d.create("UniswapV2Router02", factory, weth)
        dexes[dex] = DexInfo(name=dex, factory=factory, router=router)

    arb_owner = by_role.get("arbitrageur", deployer)
    contracts = {
        "WETH9": weth,
        "PhantomArb": d.create("PhantomArb", sender=arb_owner),
        "Reverter": d.create("Reverter"),
    }

    # Liquidity: the deployer wraps and mints what the pools need, then adds it via each router.
    def units(symbol: str, whole: int) -> int:
        return int(whole * 10 ** tokens[symbol].decimals)

    need: dict[str, int] = {}
    for p in spec.pools:
        for sym, whole in ((p.base, p.base_amount), (p.quote, p.quote_amount)):
            if sym not in tokens:
                raise ValueError(f"pool {p.dex}:{p.name} uses unknown token {sym!r}")
            if p.dex not in dexes:
                raise ValueError(f"pool {p.dex}:{p.name} is on unknown DEX {p.dex!r}")
            need[sym] = need.get(sym, 0) + units(sym, whole)
    _fund(d, deployer, tokens, need, deployer, [x.router for x in dexes.values()])

    pools: dict[str, dict[str, PoolInfo]] = {dex: {} for dex in dexes}
    for p in spec.pools:
        base, quote = tokens[p.base], tokens[p.quote]
        amount_base, amount_quote = units(p.base, p.base_amount), units(p.quote, p.quote_amount)
        router = dexes[p.dex].router
        d.send(
            router,
            "UniswapV2Router02",
            "addLiquidity",
            base.address,
            quote.address,
            amount_base,
            amount_quote,
            amount_base,
            amount_quote,
            deployer,
            FAR_DEADLINE,
        )
        (pair,) = d.read(
            dexes[p.dex].factory, "UniswapV2Factory", "getPair", base.address, quote.address
        )
        base_is_0 = int(base.address, 16) < int(quote.address, 16)
        t0, t1 = (base, quote) if base_is_0 else (quote, base)
        r0, r1 = (amount_base, amount_quote) if base_is_0 else (amount_quote, amount_base)
        pools[p.dex][p.name] = PoolInfo(
            dex=p.dex,
            name=p.name,
            address=checksum(pair),
            token0=t0.address,
            token1=t1.address,
            symbol0=t0.symbol,
            symbol1=t1.symbol,
            initial_reserve0=r0,
            initial_reserve1=r1,
        )

    routers = [x.router for x in dexes.values()]
    fund_units = {sym: units(sym, whole) for sym, whole in spec.fund.items() if sym in tokens}
    for acct in accounts[1:]:
        _fund(d, deployer, tokens, fund_units, acct.address, routers)

    addresses: dict[str, str] = {sym: t.address for sym, t in tokens.items()}
    for dex, info in dexes.items():
        addresses[f"{dex}.factory"] = info.factory
        addresses[f"{dex}.router"] = info.router
    addresses.update(contracts)
    url = rpc.url
    return Deployment(
        rpc_url=url,
        ws_url=ws_url if ws_url is not None else url.replace("http://", "ws://", 1),
        chain_id=rpc.chain_id(),
        deployed_block=rpc.block_number(),
        pair_init_code_hash="0x" + pair_init_code_hash().hex(),
        router_init_code_hash_matches=router_knows_init_code_hash(),
        tokens=tokens,
        dexes=dexes,
        pools=pools,
        contracts=contracts,
        addresses=addresses,
        accounts=accounts,
    )


def _fund(
    d: _Deployer,
    minter: str,
    tokens: dict[str, TokenInfo],
    amounts: dict[str, int],
    to: str,
    spenders: list[str],
) -> None:
    """Give ``to`` the ``amounts`` (WETH by wrapping its own ETH, others minted by ``minter``)
    and approve every spender for every token on its behalf."""
    for sym, amount in amounts.items():
        if amount <= 0:
            continue
        token = tokens[sym]
        if sym == "WETH":
            d.send(token.address, "WETH9", "deposit", sender=to, value=amount)
        else:
            d.send(token.address, "TestToken", "mint", to, amount, sender=minter)
    for token in tokens.values():
        contract = "WETH9" if token.symbol == "WETH" else "TestToken"
        for spender in spenders:
            d.send(token.address, contract, "approve", spender, MAX_UINT256, sender=to)


def pool_reserves(rpc: DevnetRpc, pair: str) -> tuple[int, int]:
    """Current (reserve0, reserve1) of a Uniswap V2 pair."""
    abi = artifact("UniswapV2Pair").abi
    raw = rpc.eth_call({"to": pair, "data": abi.encode_call_hex("getReserves")})
    r0, r1, _ = abi.decode_result("getReserves", raw)
    return int(r0), int(r1)


def erc20_balance(rpc: DevnetRpc, token: str, owner: str) -> int:
    abi = artifact("TestToken").abi
    raw = rpc.eth_call({"to": token, "data": abi.encode_call_hex("balanceOf", owner)})
    return int(abi.decode_result("balanceOf", raw)[0])
