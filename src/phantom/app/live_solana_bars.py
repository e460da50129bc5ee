"""The bar engines (scalp, lst) live on the local Solana world.

The same engine code path as paper (``app/paper_bars``): OHLCV bars of ``bar_s`` seconds
(SolanaLiveOptions.bar_s, else PAPER_BAR_S) built by :class:`~phantom.app.paper_bars.BarBuilder`
from the market sampled once per block (the pools are read once per block by
``market/solana_source``; a :class:`~phantom.app.live_solana_base.BlockSeen` marker follows each
block's events), and fed through ``on_bars`` by :func:`~phantom.app.paper_bars.feed_bars`. The
engine's abstract venue ids (``cex:BONK/USDC``, ``lst:jitoSOL/WSOL``) are bound to the local
pools. Everything else (gates, capital, write-ahead ledger, Jito bundles, fills from balances,
restart reconciliation, summary) is :class:`~phantom.app.live_solana_base.SolanaLiveBase`.

- **scalp** trades the token of SolanaLiveOptions.scalp_pool (BONK-USDC) against USDC: bars of
  its USD price, volume = the USDC traded through that pool during the bar.
- **lst**: one LstEngine per LST of LST_SYMBOLS the world has (a pool against WSOL and a rate
  account): bars of the pool's mid ratio (WSOL per LST); the rate account is read over RPC and
  decoded (``app/live_solana_rates``) at start and every ``stake_poll_interval_s``, and handed
  to the engine as a ``StakeRate`` when it changed (once per epoch): it is the fair value.
"""

from __future__ import annotations

import math
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from phantom.amm.swap import spot_price
from phantom.app import paper_params, wiring
from phantom.app.live_solana_base import BlockSeen, SolanaLiveBase
from phantom.app.live_solana_config import BundleCosts, SolanaLiveOptions, lst_overrides, pods_from
from phantom.app.live_solana_rates import RateAccount, StakeRateFollower
from phantom.app.paper_bars import BarBuilder, feed_bars, scalp_idle_reason, traded_quote
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.core.events import PoolUpdate
from phantom.core.fees import LAMPORTS_PER_SOL
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.pool import ConstantProductPool, Pool
from phantom.core.token import Token
from phantom.engines.base import EngineContext
from phantom.engines.lst.engine import LstEngine, StakeRate
from phantom.engines.scalp.engine import ScalpEngine
from phantom.market.solana_source import SolanaVenue
from phantom.risk.breaker import KillSwitch
from phantom.venues.solana.keystore import SolanaSigner


class BarLiveRun(SolanaLiveBase):
    """A bar engine's live loop: the bar length and the sink ``feed_bars`` sends through."""

    @property
    def bar_s(self) -> float:
        o = self.options
        return float(o.bar_s if o.bar_s is not None else self.settings.paper_bar_s)

    def context(self, *tokens: Token) -> EngineContext:
        free = {t: self.capital.available(self.engine_name, t) for t in tokens}
        return EngineContext(time.time(), self.market, free)

    def emit(self, intents: Sequence[OrderIntent]) -> None:
        for intent in intents:
            self.send(intent)


class ScalpLiveRun(BarLiveRun):
    """The multi-pod scalp engine on one token/USDC pool (see the module docstring)."""

    engine_name = "scalp"

    def build_engine(self, pools: list[ConstantProductPool]) -> None:
        pool = next((p for p in pools if p.pool_id == self.options.scalp_pool), None)
        self.usdc = self.tokens["USDC"]
        if pool is None or self.usdc not in (pool.token0, pool.token1):
            raise ValueError(f"scalp_pool {self.options.scalp_pool!r}: no such USDC pool")
        self.base = pool.other(self.usdc)
        params = paper_params.scalp_params(self.settings, self.base, self.usdc, pool)
        if self.options.scalp_pods is not None:
            params = replace(params, pods=pods_from(self.options.scalp_pods))
        self.engine = ScalpEngine(params, id_prefix=f"scalp-sol-s{self.session.segment}")
        self.pool_id = pool.pool_id
        self._last: Pool = pool
        self.binds = {f"cex:{self.base.symbol}/{self.usdc.symbol}": pool.pool_id}
        self.bars = BarBuilder(self.base.symbol, self.bar_s)

    def on_market(self, item: object) -> None:
        if isinstance(item, PoolUpdate) and item.pool.pool_id == self.pool_id:
            self.bars.add_volume(item.ts, traded_quote(self._last, item.pool, self.usdc))
            self._last = item.pool
        elif isinstance(item, BlockSeen):
            batch = self.bars.add(item.ts, self.market.price_usd(self.base))
            if batch is not None:
                feed_bars(self, self.engine, batch, (self.usdc, self.base), self.binds)

    def engine_fill(self, fill: Fill) -> None:
        self.engine.on_fill(fill)

    def engine_rejected(self, intent: OrderIntent, reason: str) -> None:
        self.engine.on_rejected(intent, reason)

    def engine_figures(self) -> dict[str, Any]:
        st = self.engine.stats
        return {
            "venue": self.pool_id,
            "bar_s": self.bar_s,
            "bars": self.bars.bars,
            "entries": st.entries,
            "exits": st.exits,
            "pods": self.engine.summary(),
        }

    def idle_reason(self) -> str | None:
        return scalp_idle_reason(self.engine, self.bars)


@dataclass(slots=True)
class _Lst:
    token: Token
    pool_id: str
    engine: LstEngine
    bars: BarBuilder
    bind: dict[str, str]
    rate: float | None = None
    max_discount_bps: float = -math.inf


class LstLiveRun(BarLiveRun):
    """The LST de-peg engine, one ``LstEngine`` per LST (see the module docstring)."""

    engine_name = "lst"

    def __init__(
        self,
        settings: Settings,
        options: SolanaLiveOptions,
        session: Session,
        venue: SolanaVenue,
        signer: SolanaSigner,
        kill: KillSwitch,
        *,
        rate_accounts: Sequence[RateAccount],
    ) -> None:
        super().__init__(settings, options, session, venue, signer, kill)
        self.accounts = {a.symbol: a for a in rate_accounts}
        self.lsts: list[_Lst] = []

    def build_engine(self, pools: list[ConstantProductPool]) -> None:
        s, native = self.settings, self.venue.native
        wsol = self.tokens.get("WSOL")
        chosen: list[tuple[Token, ConstantProductPool, RateAccount]] = []
        for symbol in s.lst_symbols:
            token, account = self.tokens.get(symbol), self.accounts.get(symbol)
            pool = next((p for p in pools if {p.token0, p.token1} == {token, wsol}), None)
            if token is not None and account is not None and pool is not None:
                chosen.append((token, pool, account))
        if wsol is None or not chosen:
            raise ValueError(
                f"the lst engine needs an LST of {', '.join(s.lst_symbols)} with a WSOL pool "
                "and a rate account in the world"
            )
        self.wsol: Token = wsol
        costs = BundleCosts(wiring.fee_schedule(s, native), native, self.options.signatures_per_leg)
        network = Decimal(sum(costs.lamports(1))) / LAMPORTS_PER_SOL
        overrides = lst_overrides(self.options.lst_params)
        # MAX_TRADE_USD at WSOL's price now (95 %: room for the price to move), so entries pass
        # the size gate
        by_usd = (s.max_trade_usd * Decimal("0.95") / self.price(wsol)).quantize(Decimal("0.001"))
        for token, pool, _ in chosen:
            params = paper_params.lst_params(s, token, self.wsol, pool, len(chosen))
            cap = min(by_usd, params.max_size) if params.max_size is not None else by_usd
            params = replace(params, network_cost=network, max_size=cap, **overrides)
            engine = LstEngine(params, id_prefix=f"lst-sol-s{self.session.segment}-{token.symbol}")
            bind = {f"lst:{token.symbol}/{self.wsol.symbol}": pool.pool_id}
            bars = BarBuilder(token.symbol, self.bar_s)
            self.lsts.append(_Lst(token, pool.pool_id, engine, bars, bind))
        self.rates = StakeRateFollower(
            self.client.router, [a for _, _, a in chosen], self.inbox.put,
            self.options.stake_poll_interval_s,
        )  # fmt: skip

    def after_start(self, pools: list[ConstantProductPool]) -> None:
        for event in self.bridge.run(self.rates.read_all(), timeout=30):
            self.on_market(event)

    def followers(self) -> list[Coroutine[Any, Any, None]]:
        return [self.rates.run(self._stop)]

    def on_market(self, item: object) -> None:
        if isinstance(item, StakeRate):
            for lst in self.lsts:
                if lst.token.symbol == item.symbol:
                    lst.rate = item.rate
                    lst.engine.on_event(item, self.context(self.wsol, lst.token))
        elif isinstance(item, BlockSeen):
            for lst in self.lsts:
                ratio = spot_price(self.market.pool(lst.pool_id), lst.token)
                if lst.rate:
                    discount = (1 - ratio / lst.rate) * 10_000
                    lst.max_discount_bps = max(lst.max_discount_bps, discount)
                batch = lst.bars.add(item.ts, ratio)
                if batch is not None:
                    feed_bars(self, lst.engine, batch, (self.wsol, lst.token), lst.bind)

    def engine_fill(self, fill: Fill) -> None:
        for lst in self.lsts:
            lst.engine.on_fill(fill)

    def engine_rejected(self, intent: OrderIntent, reason: str) -> None:
        for lst in self.lsts:
            lst.engine.on_rejected(intent, reason)

    def _hurdle_bps(self, lst: _Lst) -> float:
        """The discount an entry sized from the vault now would have to beat."""
        p = lst.engine.params
        free = self.capital.available(self.engine_name, p.underlying)
        size = p.underlying.to_decimal(free * int(p.position_pct * 10_000) // 1_000_000)
        if p.max_size is not None:
            size = min(size, p.max_size)
        return float(lst.engine.hurdle(size)[0] * 10_000) if size > 0 else 0.0

    def engine_figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "bar_s": self.bar_s, "rate_reads": self.rates.reads, "rate_changes": self.rates.changes
        }  # fmt: skip
        for lst in self.lsts:
            st = lst.engine.stats
            out[lst.token.symbol] = {
                "pool": lst.pool_id,
                "rate_account": self.accounts[lst.token.symbol].address,
                "onchain_rate": lst.rate,
                "bars": st.bars,
                "max_discount_bps": (
                    round(lst.max_discount_bps, 2) if math.isfinite(lst.max_discount_bps) else None
                ),
                "entry_hurdle_bps": round(self._hurdle_bps(lst), 2),
                "exits_repeg": st.exits_repeg,
                "exits_max_hold": st.exits_max_hold,
                **lst.engine.summary(),
            }
        return out

    def idle_reason(self) -> str | None:
        if any(lst.engine.stats.rejected for lst in self.lsts):
            return f"every entry was rejected ({dict(self.stats.rejections)})"
        parts = [
            f"{lst.token.symbol}: largest discount {lst.max_discount_bps:.1f} bps "
            f"< entry hurdle {self._hurdle_bps(lst):.1f} bps"
            for lst in self.lsts
        ]
        return "no de-peg beat its costs (" + "; ".join(parts) + ")"
