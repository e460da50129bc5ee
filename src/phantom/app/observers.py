"""Subscribers of the run's event bus: the run statistics and the structured log."""

from __future__ import annotations

from typing import Any

from phantom.app.stats import RunStats
from phantom.core.bus import EventBus
from phantom.core.events import FillBooked, IntentRejected, IntentSent


def attach_stats(bus: EventBus, stats: RunStats) -> None:
    def on_rejected(e: IntentRejected) -> None:
        stats.rejections[e.reason] += 1

    bus.subscribe(IntentRejected, on_rejected)
    bus.subscribe(IntentSent, lambda e: stats.on_sent(e.intent.route))
    bus.subscribe(FillBooked, lambda e: stats.on_fill(e.fill, e.kind))


def attach_log(bus: EventBus, log: Any) -> None:
    def on_rejected(e: IntentRejected) -> None:
        log.info("rejected", intent=e.intent.intent_id, reason=e.reason, detail=e.detail)

    def on_sent(e: IntentSent) -> None:
        i = e.intent
        log.info(
            "sent",
            intent=i.intent_id,
            kind=i.kind.value,
            route=i.route.value,
            sandwich_risk_bps=str(e.sandwich_risk_bps),
            notional_usd=str(i.notional_usd),
            expected_profit_usd=str(i.expected_profit_usd),
        )

    def on_fill(e: FillBooked) -> None:
        f = e.fill
        log.info(
            "fill",
            intent=f.intent_id,
            status=f.status.value,
            pnl_usd=str(f.pnl_usd),
            costs={k: str(v) for k, v in f.costs.as_dict().items()},
            reason=f.failure_reason,
        )

    bus.subscribe(IntentRejected, on_rejected)
    bus.subscribe(IntentSent, on_sent)
    bus.subscribe(FillBooked, on_fill)
