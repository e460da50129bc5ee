"""Phantom Arbiter: on-chain trading whose paper fills cost what on-chain fills cost."""

__version__ = "0.1.0"
