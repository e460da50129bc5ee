"""A trader that moves the local world from a daemon thread of its own until stopped (the noise
trader of ``app/live_solana_world``, the de-peg trader of ``localsolana/staking``)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Self


class BackgroundTrader(ABC):
    """Runs :meth:`_main` on a daemon thread named ``name``; :meth:`_main` returns once
    ``self._stop`` is set."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    @abstractmethod
    def _main(self) -> None:
        """The trader's loop (waits on ``self._stop``)."""

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
