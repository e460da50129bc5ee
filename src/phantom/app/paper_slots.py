"""One engine in a paper run: its vault, its risk gates, its in-flight set and its id prefix.

A paper run (``phantom.app.paper_run``) holds one :class:`EngineSlot` per enabled engine. Every
slot shares the run's clock, market state, execution client (one realism model), journal and
kill switch; each has its own vault (named after the engine), its own circuit breaker and
in-flight count (``wiring.risk_chain``), its own statistics and intent ids
(``<engine>-s<segment>-...``). A slot turns market events into the engine's intents; the run
gates, journals, sends and books them the same way for every engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from phantom.app import wiring
from phantom.app.stats import RunStats
from phantom.core.events import MarketEvent, PoolUpdate
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent, SwapLeg
from phantom.core.token import Token
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.base import EngineContext

if TYPE_CHECKING:
    from phantom.app.paper_run import PaperRun

Deposit = tuple[Token, int, Decimal]


class EngineSlot(ABC):
    """The paper run's side of one engine. Subclasses adapt the engine's API."""

    name: str
    refuels = True  # buys gas with the vault's USDC when it runs low

    def __init__(self, run: PaperRun, name: str) -> None:
        self.run = run
        self.name = name
        self.prefix = f"{name}-s{run.session.segment}"
        self.stats = RunStats()
        self.breaker = wiring.circuit_breaker(run.settings)
        self.risk = wiring.risk_chain(run.settings, run.kill, self.breaker)
        self.in_flight: dict[str, OrderIntent] = {}

    # --- what the run asks of a slot -----------------------------------------------------------
    @abstractmethod
    def deposits(self) -> list[Deposit]:
        """The vault's initial deposits: (token, base units, USD price per whole token)."""

    @abstractmethod
    def on_market(self, event: MarketEvent) -> None:
        """A market event (already applied to the market state); send intents with
        :meth:`emit`."""

    @abstractmethod
    def on_fill(self, fill: Fill) -> None:
        """A fill of one of this engine's intents (refuels excluded) was booked."""

    @abstractmethod
    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        """One of this engine's intents was stopped before it was sent."""

    def start(self) -> None:  # noqa: B027 (an optional hook, not abstract)
        """Called once the vaults are open and the journal reconciled, before the first event."""

    def figures(self) -> dict[str, Any]:
        """Engine-specific figures for the summary (the engine's own ``summary()`` if any)."""
        return {}

    def extra_equity_usd(self) -> Decimal:
        """Value held outside the ledger (a perp position's unrealized PnL), USD."""
        return Decimal(0)

    def idle_reason(self) -> str | None:
        """Why the engine sent nothing, if it did not."""
        return None

    # --- helpers -------------------------------------------------------------------------------
    def emit(self, intents: Sequence[OrderIntent]) -> None:
        """Hand intents to the run: gates, route, reservation, journal, execution client."""
        for intent in intents:
            self.run.dispatch(self, intent)

    def available(self, *tokens: Token) -> dict[Token, int]:
        return {t: self.run.capital.available(self.name, t) for t in tokens}

    def context(self, *tokens: Token) -> EngineContext:
        return EngineContext(self.run.clock.now(), self.run.market, self.available(*tokens))

    def usd(self, token: Token) -> Decimal:
        return Decimal(repr(self.run.market.price_usd(token)))

    def deposit(self, token: Token, amount: Decimal) -> list[Deposit]:
        units = token.to_units(amount)
        return [(token, units, self.usd(token))] if units > 0 else []


def rebind(intent: OrderIntent, pools: dict[str, str]) -> OrderIntent:
    """``intent`` with its legs' abstract venue ids (``cex:SOL/USDC``, ``lst:mSOL/SOL``) bound
    to the replay pools the mode trades them on; unbound ids are kept."""
    if not any(leg.pool_id in pools for leg in intent.legs):
        return intent
    from dataclasses import replace

    legs = tuple(
        SwapLeg(pools.get(leg.pool_id, leg.pool_id), leg.token_in, leg.token_out)
        for leg in intent.legs
    )
    return replace(intent, legs=legs)


class ArbSlot(EngineSlot):
    """The arbitrage engine on every default pool (never the LST pools: one pool per LST gives
    no cycle). Fed every update of its pools, as in the arb-only run."""

    def __init__(self, run: PaperRun) -> None:
        super().__init__(run, "arb")
        world = run.world
        lsts = set(world.lst_symbols)
        pools = [p for p in world.pools() if not {p.token0.symbol, p.token1.symbol} & lsts]
        self.pool_ids = frozenset(p.pool_id for p in pools)
        self.engine = ArbEngine(
            wiring.arb_params(run.settings, world.base_tokens, run.native),
            pools,
            id_prefix=self.prefix,
        )

    def deposits(self) -> list[Deposit]:
        s, run = self.run.settings, self.run
        return [
            (run.usdc, run.usdc.to_units(s.arb_initial_usd), Decimal(1)),
            (run.native, run.native.to_units(s.arb_initial_sol), self.usd(run.native)),
        ]

    def on_market(self, event: MarketEvent) -> None:
        if not isinstance(event, PoolUpdate) or event.pool.pool_id not in self.pool_ids:
            return
        run = self.run
        ctx = EngineContext(run.clock.now(), run.market, self.available(run.usdc))
        intents = self.engine.on_event(event, ctx)
        run.stats.opportunities_seen = self.stats.opportunities_seen = (
            self.engine.stats.opportunities_seen
        )
        self.emit(intents)

    def on_fill(self, fill: Fill) -> None:
        self.engine.on_fill(fill)

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        self.engine.on_rejected(intent, reason)

    def figures(self) -> dict[str, Any]:
        st = self.engine.stats
        return {
            "updates": st.updates,
            "skipped_busy": st.skipped_busy,
            "unprofitable_after_costs": st.unprofitable_after_costs,
            "intents_by_hops": {str(k): v for k, v in sorted(st.by_hops.items())},
        }
