"""Golden tests: the paper client and the backtester give the very same results, bit for bit,
as when the golden files were written (they pin behaviour while the hot paths are optimised)."""

from __future__ import annotations

import json

import pytest

from .backtest_runs import FIXTURES, fills_digest, fills_record, fixture_spec, run, walk_spec
from .golden import first_difference, portable, read, stem
from .paper_scenarios import paper_golden
from .serialize import dumps


def _same(name: str, actual: str) -> None:
    expected = read(name)
    if actual != expected:
        where = first_difference(json.loads(actual), json.loads(expected))
        pytest.fail(f"{name} changed: {where or 'formatting only'}")


def test_paper_client_fills_are_unchanged() -> None:
    _same("paper_fills.json", dumps(paper_golden()))


def test_paper_client_is_deterministic_in_process() -> None:
    assert dumps(paper_golden()) == dumps(paper_golden())


@pytest.mark.parametrize("fixture", FIXTURES)
def test_backtest_summary_and_fills_are_unchanged(fixture: str) -> None:
    summary, fills = run(fixture_spec(fixture))
    _same(f"summary_{stem(fixture)}.json", portable(summary))
    _same(f"fills_{stem(fixture)}.json", dumps(fills_record(fills)))


def test_benchmark_settings_walk_is_unchanged() -> None:
    summary, fills = run(walk_spec())
    _same("summary_walk.json", summary)
    _same("fills_walk_digest.json", dumps(fills_digest(fills)))
