"""Adapters to the outside world: one sub-package per venue family (``evm``, ``solana``, ...).

Venues depend on :mod:`phantom.core` only; nothing in ``core``, ``amm`` or ``engines`` imports
a venue.
"""
