"""The local perp exchange's funding-rate schedule: the rate each settlement pays.

A schedule is a list of rates (fractions per funding interval, ``0.0001`` = 0.01 %, positive when
longs pay shorts) used one per settlement; after the last one the last rate repeats, or the list
starts over (``cycle``). Sources:

- text: ``"0.0005*6,-0.001"`` (a rate, optionally ``*count``, comma separated);
- a JSON file: a list of numbers or strings, or a recorded Binance ``/fapi/v1/fundingRate``
  answer (objects with ``fundingRate``), such as ``tests/fixtures/funding/ccxt/``'s.

:meth:`FundingSchedule.replace` swaps the rates still to come (a demo or a test turning funding
against the position). Not thread-safe on its own: the exchange calls it under its lock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

MAX_ABS_RATE = Decimal("0.05")  # 5 % per interval: beyond any real venue's cap


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message says which entry."""


def _rate(raw: Any, where: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ScheduleError(f"{where}: {raw!r} is not a number") from None
    if not value.is_finite() or abs(value) > MAX_ABS_RATE:
        raise ScheduleError(f"{where}: rate {raw!r} must be finite and within +-{MAX_ABS_RATE}")
    return value


def parse_rates(text: str) -> list[Decimal]:
    """``"0.0005*6,-0.001"`` -> six times 0.0005 then -0.001."""
    rates: list[Decimal] = []
    for k, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            continue
        rate_text, _, count_text = part.partition("*")
        count = 1
        if count_text:
            try:
                count = int(count_text)
            except ValueError:
                raise ScheduleError(
                    f"rates entry {k}: count {count_text!r} is not an integer"
                ) from None
            if not 1 <= count <= 100_000:
                raise ScheduleError(f"rates entry {k}: count must be 1..100000")
        rates += [_rate(rate_text, f"rates entry {k}")] * count
    if not rates:
        raise ScheduleError("rates: give at least one rate")
    return rates


def load_rates(path: Path) -> list[Decimal]:
    """Rates from a JSON file (see the module docstring), in file order (Binance's recorded
    answers are oldest first)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScheduleError(
            f"{path}: cannot read a JSON list of rates ({type(exc).__name__})"
        ) from None
    if not isinstance(data, list) or not data:
        raise ScheduleError(f"{path}: expected a non-empty JSON list")
    rates: list[Decimal] = []
    for k, entry in enumerate(data):
        raw = entry.get("fundingRate") if isinstance(entry, dict) else entry
        if raw is None:
            raise ScheduleError(f"{path}: entry {k} has no fundingRate")
        rates.append(_rate(raw, f"{path.name} entry {k}"))
    return rates


class FundingSchedule:
    """Rates used one per settlement (see the module docstring)."""

    def __init__(self, rates: Sequence[Decimal], *, cycle: bool = False) -> None:
        if not rates:
            raise ScheduleError("a funding schedule needs at least one rate")
        self._rates = list(rates)
        self.cycle = cycle
        self._next = 0
        self.used = 0

    def peek(self) -> Decimal:
        """The rate the next settlement will pay (Binance's ``lastFundingRate``: the current
        interval's rate, settled at ``nextFundingTime``)."""
        if self._next < len(self._rates):
            return self._rates[self._next]
        return self._rates[0] if self.cycle else self._rates[-1]

    def take(self) -> Decimal:
        rate = self.peek()
        self._next += 1
        if self.cycle and self._next >= len(self._rates):
            self._next = 0
        self.used += 1
        return rate

    def replace(self, rates: Sequence[Decimal]) -> None:
        """From the next settlement on, use ``rates`` instead."""
        if not rates:
            raise ScheduleError("a funding schedule needs at least one rate")
        self._rates, self._next = list(rates), 0
