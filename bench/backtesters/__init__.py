"""The backtester speed race: one SMA(10)/SMA(50) long/flat strategy with a 0.1 % fee on
1,000,000 one-minute bars through phantom, backtrader, backtesting.py, vectorbt, NautilusTrader
and a bare Python loop (method and results: bench/NOTES.md; data and rules: ``_common.py``).

The other tools run in bench-only virtual environments (``bench/backtesters/setup_envs.sh``);
a tool whose environment is missing is listed as not installed, never installed from here.
Each runner is started ``repeats`` times in a fresh process; the table shows the median wall
time, the bars per second at that median, the largest peak RSS and the trade count (which must
be the same in every repeat and, for every tool but phantom's realistic mode, across tools).

``python -m bench.backtesters [--bars N] [--repeats 3] [--tools a,b]`` prints the table.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.backtesters import _common

HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".venvs"
TIMEOUT_S = 1800


@dataclass(frozen=True)
class Tool:
    key: str
    script: str
    venv: str | None  # bench/.venvs/<venv>; None: this interpreter (the project's)
    args: tuple[str, ...] = ()
    compiled: bool = False  # phantom's mypyc-compiled build (bench/compiled.py) on PYTHONPATH

    def python(self) -> Path:
        return Path(sys.executable) if self.venv is None else VENVS / self.venv / "bin" / "python"


TOOLS: tuple[Tool, ...] = (
    Tool("phantom_realistic", "phantom_runner.py", None, ("--mode", "realistic")),
    Tool("phantom_naive", "phantom_runner.py", None, ("--mode", "naive")),
    Tool("phantom_realistic_compiled", "phantom_runner.py", None, ("--mode", "realistic"), True),
    Tool("phantom_naive_compiled", "phantom_runner.py", None, ("--mode", "naive"), True),
    Tool("bare_python", "run_bare.py", None),
    Tool("vectorbt", "run_vectorbt.py", "vectorbt"),
    Tool("backtesting_py", "run_backtesting.py", "backtesting"),
    Tool("backtrader", "run_backtrader.py", "backtrader"),
    Tool("nautilus_trader", "run_nautilus.py", "nautilus"),
)

_last: list[dict[str, Any]] = []


def _compiled_env() -> dict[str, str] | str:
    """The environment of a compiled-build run, or why there is none."""
    from bench.compiled import BuildUnavailable, build

    try:
        tree = build()
    except BuildUnavailable as exc:
        return f"compiled build unavailable: {exc}"
    return {**os.environ, "PYTHONPATH": str(tree)}


def run_tool(tool: Tool, data: Path, bars: int, repeats: int) -> dict[str, Any]:
    """``repeats`` fresh-process runs of one tool, summarised."""
    python = tool.python()
    if not python.exists():
        return {"key": tool.key, "tool": tool.key, "error": "not installed (setup_envs.sh)"}
    env: dict[str, str] | None = None
    if tool.compiled:
        found = _compiled_env()
        if isinstance(found, str):
            return {"key": tool.key, "tool": tool.key, "error": found}
        env = found
    runs: list[dict[str, Any]] = []
    for _ in range(repeats):
        cmd = [str(python), str(HERE / tool.script), "--data", str(data), "--bars", str(bars)]
        proc = subprocess.run(
            [*cmd, *tool.args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            cwd=HERE.parent.parent,
            check=False,
            env=env,
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {"key": tool.key, "tool": tool.key, "error": " | ".join(tail)[:300]}
        runs.append(json.loads(lines[-1]))
    walls = [r["wall_s"] for r in runs]
    trades = {r["trades"] for r in runs}
    summary = dict(runs[0])
    summary.update(
        key=tool.key,
        wall_s=statistics.median(walls),
        walls=walls,
        bars_per_s=bars / statistics.median(walls),
        peak_rss_mb=max(r["peak_rss_mb"] for r in runs),
        trades=runs[0]["trades"] if len(trades) == 1 else f"varies {sorted(trades)}",
    )
    return summary


def results(
    bars: int = _common.BARS, repeats: int = 3, tools: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Run the race and check that every tool read the same data and agrees on the trades."""
    chosen = [t for t in TOOLS if tools is None or t.key in tools]
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="phantom-race-") as tmp:
        data = _common.save(Path(tmp) / "bars.npy", bars)
        for tool in chosen:
            print(f"  race: {tool.key} x{repeats} ...", file=sys.stderr, flush=True)
            out.append(run_tool(tool, data, bars, repeats))
    reference = {
        r["trades"]
        for r in out
        if "error" not in r and not r["key"].startswith("phantom_realistic")
    }
    shas = {r["data_sha"] for r in out if "error" not in r}
    for r in out:
        if "error" in r:
            continue
        r["agrees"] = r["trades"] in reference and len(reference) == 1
        r["same_data"] = len(shas) == 1
    _check_compiled(out)
    _last[:] = out
    return out


def _check_compiled(rows: list[dict[str, Any]]) -> None:
    """The compiled build must give what the interpreted source gives, trade for trade."""
    by_key = {r["key"]: r for r in rows if "error" not in r}
    for mode in ("realistic", "naive"):
        plain, fast = by_key.get(f"phantom_{mode}"), by_key.get(f"phantom_{mode}_compiled")
        if plain is None or fast is None:
            continue
        same = (plain["trades"], plain["final_equity"]) == (fast["trades"], fast["final_equity"])
        if not same:
            raise RuntimeError(f"phantom {mode}: the compiled build differs from the source")


def run() -> dict[str, float]:
    """Flat figures for bench/run_all.py: ``<tool>_bars_per_s``, ``_wall_s``, ``_peak_rss_mb``,
    ``_trades`` (tools that failed or are not installed are left out; see :func:`table`)."""
    flat: dict[str, float] = {}
    for r in results():
        if "error" in r or not isinstance(r["trades"], int):
            continue
        flat[f"{r['key']}_bars_per_s"] = float(r["bars_per_s"])
        flat[f"{r['key']}_wall_s"] = float(r["wall_s"])
        flat[f"{r['key']}_peak_rss_mb"] = float(r["peak_rss_mb"])
        flat[f"{r['key']}_trades"] = float(r["trades"])
    return flat


def table(rows: list[dict[str, Any]] | None = None) -> str:
    """A markdown table of ``rows`` (default: the last :func:`results`, run now if none)."""
    rows = rows if rows is not None else (_last or results())
    lines = [
        "| tool | version | wall s (median) | bars/s | peak RSS MB | trades | agrees |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['tool']} | | | | | | {r['error']} |")
            continue
        extra = f" (warm; JIT {r['warmup_s']:.1f} s)" if "warmup_s" in r else ""
        agrees = "yes" if r.get("agrees") else "no"
        if r["key"].startswith("phantom_realistic"):
            agrees = f"{agrees}: modelled failures (crossovers {r.get('crossovers')})"
        lines.append(
            f"| {r['tool']}{extra} | {r['version']} | {r['wall_s']:.3f} | "
            f"{r['bars_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} | {r['trades']} | {agrees} |"
        )
    return "\n".join(lines)


TARGET_BARS_PER_S = 1_000_000.0
TARGET_RSS_MB = 512.0


def section(rows: list[dict[str, Any]] | None = None) -> str:
    """A markdown section for docs/benchmarks.md: the table and phantom's targets."""
    rows = rows if rows is not None else (_last or results())
    lines = [
        "## Backtester speed race (SMA 10/50, 0.1 % fee, 1,000,000 one-minute bars)",
        "",
        table(rows),
        "",
    ]
    for r in rows:
        if r["key"].startswith("phantom") and "error" not in r:
            fast = r["bars_per_s"] >= TARGET_BARS_PER_S
            small = r["peak_rss_mb"] <= TARGET_RSS_MB
            lines.append(
                f"- {r['tool']}: {r['bars_per_s']:,.0f} bars/s (target ≥ 1,000,000: "
                f"{'met' if fast else 'not met'}), peak RSS {r['peak_rss_mb']:,.0f} MB "
                f"(target ≤ 512: {'met' if small else 'not met'})"
            )
    lines.append("")
    lines.append("Method, versions and semantics: see the notes below (bench/NOTES.md).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.backtesters")
    parser.add_argument("--bars", type=int, default=_common.BARS)
    parser.add_argument("--repeats", type=int, default=3)
    keys = ",".join(t.key for t in TOOLS)
    parser.add_argument("--tools", default=None, help=f"comma list of {keys}")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    tools = tuple(args.tools.split(",")) if args.tools else None
    rows = results(args.bars, args.repeats, tools)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(rows))
