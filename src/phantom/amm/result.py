"""The result type of an exact-input swap, shared by every pool kind."""

from __future__ import annotations

from dataclasses import dataclass

from phantom.core.pool import Pool


@dataclass(frozen=True, slots=True)
class SwapResult:
    """An exact-input swap's outcome.

    ``amount_in`` is the input consumed (all of it unless a concentrated-liquidity swap stopped
    at a price limit), ``fee_paid`` the LP fee in token_in base units, ``pool_after`` the new
    pool snapshot.
    """

    amount_in: int
    amount_out: int
    fee_paid: int
    pool_after: Pool
