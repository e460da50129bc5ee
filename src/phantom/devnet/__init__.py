"""Local EVM devnet: anvil, the real Uniswap V2 contracts, test tokens, the arbitrage contract."""

from phantom.devnet.anvil import (
    DEFAULT_CHAIN_ID,
    DEFAULT_MNEMONIC,
    AnvilError,
    AnvilProcess,
    anvil_binary,
    free_port,
)

__all__ = [
    "DEFAULT_CHAIN_ID",
    "DEFAULT_MNEMONIC",
    "AnvilError",
    "AnvilProcess",
    "anvil_binary",
    "free_port",
]
