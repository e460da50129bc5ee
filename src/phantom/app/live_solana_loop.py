"""The arbitrage engine's live loop on the local Solana world (started by
:func:`phantom.app.live_solana.run_live_solana_local` when ENGINES is ``arb``).

The flow of ARCHITECTURE.md with the Solana live parts swapped in: ``market/solana_source``
(vault balances once per block) -> market state -> arbitrage engine (three-leg cycles through
USDC, network costs of a bundle from :class:`~phantom.app.live_solana_config.BundleCosts`) ->
risk gates -> capital reservation -> ledger journal (write ahead) -> ``execution/solana_live``
(quotes, swaps, checks, signatures, simulation, the signature journal, one Jito bundle,
rebroadcast until confirmed or expired) -> fill from the transactions' balances -> ledger,
capital, breaker, engine. Every intent goes as a bundle, i.e. privately: the route is
``PRIVATE`` (no sandwich exposure, a tip), so the public/tight route policy does not apply.

Everything but the engine is shared with the bar engines' loop
(:class:`~phantom.app.live_solana_base.SolanaLiveBase`): the venue thread, market data, vault,
restart reconciliation, send path, booking and summary. At start-up, once pending intents are
reconciled, the engine sees every pool once, so a gap that is already open is traded.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from phantom.app import wiring
from phantom.app.live_solana_base import SolanaLiveBase
from phantom.app.live_solana_config import BundleCosts
from phantom.core.events import PoolUpdate
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.pool import ConstantProductPool
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.base import EngineContext

ENGINE = "arb"


class SolanaLiveRun(SolanaLiveBase):
    """The arbitrage engine live on the local Solana world (see the module docstring)."""

    engine_name = ENGINE
    engine: ArbEngine | None = None

    def build_engine(self, pools: list[ConstantProductPool]) -> None:
        s, native = self.settings, self.venue.native
        self.base_tokens = (self.tokens["USDC"],)
        params = wiring.arb_params(s, self.base_tokens, native)
        costs = BundleCosts(params.fee_schedule, native, self.options.signatures_per_leg)
        params = replace(params, max_hops=3, cost_estimator=costs)
        self.engine = ArbEngine(params, pools, id_prefix=f"arb-sol-s{self.session.segment}")

    def after_start(self, pools: list[ConstantProductPool]) -> None:
        for pool in pools:
            self._feed(PoolUpdate(time.time(), self.market.pool(pool.pool_id)))

    def on_market(self, item: object) -> None:
        if isinstance(item, PoolUpdate):
            self._feed(item)

    def _feed(self, event: PoolUpdate) -> None:
        assert self.engine is not None
        available = {t: self.capital.available(ENGINE, t) for t in self.base_tokens}
        ctx = EngineContext(now=time.time(), market=self.market, available=available)
        for intent in self.engine.on_event(event, ctx):
            self.send(intent)
        self.stats.opportunities_seen = self.engine.stats.opportunities_seen

    def engine_fill(self, fill: Fill) -> None:
        if self.engine is not None:
            self.engine.on_fill(fill)

    def engine_rejected(self, intent: OrderIntent, reason: str) -> None:
        if self.engine is not None:
            self.engine.on_rejected(intent, reason)

    def engine_figures(self) -> dict[str, Any]:
        engine = self.engine.stats if self.engine is not None else None
        if engine is None:
            return {}
        names = ("updates", "opportunities_seen", "skipped_busy", "unprofitable_after_costs",
                 "intents", "rejected", "fills")  # fmt: skip
        figures: dict[str, Any] = {k: getattr(engine, k) for k in names}
        figures["by_hops"] = {str(k): v for k, v in sorted(engine.by_hops.items())}
        return figures
