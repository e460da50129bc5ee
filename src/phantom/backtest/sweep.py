"""Parameter sweeps: one backtest per point of a grid, in parallel, in a deterministic order.

``--sweep 'fast=5:30:5,slow=40:200:20'`` is a comma-separated list of ``NAME=VALUES`` where
``VALUES`` is ``START:STOP:STEP`` (STOP included when the steps land on it), ``START:STOP``
(step 1), a list ``A|B|C`` or one value. Numbers may be integers or decimals; a value that is
not a number is an error naming the parameter. The grid is the product of the lists, the last
parameter varying fastest.

Each point is the base :class:`~phantom.backtest.spec.BacktestSpec` with the point's values
merged into its engine parameters, run by :func:`~phantom.backtest.api.run_backtest`. Points run
on local processes (``concurrent.futures.ProcessPoolExecutor``) or, with ``ray_address``, as
Ray tasks on a cluster; Ray is an optional dependency imported only then. A point the engine
refuses (e.g. ``fast >= slow``) is a row with its error, not a failed sweep. Rows come back in
grid order whatever order the workers finish in, so ``sweep.csv`` is the same for the same
inputs.
"""

from __future__ import annotations

import csv
import importlib
import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from phantom.backtest.spec import BacktestSpec

MAX_POINTS = 100_000
ROW_FIELDS = (
    "trades",
    "win_rate_pct",
    "total_return_pct",
    "annualized_return_pct",
    "max_drawdown_pct",
    "sharpe",
    "sortino",
    "exposure_pct",
    "costs_total_usd",
    "final_equity_usd",
)
RAY_MISSING = (
    "--ray needs Ray, which is not installed: pip install 'ray>=2.9' "
    "(or install phantom with its 'ray' extra). Without --ray the sweep runs on local processes."
)


class SweepError(ValueError):
    """A malformed ``--sweep`` spec, or a sweep that cannot run (e.g. Ray missing)."""


Grid = dict[str, list[str]]


def _number(name: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise SweepError(f"--sweep {name}: {raw.strip()!r} is not a number") from None
    if not value.is_finite():
        raise SweepError(f"--sweep {name}: {raw.strip()!r} is not a finite number")
    return value


def _text(value: Decimal) -> str:
    """``5`` for an integral value, else the plain decimal (``0.25``), never an exponent."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"


def _values(name: str, raw: str) -> list[str]:
    if not raw.strip():
        raise SweepError(f"--sweep {name}: no values (expected START:STOP:STEP, A|B|C or one)")
    if "|" in raw:
        return [_text(_number(name, part)) for part in raw.split("|")]
    parts = raw.split(":")
    if len(parts) == 1:
        return [_text(_number(name, parts[0]))]
    if len(parts) > 3:
        raise SweepError(f"--sweep {name}: {raw!r} has too many ':' (START:STOP:STEP)")
    start, stop = _number(name, parts[0]), _number(name, parts[1])
    step = _number(name, parts[2]) if len(parts) == 3 else Decimal(1)
    if step <= 0:
        raise SweepError(f"--sweep {name}: step must be > 0, got {_text(step)}")
    if stop < start:
        raise SweepError(f"--sweep {name}: stop {_text(stop)} is below start {_text(start)}")
    count = int((stop - start) / step) + 1
    if count > MAX_POINTS:
        raise SweepError(f"--sweep {name}: {count} values (at most {MAX_POINTS})")
    return [_text(start + i * step) for i in range(count)]


def parse_grid(spec: str) -> Grid:
    """Parse ``NAME=VALUES[,NAME=VALUES...]``; raises :class:`SweepError` naming the problem."""
    if not spec or not spec.strip():
        raise SweepError("--sweep: empty (expected e.g. 'fast=5:30:5,slow=40:200:20')")
    grid: Grid = {}
    for item in spec.split(","):
        if "=" not in item:
            raise SweepError(f"--sweep: {item.strip()!r} is not NAME=VALUES")
        name, raw = (s.strip() for s in item.split("=", 1))
        if not name:
            raise SweepError(f"--sweep: {item.strip()!r} has no parameter name")
        if name in grid:
            raise SweepError(f"--sweep: parameter {name} given twice")
        values = _values(name, raw)
        if len(set(values)) != len(values):
            raise SweepError(f"--sweep {name}: repeated values {values}")
        grid[name] = values
    size = 1
    for values in grid.values():
        size *= len(values)
    if size > MAX_POINTS:
        raise SweepError(f"--sweep: {size} points (at most {MAX_POINTS})")
    return grid


def points(grid: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """Every point of the grid, in order (the last parameter varies fastest)."""
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def point_spec(base: BacktestSpec, point: Mapping[str, str]) -> BacktestSpec:
    return replace(base, params={**base.params, **point})


def run_point(spec: BacktestSpec) -> list[dict[str, Any]]:
    """One backtest; a row per mode (or one row with the error). Runs in a worker process."""
    from phantom.backtest.api import run_backtest

    try:
        result = run_backtest(spec)
    except (ValueError, OSError) as exc:  # EngineConfigError, DataError, bad params
        return [{"mode": "-", "error": str(exc)}]
    rows = []
    for mode, run in result.runs.items():
        m = run.metrics
        dd = m.max_drawdown
        row: dict[str, Any] = {
            "mode": mode.value,
            "trades": m.trades,
            "win_rate_pct": m.win_rate_pct,
            "total_return_pct": m.total_return_pct,
            "annualized_return_pct": m.annualized_return_pct,
            "max_drawdown_pct": dd.depth_pct if dd is not None else 0.0,
            "sharpe": m.sharpe,
            "sortino": m.sortino,
            "exposure_pct": m.exposure_pct,
            "costs_total_usd": m.costs_total_usd,
            "final_equity_usd": m.final_equity_usd,
            "error": "",
        }
        rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class SweepResult:
    grid: Grid
    rows: list[dict[str, Any]]  # one per (point, mode), grid order; params first
    csv_path: Path | None

    @property
    def columns(self) -> list[str]:
        return [*self.grid, "mode", *ROW_FIELDS, "error"]


Progress = Callable[[int, int], None]  # (done, total)


def _local(specs: list[BacktestSpec], workers: int, tick: Progress) -> Iterator[tuple[int, Any]]:
    if workers == 1:
        for i, spec in enumerate(specs):
            yield i, run_point(spec)
            tick(i + 1, len(specs))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures: dict[Future[list[dict[str, Any]]], int] = {
            pool.submit(run_point, spec): i for i, spec in enumerate(specs)
        }
        for done, fut in enumerate(as_completed(futures), start=1):
            yield futures[fut], fut.result()
            tick(done, len(specs))


def import_ray() -> Any:
    """Ray, imported only when asked for; a clear error when it is not installed."""
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise SweepError(RAY_MISSING) from None


def _ray(specs: list[BacktestSpec], address: str, tick: Progress) -> Iterator[tuple[int, Any]]:
    ray = import_ray()
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    remote = ray.remote(run_point)
    refs = [remote.remote(spec) for spec in specs]
    index = {ref: i for i, ref in enumerate(refs)}
    pending = list(refs)
    done = 0
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        for ref in ready:
            done += 1
            yield index[ref], ray.get(ref)
            tick(done, len(specs))


def run_sweep(
    base: BacktestSpec,
    sweep: str | Grid,
    out_dir: Path | None = None,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run every point of ``sweep`` over ``base``; write ``out_dir/sweep.csv`` if given.

    ``workers``: local processes (default: the CPU count, at most the number of points; 1 runs
    in this process). ``ray_address``: run on that Ray cluster instead (``auto`` for the local
    one, ``ray://host:10001`` for a remote head)."""
    grid = parse_grid(sweep) if isinstance(sweep, str) else dict(sweep)
    pts = points(grid)
    specs = [point_spec(base, p) for p in pts]
    if ray_address is not None:
        import_ray()  # fail before any work when Ray is missing
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(specs)))
    results: list[list[dict[str, Any]] | None] = [None] * len(specs)
    with _ProgressBar(progress, len(specs)) as tick:
        stream = (
            _ray(specs, ray_address, tick)
            if ray_address is not None
            else _local(specs, n_workers, tick)
        )
        for i, rows in stream:
            results[i] = rows
    out_rows: list[dict[str, Any]] = []
    for point, rows in zip(pts, results, strict=True):
        assert rows is not None
        for row in rows:
            out_rows.append({**point, **{k: row.get(k) for k in ("mode", *ROW_FIELDS, "error")}})
    result = SweepResult(grid, out_rows, None)
    if out_dir is not None:
        result = replace(result, csv_path=write_csv(result, out_dir / "sweep.csv"))
    return result


class _ProgressBar:
    """A rich progress bar on stderr (or nothing) that yields a ``tick(done, total)``."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if not self.enabled:
            return lambda done, total: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._progress.start()
        self._task = self._progress.add_task("sweep", total=self.total)

        def tick(done: int, total: int) -> None:
            self._progress.update(self._task, completed=done)

        return tick

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def write_csv(result: SweepResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow([_cell(row.get(c)) for c in result.columns])
    return path


def format_table(result: SweepResult, limit: int | None = None) -> str:
    """The rows as a plain text table (grid order; ``limit`` rows at most)."""
    shown = ["mode", "trades", "win_rate_pct", "total_return_pct", "max_drawdown_pct", "sharpe"]
    cols = [*result.grid, *shown, "error"]
    rows = result.rows if limit is None else result.rows[:limit]
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    if limit is not None and len(result.rows) > limit:
        lines.append(f"... {len(result.rows) - limit} more rows in sweep.csv")
    return "\n".join(lines)
