"""Live mode on the local Solana world: ``phantom run --mode live --chain solana-local``.

The loop is :class:`phantom.app.live_solana_loop.SolanaLiveRun`; this module decides whether live
mode may start at all, finds the world and the key, opens the persistent live session and
handles signals.

Safety: refused (exit code 2, the reason on stderr, never a secret) unless ``ENABLE_TRADING`` is
true, ``MODE`` is live, the chain is ``solana-local`` and a key is available. The world: the one
named by ``<state_dir>/solana-local/world.json`` (``python -m phantom.app.live_solana_world``)
when it answers, else an embedded world started here (with a noise trader moving its prices)
and stopped at the end. The key: ``SOLANA_PRIVATE_KEY`` (setting, base58) when set; else the
world file's devnet key file; else, for the embedded world only, a fresh in-memory key the world
funds (it dies with the world). One live engine at a time (``state_dir/live.lock``, shared with
the EVM live mode). Pending intents are reconciled by signature before anything new is sent.
``phantom stop`` / SIGTERM: no new sends; in-flight bundles are resolved.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from phantom.app.live_run import LiveRefused, live_session
from phantom.app.live_solana_config import SolanaLiveOptions, load_options
from phantom.app.live_solana_loop import SolanaLiveRun
from phantom.app.live_solana_world import (
    CHAIN_NAMES,
    NoiseTrader,
    WorldInfo,
    describe,
    fund,
    reachable,
    read_world_file,
    world_config,
    world_file,
)
from phantom.app.logging_setup import configure, get_logger
from phantom.app.runner import dump_json
from phantom.app.settings import Mode, Settings
from phantom.app.stopping import install_signal_handlers, watch_stop_file
from phantom.localsolana.faults import Faults
from phantom.localsolana.world import LocalSolanaWorld
from phantom.risk.breaker import KillSwitch
from phantom.venues.solana.errors import KeystoreError
from phantom.venues.solana.keystore import SolanaSigner

log = get_logger("phantom.live.solana")


@dataclass(frozen=True, slots=True)
class SolanaKey:
    signer: SolanaSigner
    source: str  # for the log: where the key came from, never the key


def check_live_allowed(settings: Settings) -> None:
    if not settings.enable_trading:
        raise LiveRefused("ENABLE_TRADING is not true; live mode sends real transactions")
    if settings.mode is not Mode.LIVE:
        raise LiveRefused("MODE is not live (pass --mode live)")
    if settings.chain.strip().lower() not in CHAIN_NAMES:
        raise LiveRefused(f"this entry point runs on solana-local only, not {settings.chain!r}")


def find_world(settings: Settings) -> WorldInfo | None:
    """The running world named by the state file, or None (then an embedded one is started)."""
    path = world_file(settings.state_dir)
    if not path.is_file():
        return None
    try:
        info = read_world_file(path)
    except (OSError, ValueError) as exc:
        raise LiveRefused(
            f"cannot read the local world file {path}: {type(exc).__name__}"
        ) from None
    if not reachable(info.rpc_url):
        raise LiveRefused(
            f"the local world named by {path} does not answer; start it again or delete the file"
        )
    return info


def resolve_key(settings: Settings, info: WorldInfo | None) -> SolanaKey | None:
    """``SOLANA_PRIVATE_KEY``, else the world file's devnet key; None: the embedded world's own
    fresh key. Refuses when a running world has no key and none is configured."""
    if settings.solana_private_key is not None and settings.solana_private_key.get_secret_value():
        try:
            signer = SolanaSigner.from_base58(settings.solana_private_key.get_secret_value())
        except KeystoreError:
            raise LiveRefused("SOLANA_PRIVATE_KEY is not a valid base58 Solana key") from None
        return SolanaKey(signer, "SOLANA_PRIVATE_KEY setting")
    if info is None:
        return None
    if info.key_file is None or not Path(info.key_file).is_file():
        raise LiveRefused(
            "no key: set SOLANA_PRIVATE_KEY or run the local world with its devnet key file"
        )
    try:
        signer = SolanaSigner.from_json_file(info.key_file)
    except KeystoreError as exc:
        raise LiveRefused(f"cannot load the local world's devnet key: {exc}") from None
    return SolanaKey(signer, f"local world devnet key file {Path(info.key_file).name}")


def _lock_single_live(state_dir: Path) -> IO[str]:
    handle = open(state_dir / "live.lock", "a+", encoding="utf-8")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise LiveRefused("another live engine is running (state_dir/live.lock is held)") from None
    return handle


@contextlib.contextmanager
def _world(
    info: WorldInfo | None, key: SolanaKey | None, options: SolanaLiveOptions, seed: int
) -> Iterator[tuple[WorldInfo, SolanaKey, str]]:
    """The world to trade on and the key: the running one, or an embedded one (funded key,
    noise trader) stopped on exit."""
    if info is not None:
        assert key is not None
        yield info, key, "external"
        return
    faults = Faults(
        **{
            "blockhash_validity_blocks": options.blockhash_validity_blocks,
            "confirm_after_blocks": options.confirm_after_blocks,
            **options.world_faults,
        }
    )
    world = LocalSolanaWorld(world_config(options.block_interval_s, seed=7 + seed), faults)
    noise: NoiseTrader | None = None
    world.start()
    try:
        key = key or SolanaKey(SolanaSigner.generate(), "embedded local world devnet key (fresh)")
        fund(world, key.signer)
        if options.noise_interval_s > 0:
            noise = NoiseTrader(
                world, interval_s=options.noise_interval_s, min_bps=options.noise_min_bps,
                max_bps=options.noise_max_bps, seed=seed,
            ).start()  # fmt: skip
        yield describe(world, f"embedded{time.time_ns():x}"), key, "embedded"
    finally:
        if noise is not None:
            noise.stop()
        world.stop()


def run_live_solana_local(
    settings: Settings,
    duration_s: float | None,
    summary_json: Path | None,
    *,
    options: SolanaLiveOptions | None = None,
) -> int:
    """Run the arbitrage engine live on the local Solana world (see the module docstring).
    Returns the exit code: 0 done, 2 refused."""
    log_path = configure(settings.logs_dir, settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    options = options or SolanaLiveOptions()
    state_dir = settings.state_dir
    try:
        check_live_allowed(settings)
        info = find_world(settings)
        key = resolve_key(settings, info)
        state_dir.mkdir(parents=True, exist_ok=True)
        lock = _lock_single_live(state_dir)
    except LiveRefused as exc:
        log.error("live_refused", reason=str(exc))
        print(f"live mode refused: {exc}", file=sys.stderr)
        return 2
    kill = KillSwitch()
    stop_file, pid_file = state_dir / "STOP", state_dir / "phantom.pid"
    watcher_done = threading.Event()
    try:
        with _world(info, key, options, settings.seed) as (world, wkey, kind):
            address = str(wkey.signer.pubkey)
            session = live_session(
                state_dir, f"live-solana-local-{address[:8]}-{world.world_id[-8:]}", settings.seed
            )
            log.info("live_start", session=session.session_id, signer_source=wkey.source,
                     address=address, world=kind, log=str(log_path))  # fmt: skip
            print(f"live on solana-local ({kind} world) as {address} ({wkey.source}); "
                  f"session {session.session_id}")  # fmt: skip
            install_signal_handlers(kill)
            watcher_done = watch_stop_file(stop_file, kill)
            pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
            run = SolanaLiveRun(settings, options, session, world.venue(), wkey.signer, kill)
            summary = run.run(duration_s)
    finally:
        watcher_done.set()
        pid_file.unlink(missing_ok=True)
        lock.close()
    summary.update({"signer_source": wkey.source, "world": kind})
    if summary_json is not None:
        dump_json(summary, summary_json)
        print(f"summary written to {summary_json}")
    print(
        f"trades {summary['trades']} (wins {summary['wins']}), failed {summary['failed']}, "
        f"realized PnL {summary['realized_pnl_usd']} USD, tiers {summary['tiers_used']}, "
        f"tips {summary['tips_paid_lamports']} lamports; ledger: {session.ledger_path}"
    )
    log.info("live_end", **{k: v for k, v in summary.items() if not isinstance(v, dict | list)})
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m phantom.app.live_solana``: settings from the environment / phantom.toml."""
    import argparse

    from phantom.app.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog="python -m phantom.app.live_solana")
    parser.add_argument("--duration", type=float, default=None, help="wall seconds")
    parser.add_argument("--summary-json", type=Path, default=None)
    parser.add_argument("--options", type=Path, default=None, help="SolanaLiveOptions JSON")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        options = load_options(args.options)
    except (SettingsError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return run_live_solana_local(settings, args.duration, args.summary_json, options=options)


if __name__ == "__main__":
    raise SystemExit(main())
