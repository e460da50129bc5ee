"""The one queue a synchronous live loop wakes on: market events and "an execution finished"
notices (the client's ``WAKE``) from the venue thread. Shared by the EVM live loop
(``app/live_loop``) and the Solana ones (``app/live_solana_exec``)."""

from __future__ import annotations

import queue
from collections.abc import Iterator

WAKE = object()


def waiting(inbox: queue.Queue[object]) -> Iterator[object]:
    """The items in ``inbox`` now, one at a time, without waiting."""
    while True:
        try:
            yield inbox.get_nowait()
        except queue.Empty:
            return


def take(inbox: queue.Queue[object], timeout: float) -> list[object]:
    """Every item in ``inbox``, after waiting up to ``timeout`` for the first."""
    try:
        first = inbox.get(timeout=timeout)
    except queue.Empty:
        return []
    return [first, *waiting(inbox)]
