"""What every live loop on the local Solana world shares, whatever engine it runs.

:class:`SolanaLiveBase` is a loop for one engine on the Solana spot-execution core
(:class:`~phantom.app.live_solana_exec.SolanaSpotExec`, shared with the live funding run's spot
leg: the venue loop (``AsyncBridge``), the execution client (``execution/solana_live``), the
ledger and the signature journal, restart reconciliation by signature, the send path (risk gates
-> capital reservation -> ``Ledger.journal_intent``, write ahead -> ``client.submit``), the
booking of outcomes (fill from the landed transactions' balances -> ledger, capital, breaker)).
It adds market data over every pool (``market/solana_source``: vaults read once per block, USD
prices from the pools), the engine's vault opened from the wallet's chain balances, and feeding
the engine; the counters and the summary are its
:class:`~phantom.app.live_solana_report.LiveReport` half.

A subclass adapts one engine: :meth:`build_engine` (after the first snapshot), :meth:`on_market`
(market events, block markers and its own events while feeding), :meth:`engine_fill` /
:meth:`engine_rejected`, and :meth:`engine_figures`. The arbitrage loop is
``app/live_solana_loop.py``; the bar engines' (scalp, lst) is ``app/live_solana_bars.py``.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from phantom.app.inbox import WAKE, take
from phantom.app.live_solana_config import SolanaLiveOptions
from phantom.app.live_solana_report import LiveReport
from phantom.app.logging_setup import get_logger
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.execution.solana_reconcile import LandedTx
from phantom.market.evm_source import ReferencePrices
from phantom.market.solana_source import SolanaPoolSource, SolanaVenue
from phantom.portfolio.ledger import Ledger
from phantom.risk.breaker import KillSwitch
from phantom.venues.solana.keystore import SolanaSigner

log = get_logger("phantom.live.solana")


@dataclass(frozen=True, slots=True)
class BlockSeen:
    """A new block was read (after its pool events): bar builders sample the market here."""

    ts: float
    height: int


def reference_prices(venue: SolanaVenue, sol_usd: float) -> ReferencePrices:
    """USD prices from the pools: USDC = 1, every USDC pool, then the WSOL pools (the LSTs);
    SOL is priced as WSOL when a pool prices WSOL, else at ``sol_usd``."""
    usdc = [p.pool_id for p in venue.pools if "USDC" in (p.token0.symbol, p.token1.symbol)]
    wsol = [
        p.pool_id
        for p in venue.pools
        if "WSOL" in (p.token0.symbol, p.token1.symbol) and p.pool_id not in usdc
    ]
    native = venue.native.symbol
    return ReferencePrices({"USDC": 1.0, native: sol_usd}, (*usdc, *wsol), {native: "WSOL"})


class SolanaLiveBase(LiveReport):
    """One live session's loop on the local Solana world, for the engine ``engine_name``."""

    log = log

    def __init__(
        self,
        settings: Settings,
        options: SolanaLiveOptions,
        session: Session,
        venue: SolanaVenue,
        signer: SolanaSigner,
        kill: KillSwitch,
    ) -> None:
        ledger = Ledger(session.ledger_path)
        super().__init__(
            settings, options, session, venue, signer, kill, ledger, "phantom-solana-loop"
        )
        self.options = options
        self.tokens: dict[str, Token] = {t.symbol: t for t in venue.tokens().values()}
        self.source = SolanaPoolSource(
            self.client.router, venue.pools, self.inbox.put,
            prices=reference_prices(venue, options.sol_usd),
            poll_interval_s=options.source_poll_interval_s,
            on_block=lambda height: self.inbox.put(BlockSeen(time.time(), height)),
        )  # fmt: skip
        self.init_report()
        self.ready = False  # the engine is built and the start-up is done

    # --- what a subclass adapts -----------------------------------------------------------------

    @abstractmethod
    def build_engine(self, pools: list[ConstantProductPool]) -> None:
        """Build the engine from the first snapshot (before the vault and reconciliation)."""

    @abstractmethod
    def on_market(self, item: object) -> None:
        """A market event, block marker or own event while feeding: send with :meth:`send`."""

    @abstractmethod
    def engine_fill(self, fill: Fill) -> None:
        """A fill of one of the engine's intents was booked."""

    def after_start(self, pools: list[ConstantProductPool]) -> None:
        """Called once the start-up is done, before following the market."""

    # --- start-up: snapshot, vault, reconciliation -------------------------------------------

    def start(self) -> None:
        """Snapshot, engine, vault (from the chain), reconciliation, then :meth:`after_start`."""
        pools = self.first_snapshot()
        self.build_engine(pools)
        balances = self.bridge.run(self.chain_balances(), timeout=30)
        deposits = [(t, u, self.price(t)) for t, u in balances.items() if u > 0]
        if self.ledger.open_vault(self.engine_name, deposits):
            log.info("vault_opened", balances={t.symbol: str(u) for t, u in balances.items()})
        pending = [j.intent for j in self.ledger.pending_intents(self.engine_name)]
        for item in self.reconcile(pending):
            self.reconciled[item.action] += 1
        self.capital.restore()
        self.ready = True
        self.after_start(pools)

    # --- the loop ---------------------------------------------------------------------------

    def finish(self) -> dict[str, Any]:
        return self.summary()

    def step(self, timeout: float) -> None:
        items = take(self.inbox, timeout)
        self.settle()
        for item in items:
            self._handle(item, feed=self.feeding)

    def _handle(self, item: object, feed: bool) -> None:
        self.apply(item)
        if feed and self.ready and not self.kill.engaged and item is not WAKE:
            self.on_market(item)

    def send(self, intent: OrderIntent) -> None:
        """Counted as an intent, then the core's send path (every intent one Jito bundle)."""
        self.stats.intents += 1
        super().send(intent)

    def booked(self, intent: OrderIntent, fill: Fill, landed: tuple[LandedTx, ...]) -> None:
        self.engine_fill(fill)
        self._count(intent, fill, landed, self.client.reports.get(fill.intent_id))
        log.info("fill", intent=fill.intent_id, status=fill.status.value,
                 pnl_usd=str(fill.pnl_usd), reason=fill.failure_reason)  # fmt: skip
