"""The live funding run's spot leg on the local Solana world: the spot pool's state, the wallet,
and the engine's swaps through :class:`~phantom.execution.solana_live.SolanaLiveClient` (the
arbitrage live loop's execution path: quote, swap, checks, signature, simulation, signature
journal, one Jito bundle, fill from the landed transaction's balances).

The pool is followed by :class:`SolanaPoolSource` (vault balances once per block); reference
prices: USDC = 1, the base token from the pool, SOL (gas) at the base token's price (WSOL is SOL).
An intent passes the risk gates (the live chain; the trade-size limit does not stop a sale of
the spot token), reserves its capital, is journaled, then submitted; its outcome comes back
through the client's ``due`` on this thread. All of that is the Solana spot-execution core
(:class:`~phantom.app.live_solana_exec.SolanaSpotExec`) the other live Solana loops run on; this
leg adds the spot pool, the tokens, the sales' exemption and the record of its swaps.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from decimal import Decimal
from typing import Any

from phantom.app.inbox import take
from phantom.app.live_funding_config import LiveFundingOptions
from phantom.app.live_solana_exec import SolanaSpotExec
from phantom.app.logging_setup import get_logger
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.app.stats import RunStats
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.execution.solana_reconcile import LandedTx
from phantom.market.evm_source import ReferencePrices
from phantom.market.solana_source import SolanaPoolSource, SolanaVenue
from phantom.portfolio.ledger import Ledger
from phantom.risk.breaker import KillSwitch
from phantom.risk.gates import exempt_sales
from phantom.venues.solana.keystore import SolanaSigner
from phantom.venues.solana.txtools import tips_to

ENGINE = "funding"
log = get_logger("phantom.live.funding")


class SpotLeg(SolanaSpotExec):
    """The Solana side of a live funding run (see the module docstring); the run supplies the
    engine's hooks."""

    engine_name = ENGINE
    log = log

    def __init__(
        self,
        settings: Settings,
        options: LiveFundingOptions,
        session: Session,
        venue: SolanaVenue,
        signer: SolanaSigner,
        kill: KillSwitch,
        ledger: Ledger,
        stats: RunStats,
    ) -> None:
        super().__init__(
            settings, options.solana, session, venue, signer, kill, ledger, "phantom-funding-loop"
        )
        self.options, self.stats = options, stats
        tokens = {t.symbol: t for t in venue.tokens().values()}
        self.spot_pool = venue.pool(options.spot_pool)
        self.usdc, self.base, self.native = tokens["USDC"], tokens[options.base], venue.native
        prices = ReferencePrices(
            {"USDC": 1.0}, (self.spot_pool.pool_id,), {self.native.symbol: self.base.symbol}
        )
        self.source = SolanaPoolSource(
            self.client.router, [self.spot_pool], self.inbox.put, prices=prices,
            poll_interval_s=options.solana.source_poll_interval_s,
        )  # fmt: skip
        # selling the spot leg only reduces it: never stuck behind the trade-size limit
        self.risk = exempt_sales(self.risk, self.base)
        self.spot_trades: list[dict[str, Any]] = []
        self.tips_paid = 0
        self.started_at = time.time()

    @property
    def tracked(self) -> tuple[Token, ...]:
        """The wallet tokens the vault books: gas, cash and the spot token."""
        return (self.native, self.usdc, self.base)

    def spl_tokens(self) -> tuple[Token, ...]:
        return (self.usdc, self.base)

    def prices(self) -> dict[str, Decimal]:
        return {t.symbol: self.price(t) for t in self.tracked}

    def step_spot(self, timeout: float) -> None:
        """Market events and finished swaps (waits up to ``timeout`` for the first item)."""
        for item in take(self.inbox, timeout):
            self.apply(item)
        self.settle()

    def booked(self, intent: OrderIntent, fill: Fill, landed: tuple[LandedTx, ...]) -> None:
        self.stats.on_fill(fill, intent.kind)
        tips = sum(tips_to(t.tx, self.client.tip_accounts) for t in landed)
        self.tips_paid += tips
        self.spot_trades.append({
            "intent": intent.intent_id, "status": fill.status.value, "reason": intent.reason,
            "amount_in": str(fill.amount_in), "amount_out": str(fill.amount_out),
            "pnl_usd": str(fill.pnl_usd), "failure": fill.failure_reason, "tip_lamports": tips,
            "signatures": [t.signature for t in landed],
        })  # fmt: skip
        log.info(
            "fill", intent=fill.intent_id, status=fill.status.value, reason=fill.failure_reason
        )
        self.engine_fill(fill)

    @abstractmethod
    def engine_fill(self, fill: Fill) -> None:
        """A swap of the engine's resolved (booked)."""
