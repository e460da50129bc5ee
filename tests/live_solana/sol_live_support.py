"""Helpers of the live Solana tests: fast options, settings, a step-driven desk, the world file,
and ``python -m phantom.app.live_solana`` as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from phantom.app.live_run import live_session
from phantom.app.live_solana import build_run
from phantom.app.live_solana_config import SolanaLiveOptions
from phantom.app.live_solana_world import describe, world_file, write_world_file
from phantom.app.settings import Settings, load_settings
from phantom.localsolana.world import LocalSolanaWorld
from phantom.risk.breaker import KillSwitch
from phantom.venues.solana.keystore import SolanaSigner

BLOCK_S = 0.05
FAST = SolanaLiveOptions(
    rebroadcast_interval_s=0.3,
    poll_interval_s=0.02,
    source_poll_interval_s=0.02,
    block_interval_s=BLOCK_S,
    noise_interval_s=0.0,
    drain_timeout_s=20.0,
    reconcile_wait_s=20.0,
)


def live_settings(tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "mode": "live",
        "enable_trading": True,
        "chain": "solana-local",
        "state_dir": str(tmp / "var"),
        "logs_dir": str(tmp / "logs"),
    }
    values.update(overrides)
    return load_settings(values)


def publish(world: LocalSolanaWorld, tmp: Path, key_path: Path | None) -> Path:
    """Write the world file live mode looks for under ``tmp/var``."""
    path = world_file(tmp / "var")
    write_world_file(describe(world, "testworld0001", key_path), path)
    return path


def open_gap(world: LocalSolanaWorld, bps: int = 300) -> None:
    """Sell USDC into USDC-JUP: JUP gets dear there, USDC -> BONK -> JUP -> USDC pays."""
    pool = next(p for p in world.pools if p.name == "USDC-JUP")
    world.move_pool(pool, world.mints["USDC"], bps)


def wait_for(check: Callable[[], bool], timeout: float, what: str, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)


class Desk:
    """A live loop on ``world`` driven step by step by the test (the engine ENGINES names:
    ``engines=["lst"]`` among ``settings``)."""

    def __init__(
        self,
        world: LocalSolanaWorld,
        tmp: Path,
        signer: SolanaSigner,
        options: SolanaLiveOptions = FAST,
        **settings: Any,
    ) -> None:
        self.world = world
        self.settings = live_settings(tmp, **settings)
        info = describe(world, "testworld0001")
        session = live_session(self.settings.state_dir, "test-session", 0)
        self.run = build_run(self.settings, options, session, info, signer, KillSwitch())
        self.run.open()

    def settle(self, timeout: float = 20.0) -> None:
        """Step until nothing is in flight (and at least one step ran)."""
        deadline = time.monotonic() + timeout
        self.run.step(0.02)
        while self.run.client.in_flight():
            if time.monotonic() > deadline:
                raise AssertionError("an execution did not resolve in time")
            self.run.step(0.02)

    def step_until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            self.run.step(0.02)

    def close(self) -> None:
        self.run.close()


def subprocess_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOM_")}
    env.update(
        {
            "PHANTOM_MODE": "live",
            "PHANTOM_ENABLE_TRADING": "true",
            "PHANTOM_CHAIN": "solana-local",
            "PHANTOM_STATE_DIR": str(tmp / "var"),
            "PHANTOM_LOGS_DIR": str(tmp / "logs"),
        }
    )
    env.update(extra)
    return env


def start_live(
    tmp: Path, env: dict[str, str], options: SolanaLiveOptions, *args: str, tag: str = "run"
) -> subprocess.Popen[bytes]:
    opts = tmp / f"{tag}.options.json"
    opts.write_text(options.model_dump_json(), encoding="utf-8")
    cmd = [sys.executable, "-m", "phantom.app.live_solana", "--options", str(opts), *args]
    out = open(tmp / f"{tag}.stdout", "wb")  # noqa: SIM115
    err = open(tmp / f"{tag}.stderr", "wb")  # noqa: SIM115
    try:
        return subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=err)
    finally:
        out.close()
        err.close()


def only_session_dir(tmp: Path) -> Path:
    (path,) = (tmp / "var" / "sessions").glob("live-solana-local-*")
    return path
