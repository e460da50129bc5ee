"""``phantom backtest``: run an engine over recorded data, realistic and/or naive, and report.

The lead mounts :func:`backtest` on the main app (``app.command("backtest")(backtest)``);
:data:`backtest_app` runs it on its own (``python -c "from phantom.app.cli_backtest import
backtest_app; backtest_app()" --engine sma ...``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from phantom.app import wiring
from phantom.app.settings import SettingsError, load_settings
from phantom.backtest.data import GapPolicy
from phantom.backtest.engine_runs import (
    LST_INITIAL,
    LST_LIQUIDITY,
    SCALP_LIQUIDITY_USD,
    lst_spec,
    scalp_spec,
)
from phantom.backtest.errors import DataError
from phantom.backtest.registry import ENGINES, EngineConfigError
from phantom.backtest.spec import SOL, BacktestResult, BacktestSpec, Mode

console = Console()
err = Console(stderr=True)

DAY_END = 86_400 - 1e-6

ENGINE_HELP = "Engine to run: " + "; ".join(
    f"{e.name} (data: {', '.join(f'{r}=' for r in e.roles)}; params: "
    f"{', '.join(f'{p.name}={p.default}' for p in e.params)})"
    for e in ENGINES.values()
)


class UsageError(ValueError):
    """A bad command-line value, named."""


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UsageError(f"{option} expects NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        if not name.strip() or not value.strip():
            raise UsageError(f"{option} expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def parse_date(raw: str | None, option: str, end: bool = False) -> float | None:
    """An ISO date or date-time, UTC unless it says otherwise. A bare date given to ``--to``
    means the end of that day (both ends are included)."""
    if raw is None:
        return None
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"{option}: expected an ISO date like 2022-11-01, got {raw!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    ts = dt.timestamp()
    if end and len(raw.strip()) == 10:
        ts += DAY_END
    return ts


def parse_decimal(raw: str | None, option: str, positive: bool = True) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise UsageError(f"{option}: expected a number, got {raw!r}") from None
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise UsageError(f"{option}: must be {'> 0' if positive else '>= 0'}, got {raw!r}")
    return value


def build_spec(
    *,
    engine: str,
    data: list[str],
    from_: str | None,
    to: str | None,
    seed: int | None,
    naive: bool,
    compare: bool,
    params: list[str] | None,
    fee_pct: str,
    liquidity_usd: str | None,
    initial_usd: str | None,
    max_trade_usd: str | None,
    gaps: GapPolicy,
    fill_gaps: bool,
    symbol: str | None,
    settings_overrides: list[str] | None,
) -> BacktestSpec:
    if naive and compare:
        raise UsageError("--naive and --compare exclude each other")
    overrides: dict[str, Any] = {
        k.lower(): v for k, v in parse_pairs(settings_overrides, "--set").items()
    }
    if seed is not None:
        overrides["seed"] = seed
    settings = load_settings(overrides)
    roles = parse_pairs(data, "--data")
    if not roles:
        raise UsageError("--data ROLE=PATH is required (e.g. --data price=SOL_USDT-1h.feather)")
    modes = (
        (Mode.NAIVE,) if naive else (Mode.REALISTIC, Mode.NAIVE) if compare else (Mode.REALISTIC,)
    )
    realism = wiring.realism_params(settings, SOL)
    start, end = parse_date(from_, "--from"), parse_date(to, "--to", end=True)
    given_params = parse_pairs(params, "--param")
    if engine == "scalp":
        if "price" not in roles:
            raise UsageError("engine scalp needs --data price=PATH")
        return scalp_spec(
            Path(roles["price"]),
            start,
            end,
            settings.seed,
            modes,
            params=given_params,
            liquidity_usd=parse_decimal(liquidity_usd, "--liquidity-usd") or SCALP_LIQUIDITY_USD,
            initial_usd=parse_decimal(initial_usd, "--initial-usd") or Decimal(10_000),
            fee_pct=parse_decimal(fee_pct, "--fee-pct", positive=False) or Decimal(0),
            realism=realism,
        )
    if engine == "lst":
        if set(roles) != {"lst", "underlying"}:
            raise UsageError("engine lst needs --data lst=PATH --data underlying=PATH")
        return lst_spec(
            Path(roles["lst"]),
            Path(roles["underlying"]),
            start,
            end,
            settings.seed,
            modes,
            params=given_params,
            initial=parse_decimal(initial_usd, "--initial-usd") or LST_INITIAL,
            liquidity=parse_decimal(liquidity_usd, "--liquidity-usd") or LST_LIQUIDITY,
            realism=realism,
        )
    return BacktestSpec(
        engine=engine,
        data={role: Path(path) for role, path in roles.items()},
        params=given_params,
        modes=modes,
        start=start,
        end=end,
        seed=settings.seed,
        realism=realism,
        fee_pct=parse_decimal(fee_pct, "--fee-pct", positive=False) or Decimal(0),
        liquidity_usd=parse_decimal(liquidity_usd, "--liquidity-usd") or Decimal(1_000_000),
        initial_usd=parse_decimal(initial_usd, "--initial-usd") or Decimal(10_000),
        max_trade_usd=parse_decimal(max_trade_usd, "--max-trade-usd"),
        max_concurrent=settings.max_concurrent_executions,
        max_consecutive_failures=settings.max_consecutive_failures,
        failure_cooldown_s=settings.failure_cooldown_s,
        gaps=GapPolicy.FILL if fill_gaps else gaps,
        symbol=symbol,
    )


def print_result(result: BacktestResult, written: dict[str, Path], out: Path) -> None:
    runs = result.runs
    table = Table(title=f"{result.spec.engine} on {result.data_report['symbol']}")
    table.add_column("metric")
    for mode in runs:
        table.add_column(mode.value, justify="right")
    rows: list[tuple[str, Any]] = [
        ("trades", lambda m: m.trades),
        ("win rate %", lambda m: m.win_rate_pct),
        ("total return %", lambda m: m.total_return_pct),
        ("annualized %", lambda m: m.annualized_return_pct),
        ("max drawdown %", lambda m: m.max_drawdown.depth_pct if m.max_drawdown else None),
        ("sharpe (daily)", lambda m: m.sharpe),
        ("exposure %", lambda m: m.exposure_pct),
        ("costs USD", lambda m: m.costs_total_usd),
        ("final equity USD", lambda m: m.final_equity_usd),
    ]
    for label, get in rows:
        table.add_row(label, *(_fmt(get(r.metrics)) for r in runs.values()))
    console.print(table)
    first = next(iter(runs.values()))
    if first.events:
        ev_table = Table(title="known crashes in range: strategy PnL")
        ev_table.add_column("event")
        ev_table.add_column("days")
        for mode in runs:
            ev_table.add_column(f"{mode.value} USD", justify="right")
        for ev in first.events:
            cells = []
            for run in runs.values():
                match = [e for e in run.events if e.key == ev.key]
                cells.append(
                    f"{match[0].pnl_usd:+,.2f} ({match[0].pnl_pct:+.1f}%)" if match else "-"
                )
            ev_table.add_row(ev.name, f"{ev.first_day}..{ev.last_day}", *cells)
        console.print(ev_table)
    gaps = result.data_report["gaps"]
    if gaps:
        console.print(
            f"[yellow]data:[/yellow] {gaps} gap(s), {result.data_report['missing_bars']} bar(s) "
            f"missing (policy {result.data_report['gap_policy']}, "
            f"{result.data_report['filled_bars']} filled); listed in summary.json"
        )
    for mode, run in runs.items():
        console.print(
            f"{mode.value}: {len(result.candles):,} bars in {run.elapsed_s:.2f} s "
            f"({len(result.candles) / max(run.elapsed_s, 1e-9):,.0f} bars/s)"
        )
    console.print(f"outputs in {out}/: " + ", ".join(p.name for p in written.values()))


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def backtest(
    engine: Annotated[str, typer.Option(help=ENGINE_HELP)],
    data: Annotated[
        list[str], typer.Option("--data", metavar="ROLE=PATH", help="A data file per role")
    ],
    out: Annotated[Path, typer.Option(help="Directory for summary.json, report.html, PNGs")],
    from_: Annotated[
        str | None, typer.Option("--from", help="First bar (ISO date/time, UTC)")
    ] = None,
    to: Annotated[str | None, typer.Option(help="Last bar (a bare date: that whole day)")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of every random draw")] = None,
    naive: Annotated[bool, typer.Option("--naive", help="Instant full fills, no costs")] = False,
    compare: Annotated[
        bool, typer.Option("--compare", help="Run realistic and naive side by side")
    ] = False,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", metavar="NAME=VALUE", help="Engine parameter (repeatable)"),
    ] = None,
    fee_pct: Annotated[str, typer.Option(help="Venue taker fee, percent (realistic)")] = "0.1",
    liquidity_usd: Annotated[
        str | None,
        typer.Option(
            help="Venue liquidity for the dynamic slippage model, in the quote currency "
            "(default: sma 1,000,000; scalp 250,000, a thin meme pool; lst 20,000 underlying)"
        ),
    ] = None,
    initial_usd: Annotated[
        str | None,
        typer.Option(help="Starting cash in the quote currency (default 10,000; lst: 10)"),
    ] = None,
    max_trade_usd: Annotated[
        str | None, typer.Option(help="Size gate: largest order, USD (default: none)")
    ] = None,
    gaps: Annotated[
        GapPolicy, typer.Option(help="Gaps in the candles: report (keep, list), fill, error")
    ] = GapPolicy.REPORT,
    fill_gaps: Annotated[
        bool, typer.Option("--fill-gaps", help="Forward-fill gaps (same as --gaps fill)")
    ] = False,
    symbol: Annotated[
        str | None, typer.Option(help="BASE/QUOTE (default: from the file name)")
    ] = None,
    charts: Annotated[bool, typer.Option(help="Write the PNG charts")] = True,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="NAME=VALUE", help="Override a setting (realism model)"),
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option(help="Grid of parameters, e.g. 'fast=5:30:5,slow=40:200:20'"),
    ] = None,
    ray: Annotated[
        str | None, typer.Option(help="Run the sweep on this Ray cluster (needs `pip install ray`)")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Local sweep processes")] = None,
) -> None:
    """Backtest an engine on recorded data through the paper realism model (or naive fills)."""
    from phantom.backtest.api import run_backtest
    from phantom.backtest.report import write_reports

    if engine == "arb":
        _arb_replay(data, out, seed, param, naive, compare)
        return
    if engine == "funding":
        _funding(data, out, seed, from_, to, param, initial_usd, liquidity_usd, set_)
        return
    try:
        spec = build_spec(
            engine=engine,
            data=data,
            from_=from_,
            to=to,
            seed=seed,
            naive=naive,
            compare=compare,
            params=param,
            fee_pct=fee_pct,
            liquidity_usd=liquidity_usd,
            initial_usd=initial_usd,
            max_trade_usd=max_trade_usd,
            gaps=gaps,
            fill_gaps=fill_gaps,
            symbol=symbol,
            settings_overrides=set_,
        )
        if sweep is not None:
            _sweep(spec, sweep, out, workers, ray)
            return
        result = run_backtest(spec)
    except (UsageError, SettingsError, EngineConfigError, DataError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    written = write_reports(result, out, charts=charts)
    print_result(result, written, out)


def _sweep(spec: BacktestSpec, grid: str, out: Path, workers: int | None, ray: str | None) -> None:
    from phantom.backtest.sweep import format_table, run_sweep

    result = run_sweep(spec, grid, out, workers=workers, ray_address=ray)
    console.print(format_table(result, limit=50))
    console.print(f"sweep results in {out / 'sweep.csv'}")


def _arb_replay(
    data: list[str],
    out: Path,
    seed: int | None,
    params: list[str] | None,
    naive: bool,
    compare: bool,
) -> None:
    """``--engine arb --data uniswap_v3=DIR``: the arbitrage engine on recorded DEX events."""
    from phantom.backtest.dex_config import DexReplayConfig
    from phantom.backtest.dex_replay import run_dex_replay

    try:
        roles = parse_pairs(data, "--data")
        if set(roles) != {"uniswap_v3"}:
            raise UsageError(
                "engine arb takes --data uniswap_v3=DIR (a folder of *.pool.tick.csv files)"
            )
        if naive:
            raise UsageError("engine arb: use --compare to add the naive run")
        config = DexReplayConfig.from_params(parse_pairs(params, "--param"))
        run_dex_replay(Path(roles["uniswap_v3"]), out, seed or 0, config=config, compare=compare)
    except (UsageError, ValueError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def _funding(
    data: list[str],
    out: Path,
    seed: int | None,
    from_: str | None,
    to: str | None,
    params: list[str] | None,
    initial_usd: str | None,
    liquidity_usd: str | None,
    overrides: list[str] | None,
) -> None:
    """``--engine funding --data spot=... --data funding=... [--data perp=...] [--data mark=...]``:
    the delta-neutral engine with the paper perp venue (the spot legs through the realism model)."""
    from phantom.backtest.funding.run import FundingBacktestConfig, run_funding_backtest

    try:
        roles = parse_pairs(data, "--data")
        missing = {"spot", "funding"} - set(roles)
        extra = set(roles) - {"spot", "funding", "perp", "mark"}
        if missing or extra:
            raise UsageError(
                "engine funding takes --data spot=PATH --data funding=PATH "
                "[--data perp=PATH] [--data mark=PATH]"
            )
        settings = load_settings(
            {k.lower(): v for k, v in parse_pairs(overrides, "--set").items()}
            | ({"seed": seed} if seed is not None else {})
        )
        config = FundingBacktestConfig(
            initial_usd=parse_decimal(initial_usd, "--initial-usd") or Decimal(10_000),
            liquidity_usd=parse_decimal(liquidity_usd, "--liquidity-usd") or Decimal(1_000_000),
            realism=wiring.realism_params(settings, SOL),
            params=parse_pairs(params, "--param"),
        )
        summary = run_funding_backtest(
            Path(roles["spot"]),
            Path(roles["perp"]) if "perp" in roles else None,
            Path(roles["funding"]),
            Path(roles["mark"]) if "mark" in roles else None,
            parse_date(from_, "--from"),
            parse_date(to, "--to", end=True),
            settings.seed,
            out,
            config,
        )
    except (UsageError, SettingsError, DataError, ValueError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    figures = summary.get("results", summary)
    table = Table(title="funding (delta-neutral)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in sorted(figures):
        value = figures[key]
        if not isinstance(value, dict | list):
            table.add_row(key, str(value))
    console.print(table)
    console.print(f"outputs in {out}/")


backtest_app = typer.Typer(add_completion=False, help="phantom backtest")
backtest_app.command()(backtest)
