"""SIGKILL a running ``phantom run`` at random moments, restart it, and verify the ledger."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from phantom.app.session import load_session
from phantom.portfolio.ledger import Ledger


def _env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOM_")}
    env.update(
        {
            "PHANTOM_STATE_DIR": str(state / "var"),
            "PHANTOM_LOGS_DIR": str(state / "logs"),
            "PHANTOM_SEED": "11",
        }
    )
    return env


def _run(state: Path, resume: bool) -> subprocess.Popen[bytes]:
    # 40 wall seconds at 600x is more than any kill window below: the run is always cut short
    args = [sys.executable, "-m", "phantom", "run", "--duration", "40", "--speed", "600"]
    if resume:
        args.append("--resume")
    return subprocess.Popen(
        args, cwd=state, env=_env(state), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _counts(ledger_path: Path) -> tuple[int, int, int]:
    con = sqlite3.connect(ledger_path)
    try:
        fills = con.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
        dup = con.execute(
            "SELECT COUNT(*) FROM "
            "(SELECT intent_id FROM fills GROUP BY intent_id HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        resolved = con.execute(
            "SELECT COUNT(*) FROM intents WHERE status IN ('filled', 'partial', 'failed')"
        ).fetchone()[0]
    finally:
        con.close()
    return int(fills), int(dup), int(resolved)


@pytest.mark.timeout(240)
def test_sigkill_at_random_moments_never_loses_or_duplicates_a_fill(tmp_path: Path) -> None:
    rnd = random.Random(20261121)
    fills_seen = 0
    for attempt in range(6):
        proc = _run(tmp_path, resume=attempt > 0)
        time.sleep(rnd.uniform(2.5, 6.0))  # start-up takes ~1-2 s; kill somewhere in the trading
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        session = load_session(tmp_path / "var")
        ledger = Ledger(session.ledger_path)
        try:
            report = ledger.verify()
        finally:
            ledger.close()
        assert report.ok, f"after kill {attempt + 1}: {report.problems}"
        fills, duplicates, resolved = _counts(session.ledger_path)
        assert duplicates == 0
        assert fills == resolved  # every fill booked exactly once, every booked intent has one
        assert fills >= fills_seen  # nothing that was booked before is lost
        fills_seen = fills
    assert fills_seen > 0, "the runs never traded: the test did not exercise the ledger"
    # a final clean run resumes, abandons what was in flight at the last kill, and verifies
    done = subprocess.run(
        [sys.executable, "-m", "phantom", "run", "--resume", "--duration", "2", "--fast"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    verify = subprocess.run(
        [sys.executable, "-m", "phantom", "ledger", "verify", "--all"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout.decode() + verify.stderr.decode()
