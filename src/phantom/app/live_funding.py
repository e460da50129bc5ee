"""Live funding on the local Solana world with a configured perp venue:
``run_live_funding(settings, duration_s, summary_json)`` (``phantom run --mode live --chain
solana-local`` with ``ENGINES=funding``) or ``python -m phantom.app.live_funding``.

The loop is :class:`phantom.app.live_funding_loop.FundingLiveRun`; this module decides whether it
may start at all, finds the world, the key and the perp venue, opens the persistent live session
and handles signals.

Safety: refused (exit code 2, the reason on stderr, never a secret) unless ``ENABLE_TRADING`` is
true, ``MODE`` is live, the chain is ``solana-local``, a Solana key is available (as
``live_solana``: ``SOLANA_PRIVATE_KEY``, the world file's devnet key, or the embedded world's
fresh key) **and** a perp venue is configured (``PERP_EXCHANGE``, ``PERP_API_URL``,
``PERP_API_KEY``, ``PERP_API_SECRET``) and answers with those credentials. The world: the one
named by ``<state_dir>/solana-local/world.json`` when it answers, else an embedded one with a
``WSOL-USDC`` pool (the perp venue's mark cannot follow an embedded world: run the world on its
own for a local perp exchange to read). One live engine at a time (``state_dir/live.lock``).
Pending intents are reconciled before anything new is sent. ``phantom stop`` / SIGTERM: no new
sends; in-flight swaps and perp orders are resolved; the position is kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from phantom.app.live_funding_config import (
    LiveFundingOptions,
    load_funding_options,
    perp_venue_config,
)
from phantom.app.live_funding_loop import FundingLiveRun
from phantom.app.live_funding_world import embedded_world
from phantom.app.live_run import LiveRefused, _lock_single_live, live_main, live_session
from phantom.app.live_solana import SolanaKey, find_world, resolve_key
from phantom.app.live_solana_world import CHAIN_NAMES, WorldInfo
from phantom.app.logging_setup import configure, get_logger
from phantom.app.runner import dump_json
from phantom.app.settings import Mode, Settings
from phantom.app.stopping import install_signal_handlers, watch_stop_file
from phantom.risk.breaker import KillSwitch
from phantom.venues.perps.base import PerpVenueError
from phantom.venues.perps.ccxt_adapter import CcxtPerpVenue

log = get_logger("phantom.live.funding")


def check_live_allowed(settings: Settings) -> None:
    if not settings.enable_trading:
        raise LiveRefused("ENABLE_TRADING is not true; live mode sends real transactions")
    if settings.mode is not Mode.LIVE:
        raise LiveRefused("MODE is not live (pass --mode live)")
    if settings.chain.strip().lower() not in CHAIN_NAMES:
        raise LiveRefused(f"live funding runs on solana-local only, not {settings.chain!r}")
    if settings.engines != ["funding"]:
        raise LiveRefused(f"ENGINES={','.join(settings.engines)}: this entry point runs funding")


def connect_perp(settings: Settings) -> CcxtPerpVenue:
    """The configured perp venue, checked: its market exists and the credentials are accepted
    (an account read). Refused otherwise, with the venue's (secret-free) answer."""
    config = perp_venue_config(settings)
    try:
        venue = CcxtPerpVenue(config)
        venue.markets()  # the configured market must exist (else a "setting markets" error)
        venue.account()
    except PerpVenueError as exc:
        raise LiveRefused(f"the perp venue refused: {exc}") from None
    return venue


def _check_world(info: WorldInfo | None, options: LiveFundingOptions) -> None:
    if info is None:
        return
    if options.spot_pool not in {p.pool_id for p in info.pools}:
        raise LiveRefused(f"the local world has no {options.spot_pool} pool (the spot leg)")


@contextlib.contextmanager
def _world(
    info: WorldInfo | None, key: SolanaKey | None, options: LiveFundingOptions, seed: int
) -> Iterator[tuple[WorldInfo, SolanaKey, str]]:
    if info is not None:
        assert key is not None
        yield info, key, "external"
        return
    with embedded_world(key, options, seed) as (world_info, wkey):
        yield world_info, wkey, "embedded"


def run_live_funding(
    settings: Settings,
    duration_s: float | None,
    summary_json: Path | None,
    *,
    options: LiveFundingOptions | None = None,
) -> int:
    """Run the funding engine live (see the module docstring). Returns the exit code: 0 done,
    1 stopped by a venue failure, 2 refused."""
    log_path = configure(settings.logs_dir, settings.log_level)
    for noisy in ("httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    options = options or LiveFundingOptions()
    state_dir = settings.state_dir
    try:
        check_live_allowed(settings)
        perp = connect_perp(settings)
        info = find_world(settings)
        _check_world(info, options)
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
            sid = f"live-funding-{address[:8]}-{world.world_id[-8:]}-{perp.name}"
            session = live_session(state_dir, sid, settings.seed)
            log.info("live_start", session=session.session_id, signer_source=wkey.source,
                     address=address, world=kind, perp=perp.name, log=str(log_path))  # fmt: skip
            print(
                f"live funding on solana-local ({kind} world) as {address} ({wkey.source}), "
                f"perp {perp.name} {settings.perp_market}; session {session.session_id}"
            )
            install_signal_handlers(kill)
            watcher_done = watch_stop_file(stop_file, kill)
            pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
            run = FundingLiveRun(settings, options, session, world.venue(), wkey.signer, perp, kill)
            summary = run.run(duration_s)
    except LiveRefused as exc:
        log.error("live_refused", reason=str(exc))
        print(f"live mode refused: {exc}", file=sys.stderr)
        return 2
    except PerpVenueError as exc:
        log.error("live_stopped", reason=str(exc))
        print(f"live funding stopped: the perp venue failed: {exc}", file=sys.stderr)
        return 1
    finally:
        watcher_done.set()
        pid_file.unlink(missing_ok=True)
        lock.close()
    summary.update({"signer_source": wkey.source, "world": kind, "ended_at": time.time()})
    if summary_json is not None:
        dump_json(summary, summary_json)
        print(f"summary written to {summary_json}")
    f = summary["funding"]
    print(
        f"spot trades {summary['trades']}, perp orders {f.get('perp_orders', 0)}, funding earned "
        f"{f.get('funding_earned_usd', '0')} USD over {f.get('prints_paid_or_earned', 0)} "
        f"payments, min health {f.get('min_health_pct')} %, PnL {summary['pnl_usd']} USD; "
        f"ledger: {session.ledger_path}"
    )
    log.info("live_end", **{k: v for k, v in summary.items() if not isinstance(v, dict | list)})
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m phantom.app.live_funding``: settings from the environment / phantom.toml."""
    return live_main(
        argv, "phantom.app.live_funding",
        lambda settings, args, options: run_live_funding(
            settings, args.duration, args.summary_json, options=options
        ),
        options=("LiveFundingOptions JSON", load_funding_options),
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
