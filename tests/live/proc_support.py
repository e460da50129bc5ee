"""Running ``python -m phantom.app.live_run`` as its own process against the test devnet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from phantom.devnet.deployment import write_deployment
from phantom.devnet.world import DevnetWorld


def prepare(world: DevnetWorld, tmp: Path) -> dict[str, str]:
    """Write the deployment file where the settings look for it; the environment of a live run."""
    write_deployment(world.deployment, tmp / "devnet" / "deployment.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOM_")}
    env.update(
        {
            "PHANTOM_MODE": "live",
            "PHANTOM_ENABLE_TRADING": "true",
            "PHANTOM_CHAIN": "devnet",
            "PHANTOM_DEVNET_DIR": str(tmp / "devnet"),
            "PHANTOM_STATE_DIR": str(tmp / "var"),
            "PHANTOM_LOGS_DIR": str(tmp / "logs"),
            "PHANTOM_RECEIPT_TIMEOUT_S": "30",
        }
    )
    return env


def start(tmp: Path, env: dict[str, str], *args: str, tag: str = "run") -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "phantom.app.live_run", *args]
    out = open(tmp / f"{tag}.stdout", "wb")  # noqa: SIM115
    err = open(tmp / f"{tag}.stderr", "wb")  # noqa: SIM115
    try:
        return subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=err)
    finally:
        out.close()
        err.close()


def ledger_path(tmp: Path) -> Path:
    (path,) = (tmp / "var" / "sessions").glob("live-*/ledger.sqlite")
    return path
