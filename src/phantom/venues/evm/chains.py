"""Registry of the supported EVM chains: identity and fee model, never endpoints.

Facts from the project's domain reference §7 (chain ids checked against ethereum-lists/chains).
Fee parameters drift, so they are *notes* for humans and a few structural flags the fee code
needs (tips ignored, base fee fixed at zero, a known priority-fee floor); live values always come
from ``eth_feeHistory``. RPC/WS endpoints come from settings, not from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from phantom.venues.evm.errors import UnknownChain

GWEI = 10**9


@dataclass(frozen=True, slots=True)
class Chain:
    """One EVM chain.

    ``priority_fee_ignored``: the sequencer orders first-come-first-served, a tip buys nothing
    (Arbitrum), so the fee code sends a zero tip. ``base_fee_zero``: the base fee is fixed at 0
    (BSC, BEP-226), so ``maxFeePerGas`` equals the tip. ``min_priority_fee_wei``: a tip floor the
    chain enforces (Polygon's 25 gwei); a tip cap below it can never land.
    """

    chain_id: int
    key: str
    name: str
    native_symbol: str
    eip1559: bool = True
    priority_fee_ignored: bool = False
    base_fee_zero: bool = False
    min_priority_fee_wei: int = 0
    l1_data_fee: bool = False
    fee_notes: str = ""
    aliases: tuple[str, ...] = field(default=())
    native_decimals: int = 18

    def __str__(self) -> str:
        return f"{self.name} ({self.chain_id})"


CHAINS: tuple[Chain, ...] = (
    Chain(1, "ethereum", "Ethereum", "ETH", aliases=("eth", "mainnet"),
          fee_notes="EIP-1559 since London: elasticity 2, base fee moves at most 12.5% a block."),
    Chain(137, "polygon", "Polygon PoS", "POL", aliases=("matic", "polygon-pos"),
          min_priority_fee_wei=25 * GWEI,
          fee_notes="EIP-1559 since Jan 2022; gas token POL (was MATIC). A 25 gwei floor is "
                    "enforced on the priority fee (PIP-59 proposes moving it to the base fee)."),
    Chain(42161, "arbitrum", "Arbitrum One", "ETH", aliases=("arb", "arbitrum-one"),
          priority_fee_ignored=True, l1_data_fee=True,
          fee_notes="Accepts type-2 txs but tips are ignored (FCFS sequencer). Base-fee floor "
                    "0.01 gwei. Gas includes an L1 calldata component."),
    Chain(10, "optimism", "Optimism", "ETH", aliases=("op",), l1_data_fee=True,
          fee_notes="OP stack: elasticity 6, denominator 250 (after Canyon), plus an L1 data fee."),
    Chain(8453, "base", "Base", "ETH", l1_data_fee=True,
          fee_notes="OP stack: denominator 125 (since 2026-02-04), a minimum base fee, plus an "
                    "L1 data fee."),
    Chain(56, "bsc", "BNB Smart Chain", "BNB", aliases=("bnb", "binance"), base_fee_zero=True,
          fee_notes="Type-2 supported but the base fee is fixed at 0 (BEP-226): maxFee = tip."),
    Chain(43114, "avalanche", "Avalanche C-Chain", "AVAX", aliases=("avax",),
          fee_notes="Dynamic fees since Apricot Phase 3; minimum base fee lowered from 25 to "
                    "1 nAVAX (ACP-125)."),
    Chain(146, "sonic", "Sonic", "S", aliases=("sonic-mainnet",),
          fee_notes="Successor of Fantom Opera (250), FTM->S 1:1, launched 2024-12-18. "
                    "Type-2 supported (verify live)."),
    Chain(59144, "linea", "Linea", "ETH",
          fee_notes="EIP-1559; the base fee sits at ~7 wei. Prefer linea_estimateGas."),
    Chain(534352, "scroll", "Scroll", "ETH", l1_data_fee=True,
          fee_notes="Modified EIP-1559 since Curie (2024-07-03) plus an L1 data fee."),
    Chain(5000, "mantle", "Mantle", "MNT", l1_data_fee=True,
          fee_notes="OP-stack fork, gas token MNT. Base fee was frozen (tokenRatio model); the "
                    "Arsia upgrade adds dynamic EIP-1559 and an operator fee."),
    Chain(324, "zksync", "zkSync Era", "ETH", aliases=("zksync-era", "era"),
          fee_notes="Accepts type-2 txs, but fees follow a pubdata/proving model "
                    "(gas_per_pubdata). Estimate with zks_estimateFee."),
    Chain(81457, "blast", "Blast", "ETH", l1_data_fee=True,
          fee_notes="OP stack, EIP-1559 plus an L1 data fee."),
    Chain(42220, "celo", "Celo", "CELO", l1_data_fee=True,
          fee_notes="OP-stack L2 since 2025-03-26: elasticity 5, denominator 400, 25 gwei "
                    "base-fee floor, L1 fee always 0. Tx type 123 (feeCurrency) pays gas in "
                    "stablecoins; this venue sends type 2 only."),
    Chain(204, "opbnb", "opBNB", "BNB", l1_data_fee=True,
          fee_notes="OP stack, EIP-1559."),
    Chain(31337, "devnet", "Anvil devnet", "ETH", aliases=("anvil", "local"),
          fee_notes="Local anvil node: EIP-1559, base fee starts at 1 gwei."),
)  # fmt: skip

#: Chains that no longer exist under that id: id -> (old name, successor id).
SUPERSEDED: dict[int, tuple[str, int]] = {250: ("Fantom Opera", 146)}
_SUPERSEDED_NAMES: dict[str, int] = {"fantom": 250, "ftm": 250, "fantom-opera": 250}

_BY_ID: dict[int, Chain] = {c.chain_id: c for c in CHAINS}
_BY_NAME: dict[str, Chain] = {}
for _c in CHAINS:
    for _n in (_c.key, _c.name, *_c.aliases):
        _BY_NAME[_n.lower()] = _c


def get_chain(ref: int | str) -> Chain:
    """The chain with this id (``8453``, ``"8453"``) or name/alias (``"base"``), case-insensitive.

    Raises :class:`UnknownChain` naming the known chains, or the successor of a superseded one.
    """
    chain_id: int | None = None
    if isinstance(ref, int):
        chain_id = ref
    else:
        text = ref.strip().lower()
        if text.isdigit():
            chain_id = int(text)
        elif text in _BY_NAME:
            return _BY_NAME[text]
        elif text in _SUPERSEDED_NAMES:
            chain_id = _SUPERSEDED_NAMES[text]
    if chain_id is not None:
        if chain_id in _BY_ID:
            return _BY_ID[chain_id]
        if chain_id in SUPERSEDED:
            old, new = SUPERSEDED[chain_id]
            raise UnknownChain(
                f"chain {old} ({chain_id}) was superseded by {_BY_ID[new]}; use {new} instead"
            )
    known = ", ".join(f"{c.key}={c.chain_id}" for c in CHAINS)
    raise UnknownChain(f"unknown EVM chain {ref!r}; known chains: {known}")


def all_chains() -> tuple[Chain, ...]:
    """Every registered chain, mainnets first, the devnet last."""
    return CHAINS
