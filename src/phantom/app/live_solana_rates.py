"""LSTs' on-chain rates for live mode: each rate account read with ``getAccountInfo`` and
decoded by ``venues/solana_accounts`` (an SPL ``StakePool``: ``total_lamports /
pool_token_supply``; Marinade's ``State``: ``msol_price / 2^32``), handed to the lst engine as a
:class:`~phantom.engines.lst.engine.StakeRate` when it changes (once per epoch)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from phantom.engines.lst.engine import StakeRate
from phantom.market.solana_source import account_data
from phantom.venues.solana.errors import SolanaError
from phantom.venues.solana.router import SmartRouter
from phantom.venues.solana_accounts import decode_marinade_state, decode_stake_pool

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateAccount:
    """Where an LST's rate is on chain: the account, its layout and the LST's mint."""

    symbol: str
    address: str
    layout: Literal["spl_stake_pool", "marinade"]
    mint: str


async def read_rate(router: SmartRouter, account: RateAccount) -> Decimal:
    """SOL per LST from the account now; ``AccountDecodeError`` (a ``ValueError``) when the
    account is not the expected one (another layout, another mint)."""
    data = await account_data(router, account.address)
    if account.layout == "spl_stake_pool":
        return decode_stake_pool(data, expected_mint=account.mint).rate
    return decode_marinade_state(data, expected_mint=account.mint).rate


class StakeRateFollower:
    """Reads every rate account every ``interval_s``; ``sink`` gets a ``StakeRate`` for each
    rate that changed (called on the venue loop)."""

    def __init__(
        self,
        router: SmartRouter,
        accounts: Sequence[RateAccount],
        sink: Callable[[StakeRate], None],
        interval_s: float,
    ) -> None:
        self.router, self.accounts, self.sink = router, list(accounts), sink
        self.interval_s = interval_s
        self.last: dict[str, Decimal] = {}
        self.reads = self.changes = self.failures = 0

    async def read_all(self) -> list[StakeRate]:
        """Read every account; the rates that changed since the last read (all the first
        time)."""
        rates = await asyncio.gather(*(read_rate(self.router, a) for a in self.accounts))
        self.reads += 1
        now = time.time()
        out: list[StakeRate] = []
        for account, rate in zip(self.accounts, rates, strict=True):
            if self.last.get(account.symbol) != rate:
                self.last[account.symbol] = rate
                out.append(StakeRate(now, account.symbol, float(rate)))
        self.changes += len(out)
        return out

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the rates until ``stop`` is set."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)
            if stop.is_set():
                return
            try:
                for event in await self.read_all():
                    self.sink(event)
            except (SolanaError, ValueError) as exc:
                self.failures += 1
                log.warning("stake rate read failed (%s); retrying", exc)
