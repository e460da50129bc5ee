"""How a running ``phantom run`` (paper or live) is asked to stop: SIGTERM / Ctrl-C, or the
``STOP`` file ``phantom stop`` leaves in the state directory. Both engage the kill switch: no
new entries, in-flight executions resolve, state is saved."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

from phantom.risk.breaker import KillSwitch


def install_signal_handlers(kill: KillSwitch) -> None:
    """SIGTERM and SIGINT engage ``kill`` (only possible from the main thread)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        kill.engage(signal.Signals(signum).name)

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, handler)


def watch_stop_file(stop_file: Path, kill: KillSwitch, interval_s: float = 0.25) -> threading.Event:
    """Engage ``kill`` when ``stop_file`` appears (a stale one is removed first). Returns the
    event that ends the watcher; set it when the run is over."""
    stop_file.unlink(missing_ok=True)
    done = threading.Event()

    def watch() -> None:
        while not done.wait(interval_s):
            if stop_file.exists():
                kill.engage("phantom stop")
                return

    threading.Thread(target=watch, daemon=True, name="phantom-stop-watcher").start()
    return done
