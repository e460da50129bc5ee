"""Ready-made backtests of the scalp and LST engines with their realism defaults.

- scalp: meme-token realism — a thin venue (``liquidity_usd``) and a high volatility multiplier
  of the paper model's slippage.
- lst: the traded instrument is the ratio of two candle files (``lst=`` over ``underlying=``,
  e.g. WBETH/USDT over ETH/USDT gives WBETH/ETH); the account currency is the underlying, so
  every ``*_usd`` figure of the summary is in underlying tokens; an LST pool is a stable pair,
  so the base slippage is far below a volatile pair's.

Each writes the reports to ``out_dir`` and returns ``summary.json``'s content; the engines' own
figures (per pod; per entry with its discount, holding time and exit reason) are under each
mode's ``engine_figures``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from phantom.backtest.api import run_backtest
from phantom.backtest.report import write_reports
from phantom.backtest.spec import BacktestSpec, Mode, default_realism
from phantom.execution.params import RealismParams

DAY_END = 86_400 - 1


def when(raw: str | None, end: bool = False) -> float | None:
    """An ISO date or date-time (UTC unless it says otherwise) as epoch seconds; a bare date as
    ``end`` means the last second of that day."""
    if raw is None:
        return None
    dt = datetime.fromisoformat(raw)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    ts = dt.timestamp()
    return ts + DAY_END if end and len(raw.strip()) == 10 else ts


def _finish(spec: BacktestSpec, out_dir: Path, charts: bool) -> dict[str, Any]:
    result = run_backtest(spec)
    write_reports(result, out_dir, charts=charts)
    summary: dict[str, Any] = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    return summary


SCALP_LIQUIDITY_USD = Decimal(250_000)
SCALP_VOLATILITY_MULTIPLIER = 6.0


def scalp_spec(
    price: Path,
    start: float | None,
    end: float | None,
    seed: int,
    modes: tuple[Mode, ...],
    *,
    params: Mapping[str, str] | None = None,
    liquidity_usd: Decimal = SCALP_LIQUIDITY_USD,
    volatility_multiplier: float = SCALP_VOLATILITY_MULTIPLIER,
    initial_usd: Decimal = Decimal(10_000),
    fee_pct: Decimal = Decimal("0.1"),
    realism: RealismParams | None = None,
) -> BacktestSpec:
    """The scalp engine's backtest with meme realism (thin venue, high volatility multiplier)."""
    base = realism or default_realism()
    return BacktestSpec(
        engine="scalp",
        data={"price": Path(price)},
        params=dict(params or {}),
        modes=modes,
        start=start,
        end=end,
        seed=seed,
        realism=replace(base, slippage_volatility_multiplier=volatility_multiplier),
        fee_pct=fee_pct,
        liquidity_usd=liquidity_usd,
        initial_usd=initial_usd,
    )


def run_scalp_backtest(
    price: Path,
    start: str | None,
    end: str | None,
    seed: int,
    out_dir: Path,
    naive: bool = False,
    *,
    params: Mapping[str, str] | None = None,
    charts: bool = False,
) -> dict[str, Any]:
    """Backtest the scalp engine on the candles at ``price`` (``naive``: also the naive mode)."""
    modes = (Mode.REALISTIC, Mode.NAIVE) if naive else (Mode.REALISTIC,)
    spec = scalp_spec(price, when(start), when(end, end=True), seed, modes, params=params)
    return _finish(spec, out_dir, charts)


LST_INITIAL = Decimal(10)  # underlying tokens
LST_LIQUIDITY = Decimal(20_000)  # underlying tokens of pool depth
LST_SLIPPAGE_BASE_PCT = 0.05  # a stable pair


def lst_spec(
    lst: Path,
    underlying: Path,
    start: float | None,
    end: float | None,
    seed: int,
    modes: tuple[Mode, ...],
    *,
    params: Mapping[str, str] | None = None,
    initial: Decimal = LST_INITIAL,
    liquidity: Decimal = LST_LIQUIDITY,
    native_in_underlying: Decimal = Decimal("0.08"),
    slippage_base_pct: float = LST_SLIPPAGE_BASE_PCT,
    realism: RealismParams | None = None,
) -> BacktestSpec:
    """The LST engine's backtest on the ratio ``lst`` / ``underlying``. ``initial`` and
    ``liquidity`` are in underlying tokens; ``native_in_underlying`` is the gas token's price in
    underlying tokens; the venue fee is the engine's ``fee_bps``."""
    given = dict(params or {})
    return BacktestSpec(
        engine="lst",
        data={"lst": Path(lst), "underlying": Path(underlying)},
        params=given,
        modes=modes,
        start=start,
        end=end,
        seed=seed,
        realism=replace(realism or default_realism(), slippage_base_pct=slippage_base_pct),
        fee_pct=Decimal(given.get("fee_bps", "10")) / 100,
        liquidity_usd=liquidity,
        initial_usd=initial,
        gas_buffer_usd=initial / 1000,
        native_usd=native_in_underlying,
    )


def run_lst_backtest(
    lst: Path,
    underlying: Path,
    start: str | None,
    end: str | None,
    seed: int,
    out_dir: Path,
    *,
    params: Mapping[str, str] | None = None,
    naive: bool = False,
    charts: bool = False,
) -> dict[str, Any]:
    """Backtest the LST engine on the ratio ``lst`` / ``underlying`` (``naive``: also naive)."""
    modes = (Mode.REALISTIC, Mode.NAIVE) if naive else (Mode.REALISTIC,)
    spec = lst_spec(lst, underlying, when(start), when(end, end=True), seed, modes, params=params)
    summary = _finish(spec, out_dir, charts)
    summary["account_currency"] = spec_quote(summary)
    (out_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return summary


def spec_quote(summary: Mapping[str, Any]) -> str:
    symbol = str(summary.get("data", {}).get("symbol", "/"))
    return symbol.split("/")[-1]
