"""``make bench``: run every benchmark and write docs/benchmarks.md with the machine and date."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

from bench import amm_pathfinder, backtest_speed, backtesters, evm_latency, solana_latency

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"

# (benchmark key, label, target in microseconds or None, unit)
# targets per suite: (label, target) by result key
PATH_TARGETS: dict[str, tuple[str, float | None]] = {
    "full_scan_us": ("arbitrage full scan, 5,000 CP pools / 1,000 tokens, optimal sizing", 1000.0),
    "rescore_us": ("re-score after one pool update", 50.0),
}
EVM_TARGETS: dict[str, tuple[str, float | None]] = {
    "signal_to_sent_median_ms": ("signal → signed transaction sent, median", 5.0),
    "signal_to_sent_p99_ms": ("signal → signed transaction sent, p99", 10.0),
}
SOLANA_LABELS: dict[str, tuple[str, float | None]] = {
    "signal_to_sent_median_ms": ("signal → signed bundle sent, median", None),
    "signal_to_sent_p99_ms": ("signal → signed bundle sent, p99", None),
}


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _machine() -> str:
    return (
        f"{_cpu()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]}"
    )


def main() -> None:
    Targets = dict[str, tuple[str, float | None]]
    suites: list[tuple[str, Callable[[], dict[str, float]], Targets]] = [
        (
            "AMM path finder (for reference: networkx negative-cycle detection alone ~3.6 ms)",
            amm_pathfinder.run,
            PATH_TARGETS,
        ),
        ("EVM devnet latency (anvil, real Uniswap V2 + PhantomArb)", evm_latency.run, EVM_TARGETS),
        (
            "Backtester on 1M bars, SMA 10/50 (median of 3; compiled_*: the mypyc build of "
            "bench/compiled.py; target ≥ 1M bars/s realistic)",
            backtest_speed.run,
            {},
        ),
        (
            "Solana local world latency (LiteSVM, Jito bundles; no numeric target)",
            solana_latency.run,
            SOLANA_LABELS,
        ),
    ]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run_all.py).",
        "Targets are checked here, never in unit tests.",
        "",
        f"- date: {now}",
        f"- machine: {_machine()}",
        "",
    ]
    for title, fn, targets in suites:
        print(f"running {title} ...", flush=True)
        results = fn()
        lines += [f"## {title}", "", "| measure | value | target | met |", "|---|---|---|---|"]
        for key, value in results.items():
            label, target = targets.get(key, (key, None))
            if key.endswith("_us"):
                shown = f"{value:,.1f} µs"
            elif key.endswith(("_s", "_ms")) and not key.endswith("_per_s"):
                shown = f"{value:,.3f} {key.rsplit('_', 1)[1]}"
            else:
                shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}"
            if target is None:
                lines.append(f"| {label} | {shown} | | |")
            else:
                met = "yes" if value <= target else "no"
                unit = "ms" if key.endswith("_ms") else "µs"
                lines.append(f"| {label} | {shown} | ≤ {target:,.0f} {unit} | {met} |")
        lines.append("")
    if "--no-race" not in sys.argv:
        print("running the backtester speed race (about 10 minutes) ...", flush=True)
        lines += [backtesters.section(backtesters.results()), ""]
    notes = Path(__file__).resolve().parent / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text(encoding="utf-8").strip(), ""]
    DOC.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
