"""Exact, JSON-ready renderings of fills and outcomes: every field, Decimals as their ``str``
(exponent included: ``0E-12`` is not ``0``), floats as ``repr`` (round-trips bit for bit)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from phantom.core.costs import COST_KINDS
from phantom.core.fills import Fill
from phantom.execution.client import ExecutionOutcome


def dec(value: object) -> str:
    assert type(value) is Decimal, f"expected a Decimal, got {type(value).__name__}: {value!r}"
    return str(value)


def flt(value: object) -> str:
    assert type(value) is float, f"expected a float, got {type(value).__name__}: {value!r}"
    return repr(value)


def fill_dict(fill: Fill) -> dict[str, Any]:
    assert type(fill) is Fill
    assert type(fill.notes) is tuple and all(type(n) is str for n in fill.notes)
    assert type(fill.deltas) is tuple
    return {
        "fill_id": fill.fill_id,
        "intent_id": fill.intent_id,
        "engine": fill.engine,
        "status": fill.status.value,
        "route": fill.route.value,
        "sent_at": flt(fill.sent_at),
        "arrived_at": flt(fill.arrived_at),
        "amount_in": fill.amount_in,
        "amount_out": fill.amount_out,
        "deltas": [[d.token.key, d.token.decimals, d.amount] for d in fill.deltas],
        "costs": {k: dec(getattr(fill.costs, k)) for k in COST_KINDS},
        "pnl_usd": dec(fill.pnl_usd),
        "fill_fraction": dec(fill.fill_fraction),
        "sandwiched": fill.sandwiched,
        "failure_reason": fill.failure_reason,
        "notes": list(fill.notes),
    }


def outcome_dict(outcome: ExecutionOutcome) -> dict[str, Any]:
    assert type(outcome.pool_changes) is tuple
    return {
        "fill": fill_dict(outcome.fill),
        "pool_changes": [repr(pool) for pool in outcome.pool_changes],
    }


def dumps(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def digest(data: Any) -> str:
    return hashlib.sha256(dumps(data).encode()).hexdigest()
