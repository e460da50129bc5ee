"""The local Solana world on LiteSVM: JSON-RPC, a Jupiter-compatible API and a Jito-compatible
block engine on 127.0.0.1, with an on-chain slippage guard and fault injection.

Start it with ``phantom.localsolana.world.LocalSolanaWorld``; see ``docs/solana-venue.md``.
"""
