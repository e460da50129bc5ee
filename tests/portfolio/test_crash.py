"""SIGKILL a process that journals and books fills, restart it, and check nothing was lost."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus

CHILD = Path(__file__).with_name("crash_child.py")
KILLS = 8


def _counts(path: Path) -> tuple[int, int, int]:
    con = sqlite3.connect(path)
    try:
        fills = con.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
        outcomes = con.execute(
            "SELECT COUNT(*) FROM intents WHERE status IN ('filled', 'partial', 'failed')"
        ).fetchone()[0]
        pending = con.execute("SELECT COUNT(*) FROM intents WHERE status = 'pending'").fetchone()[0]
    finally:
        con.close()
    return int(fills), int(outcomes), int(pending)


def _start(path: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != b"ready":
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"child did not start: {line!r} {err.decode()[-2000:]}")
    return proc


@pytest.mark.timeout(60)
def test_sigkill_never_loses_or_duplicates_a_fill(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    rnd = random.Random(20_261_121)
    fills_before = 0
    for kill in range(KILLS):
        proc = _start(path)
        try:
            proc.wait(timeout=rnd.uniform(0.0, 0.3))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL, f"child died on its own: {err.decode()[-2000:]}"

        with Ledger(path) as ledger:
            report = ledger.verify()
            assert report.ok, f"after kill {kill + 1}: {report}"
            fills, outcomes, pending = _counts(path)
            assert fills == outcomes, f"after kill {kill + 1}: {fills} fills, {outcomes} outcomes"
            assert fills >= fills_before, "a booked fill was lost"
            assert pending <= 1, "only the intent in flight at the kill may be pending"
            assert len(ledger.fills()) == fills
            fills_before = fills
            print(f"kill {kill + 1}: {fills} fills, {pending} pending")  # shown with -s

    assert fills_before > 0, "the child never booked a fill: the test exercised nothing"
    with Ledger(path) as ledger:  # a restart reconciles: what was in flight is abandoned
        ledger.abandon_pending("test restart")
        assert ledger.pending_intents() == []
        assert ledger.verify().ok
        assert ledger.intents(status=IntentStatus.REJECTED)
