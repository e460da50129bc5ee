"""The strategy's PnL during each known crash inside the backtest's range."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from phantom.backtest.crash_events import CrashEvent

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class EventPnl:
    """PnL from the last bar close at or before the event's first day (00:00 UTC) to the last
    bar close at or before the end of its last day; the asset's move over the same span."""

    key: str
    name: str
    first_day: str
    last_day: str
    note: str
    source: str
    pnl_usd: float
    pnl_pct: float  # of the equity at the start of the event
    asset_change_pct: float
    exposure_pct: float  # share of the event's bars at whose close a position was held
    start_equity_usd: float
    end_equity_usd: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def events_pnl(
    events: tuple[CrashEvent, ...],
    *,
    equity: FloatArray,
    open_ts: FloatArray,
    close_ts: FloatArray,
    close: FloatArray,
    held: npt.NDArray[np.bool_],
    initial_usd: float,
) -> list[EventPnl]:
    out: list[EventPnl] = []
    for e in events:
        i0 = int(np.searchsorted(close_ts, e.start_ts, side="right")) - 1
        i1 = int(np.searchsorted(close_ts, e.end_ts, side="right")) - 1
        if i1 < 0 or i1 <= i0:
            continue
        eq0 = float(equity[i0]) if i0 >= 0 else initial_usd
        px0 = float(close[i0]) if i0 >= 0 else float(close[0])
        eq1, px1 = float(equity[i1]), float(close[i1])
        inside = (open_ts >= e.start_ts) & (open_ts < e.end_ts)
        exposure = float(held[inside].mean()) * 100.0 if inside.any() else 0.0
        out.append(
            EventPnl(
                key=e.key,
                name=e.name,
                first_day=e.first_day.isoformat(),
                last_day=e.last_day.isoformat(),
                note=e.note,
                source=e.source,
                pnl_usd=round(eq1 - eq0, 2),
                pnl_pct=round((eq1 / eq0 - 1.0) * 100.0, 4) if eq0 > 0 else 0.0,
                asset_change_pct=round((px1 / px0 - 1.0) * 100.0, 4),
                exposure_pct=round(exposure, 2),
                start_equity_usd=round(eq0, 2),
                end_equity_usd=round(eq1, 2),
            )
        )
    return out
