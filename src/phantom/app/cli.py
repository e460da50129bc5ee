"""The ``phantom`` command."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from phantom.app.cli_backtest import backtest
from phantom.app.cli_devnet_demo import register as register_devnet_demo
from phantom.app.cli_keys import keys_app
from phantom.app.settings import Mode, Settings, SettingsError, load_settings, masked_settings
from phantom.devnet.cli import devnet_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Phantom Arbiter")
config_app = typer.Typer(no_args_is_help=True, help="Settings")
ledger_app = typer.Typer(no_args_is_help=True, help="The ledger and its journal")
app.add_typer(config_app, name="config")
app.add_typer(keys_app, name="keys")
register_devnet_demo(devnet_app)
app.add_typer(devnet_app, name="devnet")
app.command("backtest")(backtest)
app.add_typer(ledger_app, name="ledger")

console = Console()
err = Console(stderr=True)

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a setting: NAME=VALUE (repeatable)", metavar="NAME=VALUE"),
]


def _overrides(pairs: list[str] | None, **named: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise SettingsError(f"--set expects NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        out[name.strip().lower()] = value
    out.update({k: v for k, v in named.items() if v is not None})
    return out


def _settings(pairs: list[str] | None, **named: Any) -> Any:
    try:
        return load_settings(_overrides(pairs, **named))
    except SettingsError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@config_app.command("show")
def config_show(set_: SetOpt = None) -> None:
    """Print the effective settings, secrets masked."""
    settings = _settings(set_)
    table = Table(title="effective settings")
    table.add_column("setting")
    table.add_column("value")
    for name, value in masked_settings(settings).items():
        table.add_row(name.upper(), value)
    console.print(table)


@app.command()
def run(
    seed: Annotated[int | None, typer.Option(help="Seed of every random draw")] = None,
    duration: Annotated[
        float | None, typer.Option(help="Run for this many wall seconds at REPLAY_SPEED")
    ] = None,
    summary_json: Annotated[Path | None, typer.Option(help="Write the summary here")] = None,
    speed: Annotated[float | None, typer.Option(help="Simulated seconds per wall second")] = None,
    fast: Annotated[bool, typer.Option(help="Do not pace to the wall clock")] = False,
    resume: Annotated[bool, typer.Option(help="Continue the latest session")] = False,
    live: Annotated[bool, typer.Option("--live", help="Same as --mode live")] = False,
    mode: Annotated[Mode | None, typer.Option(help="paper (default) or live")] = None,
    chain: Annotated[
        str | None, typer.Option(help="Live: devnet (local EVM) or solana-local")
    ] = None,
    noise_traders: Annotated[
        bool, typer.Option(help="Live on the devnet: run noise traders that move the pools")
    ] = False,
    options: Annotated[
        Path | None,
        typer.Option(
            help="Live on solana-local: a JSON file of the live loop's options "
            "(docs/live-solana.md; for ENGINES=funding docs/engines/funding.md)"
        ),
    ] = None,
    set_: SetOpt = None,
) -> None:
    """Paper-trade on the embedded replay world (default), or trade live with --mode live."""
    settings = _settings(
        set_, seed=seed, replay_speed=speed, mode=Mode.LIVE if live else mode, chain=chain
    )
    if settings.mode is Mode.LIVE:
        if settings.chain == "solana-local":
            raise typer.Exit(_live_solana_local(settings, duration, summary_json, options))
        if settings.chain != "devnet":
            err.print(
                f"[red]live mode refused:[/red] chain {settings.chain!r} has no live loop in "
                "this build (live runs on the local EVM devnet, --chain devnet, or the local "
                "Solana world, --chain solana-local)"
            )
            raise typer.Exit(2)
        from phantom.app.live_run import run_live_devnet

        raise typer.Exit(
            run_live_devnet(settings, duration, summary_json, noise_traders=noise_traders)
        )
    from phantom.app.runner import run_paper

    code = run_paper(
        settings, duration_s=duration, summary_json=summary_json, pace=not fast, resume=resume
    )
    raise typer.Exit(code)


def _live_solana_local(
    settings: Settings, duration: float | None, summary_json: Path | None, options: Path | None
) -> int:
    """The live loop of the engine ENGINES names on the local Solana world: funding (spot on
    the world, perp on the configured perp venue) or arb, scalp, lst."""
    run: Callable[..., int]
    load: Callable[[Path | None], Any]
    if settings.engines[0] == "funding":
        from phantom.app.live_funding import run_live_funding as run
        from phantom.app.live_funding_config import load_funding_options as load
    else:
        from phantom.app.live_solana import run_live_solana_local as run
        from phantom.app.live_solana_config import load_options as load
    try:
        loaded = load(options)
    except (OSError, ValueError) as exc:
        err.print(f"[red]bad --options file:[/red] {exc}")
        return 2
    return run(settings, duration, summary_json, options=loaded)


@app.command()
def stop(set_: SetOpt = None) -> None:
    """Ask the running ``phantom run`` to stop: no new entries, in-flight resolved, state saved."""
    settings = _settings(set_)
    state_dir: Path = settings.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "STOP").write_text("stop requested\n", encoding="utf-8")
    pid_file = state_dir / "phantom.pid"
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text(encoding="utf-8").strip())
            os.kill(pid, signal.SIGTERM)
            console.print(f"sent SIGTERM to phantom run (pid {pid})")
            return
        except (ValueError, ProcessLookupError, PermissionError):
            pass
    console.print("no running phantom run found; a STOP request was left for the next one")


@ledger_app.command("verify")
def ledger_verify(
    session: Annotated[str | None, typer.Option(help="Session id (default: the latest)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Verify every session")] = False,
    set_: SetOpt = None,
) -> None:
    """Check the ledger's invariants; exit non-zero naming the broken one."""
    from phantom.app.session import SessionError, all_sessions, load_session
    from phantom.portfolio.ledger import Ledger

    settings = _settings(set_)
    try:
        sessions = (
            all_sessions(settings.state_dir)
            if all_
            else [load_session(settings.state_dir, session)]
        )
    except SessionError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    failed = False
    for sess in sessions:
        ledger = Ledger(sess.ledger_path)
        try:
            report = ledger.verify()
        finally:
            ledger.close()
        if report.ok:
            console.print(f"session {sess.session_id}: ledger OK ({report.summary_line()})")
        else:
            failed = True
            for problem in report.problems:
                err.print(
                    f"session {sess.session_id}: [red]BROKEN {problem.invariant}[/red]: "
                    f"{problem.detail}"
                )
    raise typer.Exit(1 if failed else 0)


@ledger_app.command("show")
def ledger_show(
    session: Annotated[str | None, typer.Option(help="Session id (default: the latest)")] = None,
    set_: SetOpt = None,
) -> None:
    """Show the vaults: balances, positions and PnL."""
    from phantom.app.session import SessionError, load_session
    from phantom.portfolio.ledger import Ledger

    settings = _settings(set_)
    try:
        sess = load_session(settings.state_dir, session)
    except SessionError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    ledger = Ledger(sess.ledger_path)
    try:
        for engine in ledger.engines():
            console.print(ledger.summary(engine).render())
    finally:
        ledger.close()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
