"""Helpers of the live funding tests: fast options, settings naming the local perp exchange, the
exchange itself (its mark read from the world's WSOL-USDC pool), and the world file."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from phantom.app.live_funding_config import LiveFundingOptions
from phantom.app.live_solana_config import SolanaLiveOptions
from phantom.app.live_solana_world import describe, world_file, write_world_file
from phantom.app.settings import Settings, load_settings
from phantom.localperp.exchange import LocalPerpExchange
from phantom.localperp.schedule import FundingSchedule, parse_rates
from phantom.localperp.server import LocalPerpServer
from phantom.localsolana.world import LocalSolanaWorld

BLOCK_S = 0.05
API_KEY = "lf-test-key-7f3a9c"
API_SECRET = "lf-test-secret-2b8e4d61c0"
INTERVAL_S = 0.5  # one funding settlement (an 8 h interval of the market) every half second
SOLANA = SolanaLiveOptions(
    rebroadcast_interval_s=0.3,
    poll_interval_s=0.02,
    source_poll_interval_s=0.05,
    block_interval_s=BLOCK_S,
    noise_interval_s=0.0,
    drain_timeout_s=20.0,
    reconcile_wait_s=10.0,
)
PARAMS = {"lookback_prints": "3", "confirm_prints": "2", "negative_exit_h": str(1.2 / 3600)}
FAST = LiveFundingOptions(step_s=0.25, venue_poll_s=0.1, params=PARAMS, solana=SOLANA)


def pool_mark(world: LocalSolanaWorld) -> Callable[[], Decimal]:
    """USDC per WSOL in the world's WSOL-USDC pool, read from its vaults."""
    pool = next(p for p in world.pools if p.name == "WSOL-USDC")

    def mark() -> Decimal:
        wsol, usdc = world.reserves(pool, world.mints["WSOL"])
        return Decimal(usdc).scaleb(-6) / Decimal(wsol).scaleb(-9)

    return mark


def start_exchange(
    world: LocalSolanaWorld, rates: str, *, cash_usdc: int = 10_000, history: int = 3
) -> LocalPerpServer:
    exchange = LocalPerpExchange(
        pool_mark(world), FundingSchedule(parse_rates(rates)), initial_cash=cash_usdc * 10**6,
        funding_interval_s=INTERVAL_S, mark_interval_s=0.1,
    )  # fmt: skip
    return LocalPerpServer(exchange, API_KEY, API_SECRET).start(history=history)


def live_settings(tmp: Path, url: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "mode": "live",
        "enable_trading": True,
        "chain": "solana-local",
        "engines": "funding",
        "state_dir": str(tmp / "var"),
        "logs_dir": str(tmp / "logs"),
        "perp_exchange": "binanceusdm",
        "perp_api_key": API_KEY,
        "perp_api_secret": API_SECRET,
    }
    if url is not None:
        values["perp_api_url"] = url
    values.update(overrides)
    return load_settings(values)


def publish(world: LocalSolanaWorld, tmp: Path, key_path: Path | None) -> Path:
    """Write the world file live mode looks for under ``tmp/var``."""
    path = world_file(tmp / "var")
    write_world_file(describe(world, "fundworld0001", key_path), path)
    return path


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
