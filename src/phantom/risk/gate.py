"""The gate interface and the chain that runs gates in order and counts rejections."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent


@dataclass(frozen=True, slots=True)
class GateContext:
    """What a gate may know besides the intent."""

    now: float
    in_flight: int
    volatile: bool


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an intent was stopped. ``reason`` is a stable code used for counting."""

    reason: str
    detail: str


class RiskGate(Protocol):
    """A gate. Required: ``name`` and ``check``. Optional: ``on_fill`` to observe outcomes."""

    name: str

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None: ...


class OutcomeObserver(Protocol):
    def on_fill(self, fill: Fill, now: float) -> None: ...


class RiskChain:
    """Runs gates in order; the first rejection wins. Counts every rejection by reason."""

    def __init__(self, gates: Sequence[RiskGate]) -> None:
        self.gates = tuple(gates)
        self.rejections: Counter[str] = Counter()
        found = (getattr(gate, "on_fill", None) for gate in self.gates)
        self._observers: tuple[Callable[[Fill, float], None], ...] = tuple(
            o for o in found if o is not None
        )  # the gates that watch outcomes (OutcomeObserver), looked up once

    def check(self, intent: OrderIntent, ctx: GateContext) -> Rejection | None:
        for gate in self.gates:
            rejection = gate.check(intent, ctx)
            if rejection is not None:
                self.rejections[rejection.reason] += 1
                return rejection
        return None

    def on_fill(self, fill: Fill, now: float) -> None:
        for observer in self._observers:
            observer(fill, now)
