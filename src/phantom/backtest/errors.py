"""Typed data errors. Each names the file and the first offending rows (index and timestamp)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

SHOWN_ROWS = 5


def iso(ts: float) -> str:
    """Seconds since the epoch as an ISO-8601 UTC string (``2022-11-09T21:00:00Z``)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class BadRow:
    """One offending row: its 0-based index in the file, its timestamp and what is wrong."""

    index: int
    ts: str
    detail: str

    def __str__(self) -> str:
        return f"row {self.index} ({self.ts}): {self.detail}"


class DataError(ValueError):
    """A data file cannot be used as it is. ``rows`` holds the first few offending rows."""

    problem = "bad data"

    def __init__(self, path: str, rows: Sequence[BadRow], total: int, hint: str = "") -> None:
        self.path = path
        self.rows = tuple(rows[:SHOWN_ROWS])
        self.total = total
        shown = "; ".join(str(r) for r in self.rows)
        more = f" (and {total - len(self.rows)} more)" if total > len(self.rows) else ""
        message = f"{path}: {self.problem}: {total} row(s): {shown}{more}"
        if hint:
            message += f". {hint}"
        super().__init__(message)


class MissingColumns(DataError):
    problem = "missing columns"


class UnsortedTimestamps(DataError):
    problem = "timestamps go backwards"


class DuplicateTimestamps(DataError):
    problem = "duplicated timestamps"


class MissingTimestamps(DataError):
    problem = "missing timestamps (gaps against the inferred timeframe)"


class BadPrices(DataError):
    problem = "NaN or non-positive prices"


class BadValues(DataError):
    problem = "NaN or out-of-range values"


class DuplicateTrades(DataError):
    problem = "duplicated trade ids"


class EmptyData(DataError):
    problem = "no rows"
