"""Where the golden files live, and how they are (re)made.

Regenerate (only when a behaviour change is intended, and say so in the commit):
``.venv/bin/python tests/perf_golden/regenerate.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .backtest_runs import (
    CANDLES,
    FIXTURES,
    fills_digest,
    fills_record,
    fixture_spec,
    run,
    walk_spec,
)
from .paper_scenarios import paper_golden
from .serialize import dumps

GOLDEN = Path(__file__).resolve().parent / "golden"
CANDLES_DIR = "<tests/fixtures/candles>"


def portable(summary: str) -> str:
    """``summary.json`` with the checkout's absolute fixture folder replaced by a placeholder."""
    return summary.replace(str(CANDLES), CANDLES_DIR)


def stem(fixture: str) -> str:
    return fixture.removesuffix(".feather")


def expected_files() -> dict[str, str]:
    """Every golden file's name and content, computed by the code as it is now."""
    files: dict[str, str] = {"paper_fills.json": dumps(paper_golden())}
    for fixture in FIXTURES:
        summary, fills = run(fixture_spec(fixture))
        files[f"summary_{stem(fixture)}.json"] = portable(summary)
        files[f"fills_{stem(fixture)}.json"] = dumps(fills_record(fills))
    summary, fills = run(walk_spec())
    files["summary_walk.json"] = summary
    files["fills_walk_digest.json"] = dumps(fills_digest(fills))
    return files


def read(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


def write_all() -> list[str]:
    GOLDEN.mkdir(exist_ok=True)
    written = []
    for name, text in expected_files().items():
        (GOLDEN / name).write_text(text, encoding="utf-8")
        written.append(name)
    return written


def first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    """Where two JSON values first differ (for a readable failure)."""
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only on one side"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        for k, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{k}]")
            if found:
                return found
        return None if len(a) == len(b) else f"{path}: length {len(a)} != {len(b)}"
    return None if a == b else f"{path}: {a!r} != {b!r}"
