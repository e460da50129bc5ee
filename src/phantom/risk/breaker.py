"""Circuit breaker and kill switch."""

from __future__ import annotations

from dataclasses import dataclass

from phantom.core.fills import Fill
from phantom.core.orders import IntentKind, OrderIntent
from phantom.risk.gate import GateContext, Rejection


@dataclass(slots=True)
class CircuitBreaker:
    """After MAX_CONSECUTIVE_FAILURES failed executions in a row, reject everything but refuels
    for FAILURE_COOLDOWN_S seconds; a success resets the count."""

    max_consecutive_failures: int
    cooldown_s: float
    name: str = "circuit_breaker"
    consecutive_failures: int = 0
    open_until: float = 0.0
    trips: int = 0

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        if intent.kind is IntentKind.REFUEL or ctx.now >= self.open_until:
            return None
        return Rejection(
            "circuit_breaker",
            f"open after {self.max_consecutive_failures} consecutive failures "
            f"for {self.open_until - ctx.now:.0f} s more",
        )

    def on_fill(self, fill: Fill, now: float) -> None:
        if fill.succeeded:
            self.consecutive_failures = 0
            return
        self.consecutive_failures += 1
        if self.consecutive_failures >= self.max_consecutive_failures:
            self.open_until = now + self.cooldown_s
            self.consecutive_failures = 0
            self.trips += 1

    def is_open(self, now: float) -> bool:
        return now < self.open_until


@dataclass(slots=True)
class KillSwitch:
    """Once engaged (``phantom stop``, SIGTERM, Ctrl-C), no new entries; in-flight executions
    still resolve and are booked."""

    name: str = "kill_switch"
    engaged: bool = False
    why: str = ""

    def engage(self, why: str) -> None:
        if not self.engaged:
            self.engaged = True
            self.why = why

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        if self.engaged:
            return Rejection("kill_switch", f"stopping: {self.why}")
        return None
