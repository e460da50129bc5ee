"""``phantom stop`` against a running ``phantom run``: it stops cleanly and saves its state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from phantom.app.session import load_session
from phantom.portfolio.ledger import Ledger


@pytest.mark.timeout(120)
def test_phantom_stop_halts_a_running_session(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOM_")}
    env.update(
        {"PHANTOM_STATE_DIR": str(tmp_path / "var"), "PHANTOM_LOGS_DIR": str(tmp_path / "l")}
    )
    summary = tmp_path / "summary.json"
    run = subprocess.Popen(
        [sys.executable, "-m", "phantom", "run", "--seed", "2", "--summary-json", str(summary)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    pid_file = tmp_path / "var" / "phantom.pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # let it trade
    stop = subprocess.run(
        [sys.executable, "-m", "phantom", "stop"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=30,
    )
    assert stop.returncode == 0 and b"SIGTERM" in stop.stdout
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err.decode()[-2000:]
    assert summary.exists() and not pid_file.exists()
    session = load_session(tmp_path / "var")
    ledger = Ledger(session.ledger_path)
    try:
        assert ledger.pending_intents() == []  # in-flight orders were resolved before exit
        assert ledger.verify().ok
    finally:
        ledger.close()
