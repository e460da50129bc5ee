"""What a live loop on the local Solana world did, and its summary JSON (the report half of
:class:`~phantom.app.live_solana_base.SolanaLiveBase`): statistics, per-trade detail (tiers,
tips, signatures, rebroadcasts), reconciliations, the engine's vault marked at the reference
prices, and the wallet on chain against the ledger (``chain_minus_ledger``)."""

from __future__ import annotations

import time
from abc import abstractmethod
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from phantom.app.live_solana_exec import SolanaSpotExec
from phantom.app.stats import RunStats, vault_figures
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.execution.solana_reconcile import LandedTx
from phantom.venues.solana.txtools import tips_to


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LiveReport(SolanaSpotExec):
    """Counters and the summary of a live loop, on the spot-execution core; the loop provides
    the engine's parts declared here."""

    tokens: dict[str, Token]

    def init_report(self) -> None:
        self.stats = RunStats()
        self.trades: list[dict[str, Any]] = []
        self.reconciled: Counter[str] = Counter()
        self.tiers_used: Counter[str] = Counter()
        self.tips_paid = self.rebroadcasts = self.unresolved = 0
        self.started_at = time.time()

    @abstractmethod
    def engine_figures(self) -> dict[str, Any]:
        """The engine's own figures for the summary."""

    def idle_reason(self) -> str | None:
        """Why the engine sent nothing, if it did not."""
        return None

    def spl_tokens(self) -> tuple[Token, ...]:
        return tuple(self.tokens.values())

    def _count(
        self, intent: OrderIntent, fill: Fill, landed: tuple[LandedTx, ...], report: Any
    ) -> None:
        self.stats.on_fill(fill, intent.kind)
        tips = sum(tips_to(t.tx, self.client.tip_accounts) for t in landed)
        self.tips_paid += tips
        self.rebroadcasts += report.rebroadcasts if report is not None else 0
        tiers = sorted({t.tier_bps for t in landed})
        if fill.succeeded:
            for tier in tiers:
                self.tiers_used[str(tier)] += 1
        self.trades.append({
            "intent": intent.intent_id, "status": fill.status.value,
            "token_in": intent.token_in.symbol, "token_out": intent.token_out.symbol,
            "amount_in": str(fill.amount_in), "amount_out": str(fill.amount_out),
            "pnl_usd": str(fill.pnl_usd), "expected_profit_usd": str(intent.expected_profit_usd),
            "reason": fill.failure_reason, "tiers_bps": tiers, "tip_lamports": tips,
            "signatures": [t.signature for t in landed],
            "rebroadcasts": report.rebroadcasts if report is not None else 0,
        })  # fmt: skip

    def restart_booked(self, intent: OrderIntent, fill: Fill, landed: tuple[LandedTx, ...]) -> None:
        self._count(intent, fill, landed, None)

    def prices(self) -> dict[str, Decimal]:
        tokens = [*self.tokens.values(), self.venue.native]
        return {t.symbol: self.price(t) for t in tokens}

    # --- the summary ------------------------------------------------------------------------

    def _vault(self) -> dict[str, Any]:
        snap = self.capital.snapshot(self.engine_name, self.prices())
        positions = {
            v.position.token.symbol: v.position.token.to_decimal(v.position.quantity)
            for v in snap.positions
        }
        return vault_figures(snap.deposited_usd, snap.equity_usd, Decimal(0), positions)

    def summary(self) -> dict[str, Any]:
        name = self.engine_name
        ledger_bal = {t.symbol: u for t, u in self.ledger.balances(name).items()}
        chain_bal = self.bridge.run(self.chain_balances(), timeout=30)
        diff = {t.symbol: u - ledger_bal.get(t.symbol, 0) for t, u in chain_bal.items()}
        figures = self.engine_figures()
        own = self.stats.summary(
            {
                "circuit_breaker_trips": self.breaker.trips,
                "vault": self._vault(),
                "idle_reason": None if self.stats.sent else self.idle_reason(),
                name: figures,
            }
        )
        return self.stats.summary(
            {
                "mode": "live",
                "chain": "solana-local",
                "engine_name": name,
                "address": self.client.owner,
                "session": self.session.session_id,
                "seed": self.settings.seed,
                "sim_start": iso(self.started_at),
                "sim_end": iso(time.time()),
                "circuit_breaker_trips": self.breaker.trips,
                "engine": figures,
                "engines": {name: own},
                "tiers_used": dict(sorted(self.tiers_used.items(), key=lambda kv: int(kv[0]))),
                "tips_paid_lamports": self.tips_paid,
                "rebroadcasts": self.rebroadcasts,
                "reconciled": dict(sorted(self.reconciled.items())),
                "unresolved": self.unresolved,
                "trades_detail": self.trades,
                "chain_minus_ledger": {k: str(v) for k, v in sorted(diff.items())},
                "ledger_ok": self.ledger.verify().ok,
                "market_reads": self.source.reads,
            }
        )
