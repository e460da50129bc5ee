"""Solana venue: smart RPC router, Jupiter client and swapper, Jito, wallet and keystore.

See ``docs/solana-venue.md``. Import from the submodules (``router``, ``rpc``, ``jupiter``,
``jupiter_models``, ``jito``, ``keystore``, ``wallet``, ``sender``, ``swapper``, ``txtools``).
"""
