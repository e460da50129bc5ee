"""Known market crashes, dated (UTC days, both ends included), for the backtest reports.

Each entry names where the date and the move come from. The price moves quoted are read off the
Binance candles in ``../shared/data/binance/`` (see its README), so they can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True, slots=True)
class CrashEvent:
    key: str
    name: str
    first_day: date
    last_day: date
    note: str
    source: str

    @property
    def start_ts(self) -> float:
        """00:00 UTC of the first day, epoch seconds."""
        return datetime(*self.first_day.timetuple()[:3], tzinfo=UTC).timestamp()

    @property
    def end_ts(self) -> float:
        """00:00 UTC of the day after the last day, epoch seconds (exclusive)."""
        after = self.last_day + timedelta(days=1)
        return datetime(*after.timetuple()[:3], tzinfo=UTC).timestamp()


CRASH_EVENTS: tuple[CrashEvent, ...] = (
    CrashEvent(
        "2020-03-covid",
        "COVID crash (Black Thursday)",
        date(2020, 3, 12),
        date(2020, 3, 13),
        "markets priced in the pandemic; BTC/USDT 7935 -> low 3782 (-52 %) in two days",
        "Wikipedia '2020 stock market crash'; shared data README (BTC 2020-03-12/13)",
    ),
    CrashEvent(
        "2021-05-19",
        "May 2021 crypto crash",
        date(2021, 5, 19),
        date(2021, 5, 19),
        "leverage flush after China's warnings; BTC -30 %, SOL -53 % open to low that day",
        "Wikipedia 'Cryptocurrency bubble' (2021 crash); shared data README",
    ),
    CrashEvent(
        "2021-12-04",
        "December 2021 weekend liquidation",
        date(2021, 12, 4),
        date(2021, 12, 4),
        "weekend liquidation cascade; BTC/USDT 53.6k -> low 42.0k (-22 %)",
        "Binance BTC/USDT 1h candles in ../shared/data (2021-12-04)",
    ),
    CrashEvent(
        "2022-05-luna",
        "LUNA / UST collapse",
        date(2022, 5, 7),
        date(2022, 5, 13),
        "UST lost its peg and LUNA went to zero; SOL/USDT 81.7 -> low 37.4 (-54 %)",
        "Wikipedia 'Terra (blockchain)'; shared data README (2022-05 LUNA)",
    ),
    CrashEvent(
        "2022-06-celsius",
        "Celsius freeze / 3AC",
        date(2022, 6, 12),
        date(2022, 6, 18),
        "Celsius froze withdrawals, Three Arrows Capital failed; BTC/USDT -38 % to 17.6k",
        "Wikipedia 'Celsius Network'; Binance BTC/USDT 1h candles in ../shared/data",
    ),
    CrashEvent(
        "2022-11-ftx",
        "FTX collapse",
        date(2022, 11, 6),
        date(2022, 11, 10),
        "FTX halted withdrawals; SOL/USDT 36.9 -> low 12.4 (-66 %), 2022-11-09 the worst day",
        "Wikipedia 'Bankruptcy of FTX'; shared data README (2022-11-08..10 FTX)",
    ),
    CrashEvent(
        "2023-03-svb",
        "SVB failure / USDC de-peg",
        date(2023, 3, 10),
        date(2023, 3, 11),
        "Silicon Valley Bank failed and USDC briefly lost its peg; BTC/USDT -4 % to 19.6k",
        "Wikipedia 'Collapse of Silicon Valley Bank'; Binance 1h candles in ../shared/data",
    ),
    CrashEvent(
        "2024-08-05",
        "Yen carry-trade unwind",
        date(2024, 8, 4),
        date(2024, 8, 5),
        "global risk-off as the yen carry trade unwound; ETH/USDT -27 %, SOL/USDT -23 %",
        "shared data README (2024-08-05 crash); Binance 5m candles of 2024-08-05",
    ),
)


def events_between(start_ts: float, end_ts: float) -> tuple[CrashEvent, ...]:
    """The events that overlap ``[start_ts, end_ts]`` (epoch seconds)."""
    return tuple(e for e in CRASH_EVENTS if e.end_ts > start_ts and e.start_ts <= end_ts)
