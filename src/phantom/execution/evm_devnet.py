"""The devnet deployment as the live mode sees it: tokens, pools, reference prices, contracts.

One place maps ``phantom devnet``'s deployment file onto the platform's types, for the live run,
the demo, the tests and the benchmarks: tokens on chain ``devnet`` with their addresses, the
native token ``ETH``, each Uniswap V2 pair as pool ``<dex>:<BASE/QUOTE>`` (0.3 % fee), reference
USD prices (``USDC = 1``; WETH from the deep ``dexA`` WETH/USDC pool; WBTC through
``dexA`` WETH/WBTC; ETH = WETH), and the ``PhantomArb`` contract.
"""

from __future__ import annotations

from dataclasses import dataclass

from phantom.core.token import Token
from phantom.devnet.deployment import Deployment
from phantom.execution.evm_types import EvmVenueConfig
from phantom.market.evm_source import EvmPoolSpec, ReferencePrices
from phantom.venues.evm.fees import FeePolicy

CHAIN = "devnet"
NATIVE = Token("ETH", 18, CHAIN)
#: The ledger's native-token map must know the devnet chain's gas token.
NATIVE_SYMBOLS = {CHAIN: "ETH"}
#: Gas limit of a PhantomArb two-pool call on the devnet. The same arbitrage used 166.9k, 202.6k
#: or 247.6k gas depending on how many of the freshly deployed pairs write their first price
#: accumulators (zero -> non-zero storage) in that block, which depends on the timestamp anvil
#: gives the block at inclusion: an estimate x1.2 was once short. A fixed bound above the worst
#: case also saves eth_estimateGas (2.8 ms) on the send path; only gas used is paid.
PHANTOM_ARB_GAS_LIMIT = 300_000


@dataclass(frozen=True, slots=True)
class DevnetVenue:
    deployment: Deployment
    tokens: dict[str, Token]  # by symbol
    pools: tuple[EvmPoolSpec, ...]
    prices: ReferencePrices
    native: Token = NATIVE

    @property
    def tokens_by_address(self) -> dict[str, Token]:
        return {t.address.lower(): t for t in self.tokens.values()}

    @property
    def pair_address(self) -> dict[str, str]:
        return {p.pool_id: p.address for p in self.pools}

    @property
    def arb_contract(self) -> str:
        return self.deployment.address("PhantomArb")

    def token(self, symbol: str) -> Token:
        return self.tokens[symbol]

    def venue_config(
        self,
        fee_policy: FeePolicy,
        *,
        rpc_url: str | None = None,
        receipt_timeout_s: float = 60.0,
        poll_interval_s: float = 0.005,
        relay_url: str | None = None,
    ) -> EvmVenueConfig:
        return EvmVenueConfig(
            chain_id=self.deployment.chain_id,
            rpc_url=rpc_url or self.deployment.rpc_url,
            arb_contract=self.arb_contract,
            pair_address=self.pair_address,
            tokens=self.tokens_by_address,
            native=self.native,
            fee_policy=fee_policy,
            receipt_timeout_s=receipt_timeout_s,
            poll_interval_s=poll_interval_s,
            relay_url=relay_url,
            fixed_gas_limit=PHANTOM_ARB_GAS_LIMIT,
        )


def devnet_venue(dep: Deployment) -> DevnetVenue:
    tokens = {
        sym: Token(sym, info.decimals, CHAIN, info.address) for sym, info in dep.tokens.items()
    }
    pools = tuple(
        EvmPoolSpec(
            pool_id=f"{dex}:{name}",
            venue=dex,
            address=info.address,
            token0=tokens[info.symbol0],
            token1=tokens[info.symbol1],
        )
        for dex in sorted(dep.pools)
        for name, info in sorted(dep.pools[dex].items())
    )
    ids = {p.pool_id for p in pools}
    reference = tuple(p for p in ("dexA:WETH/USDC", "dexA:WETH/WBTC") if p in ids)
    prices = ReferencePrices(anchors={"USDC": 1.0}, pools=reference, aliases={"ETH": "WETH"})
    return DevnetVenue(dep, tokens, pools, prices)
