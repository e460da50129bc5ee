"""The embedded funding prints: real Binance 8-hour rates around the FTX crash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from phantom.market.replay.funding import FUNDING_FILE, FUNDING_INTERVAL_S, load_funding
from phantom.market.replay.make_sample import FUNDING_SOURCE, make_funding_sample
from phantom.market.replay.path import PathError


def _ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_prints_cover_the_sample_month_with_a_week_of_history() -> None:
    prints = load_funding()
    assert sorted(prints) == ["BTC", "ETH"]
    for p in prints.values():
        assert len(p) == 112 and p.interval_s == FUNDING_INTERVAL_S
        assert p.ts[0] == _ts(2022, 10, 25) and p.ts[-1] == _ts(2022, 12, 1)
        assert np.all(np.diff(p.ts) == 8 * 3600)
        assert np.all(np.abs(p.rate) < 0.01)
    eth, btc = prints["ETH"], prints["BTC"]
    crash = eth.between(_ts(2022, 11, 10), _ts(2022, 11, 10))
    assert crash == [(_ts(2022, 11, 10), -0.00060149)]  # shorts were paid to hold ETH
    assert btc.between(_ts(2022, 11, 10), _ts(2022, 11, 10))[0][1] == -0.00119172
    assert len(eth.between(_ts(2022, 11, 2), _ts(2022, 11, 2, 16))) == 3
    assert FUNDING_FILE.stat().st_size < 10_000


def test_provenance_records_the_funding_sample() -> None:
    provenance = (FUNDING_FILE.parent / "PROVENANCE.md").read_text()
    assert hashlib.sha256(FUNDING_FILE.read_bytes()).hexdigest() in provenance
    assert FUNDING_FILE.name in provenance


@pytest.mark.skipif(not FUNDING_SOURCE.is_dir(), reason="the shared data is not present")
def test_make_funding_sample_reproduces_the_embedded_file(tmp_path: Path) -> None:
    report = make_funding_sample(out=tmp_path / "funding.npz")
    assert report.rows == 112
    assert (tmp_path / "funding.npz").read_bytes() == FUNDING_FILE.read_bytes()


def test_a_broken_funding_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, ts=np.array([2, 1]), symbols=np.array(["ETH"]), ETH_rate=np.zeros(2))
    with pytest.raises(PathError, match="strictly increasing"):
        load_funding(bad)
    with pytest.raises(PathError, match="not found"):
        load_funding(tmp_path / "missing.npz")
