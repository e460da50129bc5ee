"""Live mode on the local Solana world: ``phantom run --mode live --chain solana-local``.

It runs the engine ENGINES names (live mode runs one): ``arb``
(:class:`phantom.app.live_solana_loop.SolanaLiveRun`), ``scalp`` or ``lst``
(``phantom.app.live_solana_bars``); this module decides whether live mode may start at all,
finds the world and the key, opens the persistent live session and handles signals.

Safety: refused (exit code 2, the reason on stderr, never a secret) unless ``ENABLE_TRADING`` is
true, ``MODE`` is live, the chain is ``solana-local``, the engine is one this loop runs (and the
world has what it trades) and a key is available. The world: the one named by
``<state_dir>/solana-local/world.json`` (``python -m phantom.app.live_solana_world``) when it
answers, else an embedded world started here (with a noise trader moving its prices and a
de-pegger pushing its LST pools off their rates) and stopped at the end. The key:
``SOLANA_PRIVATE_KEY`` (setting, base58) when set; else the world file's devnet key file; else,
for the embedded world only, a fresh in-memory key the world funds (it dies with the world). One
live engine at a time (``state_dir/live.lock``, shared with the EVM live mode; a session per
engine, wallet and world). Pending intents are reconciled by signature before anything new is
sent. ``phantom stop`` / SIGTERM: no new sends; in-flight bundles are resolved.
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

from phantom.app.live_run import LiveRefused, live_main, live_session
from phantom.app.live_solana_bars import LstLiveRun, ScalpLiveRun
from phantom.app.live_solana_base import SolanaLiveBase
from phantom.app.live_solana_config import SolanaLiveOptions, load_options
from phantom.app.live_solana_loop import SolanaLiveRun
from phantom.app.live_solana_rates import RateAccount
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
from phantom.app.session import Session
from phantom.app.settings import Mode, Settings
from phantom.app.stopping import install_signal_handlers, watch_stop_file
from phantom.localsolana.faults import Faults
from phantom.localsolana.staking import DepegTrader
from phantom.localsolana.world import LocalSolanaWorld
from phantom.risk.breaker import KillSwitch
from phantom.venues.solana.errors import KeystoreError
from phantom.venues.solana.keystore import SolanaSigner

log = get_logger("phantom.live.solana")
LIVE_ENGINES = ("arb", "scalp", "lst")  # the engines this loop runs live on solana-local


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
    engine = settings.engines[0]
    if engine not in LIVE_ENGINES:
        raise LiveRefused(
            f"ENGINES={engine}: this loop runs {', '.join(LIVE_ENGINES)} only"
            + (
                " (the funding engine runs live through `phantom run`, which starts its own loop)"
                if engine == "funding"
                else ""
            )
        )


def check_world_has(settings: Settings, options: SolanaLiveOptions, info: WorldInfo | None) -> None:
    """Refuse an engine the world cannot run: a world file from before its pools existed, or a
    SCALP pool the world (``None``: the embedded one's layout) does not have."""
    engine = settings.engines[0]
    if info is None:
        layout = world_config(None)
        pools = {p.name: {p.symbol_a, p.symbol_b} for p in layout.pools}
        rated = {spec.symbol for spec in layout.stake_accounts}
    else:
        pools = {p.pool_id: {p.symbol_a, p.symbol_b} for p in info.pools}
        rated = set(info.stake_accounts)
    if engine == "scalp" and "USDC" not in pools.get(options.scalp_pool, set()):
        raise LiveRefused(f"the local world has no USDC pool {options.scalp_pool!r} to scalp")
    if engine == "lst" and not any(
        {symbol, "WSOL"} in pools.values() and symbol in rated for symbol in settings.lst_symbols
    ):
        raise LiveRefused(
            f"the local world has none of {', '.join(settings.lst_symbols)} with a WSOL pool "
            "and a rate account (restart it with this version)"
        )


def session_name(engine: str, address: str, world_id: str) -> str:
    """The persistent session of an engine on a wallet and a world (arb's name predates the
    other engines and stays as it was)."""
    who = f"{address[:8]}-{world_id[-8:]}"
    return f"live-solana-local-{who}" if engine == "arb" else f"live-solana-local-{engine}-{who}"


def build_run(
    settings: Settings,
    options: SolanaLiveOptions,
    session: Session,
    world: WorldInfo,
    signer: SolanaSigner,
    kill: KillSwitch,
) -> SolanaLiveBase:
    """The live loop of the engine ENGINES names (checked by :func:`check_live_allowed`)."""
    engine, venue = settings.engines[0], world.venue()
    if engine == "scalp":
        return ScalpLiveRun(settings, options, session, venue, signer, kill)
    if engine == "lst":
        accounts = [
            RateAccount(symbol, a.address, a.layout, a.mint)
            for symbol, a in world.stake_accounts.items()
        ]
        return LstLiveRun(settings, options, session, venue, signer, kill, rate_accounts=accounts)
    return SolanaLiveRun(settings, options, session, venue, signer, kill)


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
    config = world_config(
        options.block_interval_s, seed=7 + seed, sol_usd=options.sol_usd,
        epoch_blocks=options.epoch_blocks, stake_growth_ppm=options.stake_growth_ppm,
    )  # fmt: skip
    world = LocalSolanaWorld(config, faults)
    noise: NoiseTrader | None = None
    depegs: DepegTrader | None = None
    world.start()
    try:
        key = key or SolanaKey(SolanaSigner.generate(), "embedded local world devnet key (fresh)")
        fund(world, key.signer)
        if options.noise_interval_s > 0:
            noise = NoiseTrader(
                world, interval_s=options.noise_interval_s, min_bps=options.noise_min_bps,
                max_bps=options.noise_max_bps, seed=seed,
            ).start()  # fmt: skip
        if options.depeg_interval_s > 0:
            depegs = DepegTrader(
                world, interval_s=options.depeg_interval_s, bps=options.depeg_bps,
                recover_s=options.depeg_recover_s,
                recover_fraction=options.depeg_recover_fraction,
            ).start()  # fmt: skip
        yield describe(world, f"embedded{time.time_ns():x}"), key, "embedded"
    finally:
        for agent in (noise, depegs):
            if agent is not None:
                agent.stop()
        world.stop()


def run_live_solana_local(
    settings: Settings,
    duration_s: float | None,
    summary_json: Path | None,
    *,
    options: SolanaLiveOptions | None = None,
) -> int:
    """Run the engine ENGINES names live on the local Solana world (see the module
    docstring). Returns the exit code: 0 done, 2 refused."""
    log_path = configure(settings.logs_dir, settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    options = options or SolanaLiveOptions()
    state_dir = settings.state_dir
    try:
        check_live_allowed(settings)
        info = find_world(settings)
        check_world_has(settings, options, info)
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
            name = session_name(settings.engines[0], address, world.world_id)
            session = live_session(state_dir, name, settings.seed)
            log.info("live_start", engine=settings.engines[0], session=session.session_id,
                     signer_source=wkey.source,
                     address=address, world=kind, log=str(log_path))  # fmt: skip
            print(f"live {settings.engines[0]} on solana-local ({kind} world) as {address} "
                  f"({wkey.source}); session {session.session_id}")  # fmt: skip
            install_signal_handlers(kill)
            watcher_done = watch_stop_file(stop_file, kill)
            pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
            run = build_run(settings, options, session, world, wkey.signer, kill)
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
    return live_main(
        argv, "phantom.app.live_solana",
        lambda settings, args, options: run_live_solana_local(
            settings, args.duration, args.summary_json, options=options
        ),
        options=("SolanaLiveOptions JSON", load_options),
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
