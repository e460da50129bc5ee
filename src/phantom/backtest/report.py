"""``DIR/summary.json`` (deterministic: same inputs and seed, same bytes) and ``DIR/report.html``
(self-contained: the PNG charts are embedded), plus the charts themselves."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from phantom.backtest.errors import iso
from phantom.backtest.registry import get_engine
from phantom.backtest.spec import BacktestResult

COMPARED = (
    "trades",
    "win_rate_pct",
    "total_return_pct",
    "annualized_return_pct",
    "sharpe",
    "sortino",
    "exposure_pct",
    "costs_total_usd",
    "final_equity_usd",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def effective_params(result: BacktestResult) -> dict[str, str]:
    entry = get_engine(result.spec.engine)
    given = {k: str(v) for k, v in result.spec.params.items()}
    return {p.name: given.get(p.name, p.default) for p in entry.params}


def summary(result: BacktestResult, charts: list[str] | None = None) -> dict[str, Any]:
    spec = result.spec
    realism = spec.realism
    modes: dict[str, Any] = {}
    for mode, run in result.runs.items():
        modes[mode.value] = {
            **run.metrics.as_dict(),
            "engine_stats": dict(sorted(run.engine_stats.items())),
            "engine_figures": dict(run.engine_figures),
            "crash_events": [e.as_dict() for e in run.events],
        }
    hold_final = float(result.buy_and_hold[-1])
    out: dict[str, Any] = {
        "engine": spec.engine,
        "params": effective_params(result),
        "seed": spec.seed,
        "modes": [m.value for m in result.runs],
        "data": dict(result.data_report),
        "range": {
            "from": iso(float(result.candles.ts[0])),
            "to": iso(float(result.close_ts[-1])),
        },
        "settings": {
            "initial_usd": str(spec.initial_usd),
            "fee_pct": str(spec.fee_pct),
            "liquidity_usd": str(spec.liquidity_usd),
            "max_trade_usd": None if spec.max_trade_usd is None else str(spec.max_trade_usd),
            "gas_buffer_usd": str(spec.gas_buffer_usd),
            "native_usd": str(spec.native_usd),
            "volatility_window_bars": spec.volatility_window,
            "volatility_threshold_pct": spec.volatility_threshold_pct,
            "realism": None
            if realism is None
            else {f.name: str(getattr(realism, f.name)) for f in fields(realism)},
        },
        "results": modes,
        "buy_and_hold": {
            "final_equity_usd": round(hold_final, 2),
            "return_pct": round((hold_final / float(spec.initial_usd) - 1.0) * 100.0, 4),
        },
        "crash_events": crash_table(result),
        "charts": charts or [],
    }
    if len(result.runs) > 1:
        out["comparison"] = {
            key: {m.value: getattr(r.metrics, key) for m, r in result.runs.items()}
            for key in COMPARED
        }
    return _jsonable(out)  # type: ignore[no-any-return]


def crash_table(result: BacktestResult) -> list[dict[str, Any]]:
    """The known crashes in range, each with the strategy's PnL in every mode."""
    table: dict[str, dict[str, Any]] = {}
    for mode, run in result.runs.items():
        for ev in run.events:
            row = table.setdefault(
                ev.key,
                {
                    "key": ev.key,
                    "name": ev.name,
                    "first_day": ev.first_day,
                    "last_day": ev.last_day,
                    "asset_change_pct": ev.asset_change_pct,
                    "note": ev.note,
                    "source": ev.source,
                    "pnl": {},
                },
            )
            row["pnl"][mode.value] = {
                "pnl_usd": ev.pnl_usd,
                "pnl_pct": ev.pnl_pct,
                "exposure_pct": ev.exposure_pct,
            }
    return list(table.values())


def summary_json(result: BacktestResult, charts: list[str] | None = None) -> str:
    return json.dumps(summary(result, charts), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_reports(result: BacktestResult, out: Path, charts: bool = True) -> dict[str, Path]:
    """Write ``summary.json``, the PNG charts (unless ``charts`` is False or matplotlib is
    missing) and ``report.html`` into ``out``; returns what was written, by kind."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    names: list[str] = []
    if charts:
        try:
            from phantom.backtest.charts import write_charts
        except ImportError:  # matplotlib is not installed
            names = []
        else:
            names = write_charts(result, out)
            for name in names:
                written[name] = out / name
    (out / "summary.json").write_text(summary_json(result, names), encoding="utf-8")
    written["summary"] = out / "summary.json"
    (out / "report.html").write_text(render_html(result, out, names), encoding="utf-8")
    written["html"] = out / "report.html"
    return written


# --- HTML ------------------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;
font-size:13px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #ddd;margin:6px 0 18px}.note{color:#666;font-size:12px}
"""


def _e(value: Any) -> str:
    return html.escape("-" if value is None else str(value))


def _table(head: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def render_html(result: BacktestResult, out: Path, charts: list[str]) -> str:
    s = summary(result, charts)
    runs = result.runs
    modes = [m.value for m in runs]
    rows = [[key, *(s["results"][m][key] for m in modes)] for key in (*COMPARED, "max_drawdown")]
    for row in rows:
        if row[0] == "max_drawdown":
            row[1:] = [
                f"{d['depth_pct']}% ({d['peak'][:10]} .. {d['trough'][:10]})" if d else "-"
                for d in row[1:]
            ]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>backtest {_e(s['engine'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Backtest: {_e(s['engine'])} on {_e(s['data']['symbol'])}</h1>",
        f"<p>{_e(s['range']['from'])} .. {_e(s['range']['to'])}, {s['data']['bars']} bars of "
        f"{s['data']['timeframe_s']:g} s from <code>{_e(s['data']['path'])}</code>; seed "
        f"{s['seed']}; parameters {_e(s['params'])}; buy and hold "
        f"{s['buy_and_hold']['return_pct']:+.2f}%.</p>",
        "<h2>Results</h2>",
        _table(["metric", *modes], rows),
        "<h2>Costs (USD), failures, rejections</h2>",
        _table(
            ["kind", *modes],
            [
                [k, *(s["results"][m]["costs_usd"][k] for m in modes)]
                for k in s["results"][modes[0]]["costs_usd"]
            ],
        ),
        _table(
            ["counter", *modes],
            [
                [f"{group}: {k}", *(s["results"][m][group].get(k, 0) for m in modes)]
                for group in ("fills", "failures", "rejections")
                for k in sorted({k for m in modes for k in s["results"][m][group]})
            ],
        ),
        "<h2>Largest drawdowns</h2>",
    ]
    for m in modes:
        dds = s["results"][m]["drawdowns"]
        parts.append(f"<h3>{_e(m)}</h3>")
        parts.append(
            _table(
                ["#", "depth %", "peak", "trough", "recovery"],
                [
                    [
                        i + 1,
                        d["depth_pct"],
                        d["peak"],
                        d["trough"],
                        d["recovery"] or "not recovered",
                    ]
                    for i, d in enumerate(dds)
                ],
            )
        )
    parts.append("<h2>Known crashes in range</h2>")
    parts.append(
        _table(
            ["event", "days", "asset %", *(f"{m} PnL USD (%)" for m in modes), "source"],
            [
                [
                    ev["name"],
                    f"{ev['first_day']} .. {ev['last_day']}",
                    ev["asset_change_pct"],
                    *(
                        f"{ev['pnl'][m]['pnl_usd']:+,.2f} ({ev['pnl'][m]['pnl_pct']:+.2f}%)"
                        if m in ev["pnl"]
                        else "-"
                        for m in modes
                    ),
                    ev["source"],
                ]
                for ev in s["crash_events"]
            ],
        )
    )
    data = s["data"]
    parts.append(
        f"<h2>Data</h2><p>{data['gaps']} gap(s), {data['missing_bars']} missing bar(s), policy "
        f"<b>{_e(data['gap_policy'])}</b>, {data['filled_bars']} bar(s) forward-filled.</p>"
    )
    if data["gaps_listed"]:
        parts.append(
            _table(
                ["after row", "after", "missing bars"],
                [[g["after_row"], g["after"], g["missing_bars"]] for g in data["gaps_listed"]],
            )
        )
    parts.append("<h2>Charts</h2>")
    for name in charts:
        png = (out / name).read_bytes()
        parts.append(
            f"<h3>{_e(name)}</h3><img alt='{_e(name)}' "
            f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        )
    if not charts:
        parts.append("<p class='note'>No charts: matplotlib is not installed.</p>")
    parts.append(
        "<p class='note'>Realistic: the paper realism model (latency, failures, dynamic "
        "slippage, MEV penalty, partial fills, network costs) plus the venue fee. Naive: "
        "instant, full fills at the signal price, no costs. See docs/backtesting.md.</p>"
    )
    parts.append("</body></html>\n")
    return "".join(parts)


__all__ = ["summary", "summary_json", "write_reports"]
