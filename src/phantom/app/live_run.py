"""Live mode on the EVM devnet: the arbitrage engine trading real transactions on anvil.

The loop itself is :class:`phantom.app.live_loop.LiveRun`; this module decides whether live mode
may start at all, finds the key, opens the persistent live session and handles signals.

Safety: refused unless ``ENABLE_TRADING`` is true, ``MODE`` is live, the chain is the devnet and a
key is available (a keystore wallet: ``EVM_WALLET`` + the password variable; else, on the devnet
only, the deployment's funded ``arbitrageur`` account, whose key is public). One live engine at a
time (a lock file). On start, pending intents are reconciled against the chain before anything
new is sent. ``phantom stop`` / SIGTERM: no new sends; in-flight transactions are resolved.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from phantom.app.live_loop import LiveRun
from phantom.app.logging_setup import configure, get_logger
from phantom.app.runner import dump_json
from phantom.app.session import Session, load_session
from phantom.app.settings import Mode, Settings
from phantom.app.stopping import install_signal_handlers, watch_stop_file
from phantom.devnet.deployment import Deployment, load_deployment
from phantom.devnet.relay import DevnetRelay
from phantom.devnet.rpc import DevnetRpc
from phantom.execution.evm_devnet import devnet_venue
from phantom.market.replay.path import SAMPLE_FILE
from phantom.risk.breaker import KillSwitch
from phantom.venues.evm.errors import KeystoreError
from phantom.venues.evm.keystore import Keystore, password_from_env
from phantom.venues.evm.rpc import redact_url
from phantom.venues.evm.signer import SecretKey, Signer

log = get_logger("phantom.live")


class LiveRefused(Exception):
    """Live mode will not start; the message says why (never holds a secret)."""


@dataclass(frozen=True, slots=True)
class LiveKey:
    signer: Signer
    source: str  # for the log: where the key came from, never the key


def check_live_allowed(settings: Settings) -> None:
    if not settings.enable_trading:
        raise LiveRefused("ENABLE_TRADING is not true; live mode sends real transactions")
    if settings.mode is not Mode.LIVE:
        raise LiveRefused("MODE is not live (pass --mode live)")
    if settings.chain.strip().lower() not in ("devnet", "anvil", "31337"):
        raise LiveRefused(
            f"live mode runs on the devnet only in this build, not {settings.chain!r}"
        )


def resolve_key(settings: Settings, deployment: Deployment | None) -> LiveKey:
    """The keystore wallet if EVM_WALLET is set; else the devnet deployment's arbitrageur."""
    if settings.evm_wallet:
        try:
            password = password_from_env(settings.keystore_password_env)
            signer = Keystore(settings.keystore_dir).unlock(settings.evm_wallet, password)
        except (KeystoreError, OSError, ValueError) as exc:
            raise LiveRefused(f"cannot unlock wallet {settings.evm_wallet!r}: {exc}") from None
        return LiveKey(signer, f"keystore wallet {settings.evm_wallet!r}")
    if deployment is not None:
        acct = deployment.account("arbitrageur")
        signer = Signer(SecretKey.from_hex(acct.private_key.get_secret_value()))
        return LiveKey(signer, "devnet deployment account 'arbitrageur' (public test key)")
    raise LiveRefused("no key: set EVM_WALLET (keystore) or start the devnet (`phantom devnet up`)")


# --- the entry point ---------------------------------------------------------------------------


def live_session(state_dir: Path, session_id: str, seed: int) -> Session:
    """The persistent live session (one per chain, address and chain genesis): its ledger and
    journal carry over restarts so pending intents can be reconciled; each start is a segment."""
    sdir = state_dir / "sessions" / session_id
    if (sdir / "session.json").exists():
        session = load_session(state_dir, session_id)
    else:
        sdir.mkdir(parents=True, exist_ok=True)
        session = Session(sdir, session_id, seed, [])
    session.add_segment(time.time())
    (state_dir / "current").write_text(session_id + "\n", encoding="utf-8")
    return session


def _lock_single_live(state_dir: Path) -> IO[str]:
    handle = open(state_dir / "live.lock", "a+", encoding="utf-8")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise LiveRefused("another live engine is running (state_dir/live.lock is held)") from None
    return handle


def _start_noise(deployment_file: Path, interval_s: float) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "phantom.devnet.agents", "--deployment", str(deployment_file),
           "--prices", str(SAMPLE_FILE), "--interval", str(interval_s)]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_live_devnet(
    settings: Settings,
    duration_s: float | None,
    summary_json: Path | None,
    *,
    noise_traders: bool = False,
    noise_interval_s: float = 0.5,
) -> int:
    """Run the arbitrage engine live on the devnet (see the module docstring). Returns the exit
    code: 0 done, 2 refused. ``noise_traders`` also runs ``phantom.devnet.agents`` (its own
    process) along the embedded price path, to open the gaps."""
    log_path = configure(settings.logs_dir, settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per RPC call otherwise
    state_dir = settings.state_dir
    dep_file = settings.devnet_dir / "deployment.json"
    try:
        check_live_allowed(settings)
        deployment = load_deployment(dep_file) if dep_file.is_file() else None
        key = resolve_key(settings, deployment)
        if deployment is None:
            raise LiveRefused(f"no devnet deployment at {dep_file}; run `phantom devnet up`")
        state_dir.mkdir(parents=True, exist_ok=True)
        lock = _lock_single_live(state_dir)
    except LiveRefused as exc:
        log.error("live_refused", reason=str(exc))
        print(f"live mode refused: {exc}", file=sys.stderr)
        return 2
    rpc_url = settings.evm_rpc_url or deployment.rpc_url
    ws_url = settings.evm_ws_url or deployment.ws_url
    with DevnetRpc(rpc_url) as rpc:
        genesis = str(rpc.call("eth_getBlockByNumber", "0x0", False)["hash"])
    address = key.signer.address
    session = live_session(
        state_dir, f"live-devnet-{address[2:10].lower()}-{genesis[2:10]}", settings.seed
    )
    log.info("live_start", session=session.session_id, signer_source=key.source, address=address,
             rpc=redact_url(rpc_url), log=str(log_path))  # fmt: skip
    print(f"live on the devnet as {address} ({key.source}); session {session.session_id}")
    kill = KillSwitch()
    install_signal_handlers(kill)
    stop_file, pid_file = state_dir / "STOP", state_dir / "phantom.pid"
    watcher_done = watch_stop_file(stop_file, kill)
    pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    noise = _start_noise(dep_file, noise_interval_s) if noise_traders else None
    relay = DevnetRelay(rpc_url).start()
    try:
        run = LiveRun(settings, session, devnet_venue(deployment), key.signer, kill,
                      rpc_url=rpc_url, ws_url=ws_url, relay_url=relay.url)  # fmt: skip
        summary = run.run(duration_s)
    finally:
        if noise is not None:
            noise.terminate()
            noise.wait(timeout=10)
        relay.stop()
        watcher_done.set()
        pid_file.unlink(missing_ok=True)
        lock.close()
    summary["signer_source"] = key.source
    if summary_json is not None:
        dump_json(summary, summary_json)
        print(f"summary written to {summary_json}")
    print(
        f"trades {summary['trades']} (wins {summary['wins']}), failed {summary['failed']}, "
        f"realized PnL {summary['realized_pnl_usd']} USD; ledger: {session.ledger_path}"
    )
    log.info("live_end", **{k: v for k, v in summary.items() if not isinstance(v, dict | list)})
    return 0


def live_main(
    argv: list[str] | None,
    module: str,
    start: Callable[[Settings, argparse.Namespace, Any], int],
    *,
    options: tuple[str, Callable[[Path | None], Any]] | None = None,
    flags: tuple[str, ...] = (),
) -> int:
    """The ``python -m <module>`` entry point of a live mode: ``--duration``, ``--summary-json``,
    then ``--options`` (a JSON file ``options`` describes and loads) and on/off ``flags``;
    settings from the environment / phantom.toml. Settings (or options) that do not load:
    ``error: ...`` and exit 2; else ``start(settings, args, loaded options)``."""
    from phantom.app.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog=f"python -m {module}")
    parser.add_argument("--duration", type=float, default=None, help="wall seconds")
    parser.add_argument("--summary-json", type=Path, default=None)
    if options is not None:
        parser.add_argument("--options", type=Path, default=None, help=options[0])
    for flag in flags:
        parser.add_argument(flag, action="store_true")
    args = parser.parse_args(argv)
    errors = (SettingsError,) if options is None else (SettingsError, OSError, ValueError)
    try:
        settings = load_settings()
        loaded = None if options is None else options[1](args.options)
    except errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return start(settings, args, loaded)


def main(argv: list[str] | None = None) -> int:
    """``python -m phantom.app.live_run``: settings from the environment / phantom.toml."""
    return live_main(
        argv, "phantom.app.live_run",
        lambda settings, args, _: run_live_devnet(
            settings, args.duration, args.summary_json, noise_traders=args.noise_traders
        ),
        flags=("--noise-traders",),
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
