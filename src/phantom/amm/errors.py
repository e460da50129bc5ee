"""Errors raised by the AMM maths."""

from __future__ import annotations


class InsufficientLiquidity(ValueError):
    """The pool cannot serve the request: empty reserves, a zero amount, an output at or beyond
    the pool's holdings, or (concentrated liquidity) an input that exhausts every initialized
    range."""
