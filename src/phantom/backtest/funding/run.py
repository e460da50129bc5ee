"""Run the funding engine over recorded spot, perp, mark and funding series (the driver).

Not part of the pure engine: this module reads files and wires the engine to the paper
realism model (spot legs, :class:`~phantom.execution.paper.PaperExecutionClient`) and the
paper perp venue (:class:`~phantom.venues.perps.paper.PaperPerpVenue`), until the backtest
core's registry can host multi-role engines.

Timeline: one step per spot bar close. At each step, in order: the perp venue's mark moves
(spot close times the last observed mark/spot basis; when a new mark bar has closed its high
and low are checked for liquidation first) and funding prints due by then settle on the venue;
then the engine sees the price snapshot, the new prints and the account state. Intents are
executed at once: spot swaps arrive after the paper model's sampled latency at the step's price
(latency is far below a bar), perp orders fill on the venue, collateral moves between the vault
and the venue. Without a mark file the perp file's closes are the mark; without either the
mark is the spot price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from phantom.backtest.funding.data import Series, load_series, symbol_of, to_epoch
from phantom.backtest.funding.legs import account_state, perp_order, perp_outcome
from phantom.backtest.funding.market import SpotView, basis_at, volatility_flags
from phantom.backtest.funding.report import (
    RunRecord,
    build_summary,
    iso,
    params_from,
    write_outputs,
)
from phantom.backtest.spec import default_realism
from phantom.core.fees import solana_fees
from phantom.core.orders import OrderIntent
from phantom.core.rng import SeededRng
from phantom.core.token import Token
from phantom.engines.base import EngineContext
from phantom.engines.funding.engine import FundingEngine
from phantom.engines.funding.events import (
    FundingEvent,
    FundingIntent,
    FundingRatePrint,
    MarginIntent,
    MarginOutcome,
    PerpAccountState,
    PerpIntent,
    PriceSnapshot,
)
from phantom.engines.funding.params import FundingParams
from phantom.execution.paper import PaperExecutionClient
from phantom.execution.params import RealismParams
from phantom.execution.realism import RefusedIntent, dynamic_slippage
from phantom.venues.perps.base import PerpMarket, PerpVenueError
from phantom.venues.perps.paper import PaperPerpVenue
from phantom.venues.perps.paper_params import PaperPerpParams

REACT_ROUNDS = 4
DECIMALS: Mapping[str, int] = {"SOL": 9, "BTC": 8, "ETH": 18, "USDT": 6, "USDC": 6}


@dataclass(frozen=True, slots=True)
class FundingBacktestConfig:
    """Everything a funding backtest needs besides the data, with defaults.

    ``params``: overrides of :class:`FundingParams` / :class:`FundingCosts` fields by name
    (strings, as ``--param NAME=VALUE`` gives them). The gate's spot slippage and network cost
    default to what the paper model will charge (``realism``, ``liquidity_usd``).
    """

    initial_usd: Decimal = Decimal(10_000)
    perp: PaperPerpParams = field(default_factory=PaperPerpParams)
    realism: RealismParams | None = None
    liquidity_usd: Decimal = Decimal(1_000_000)
    native_usd: Decimal = Decimal(150)
    gas_buffer_native: Decimal = Decimal("0.05")
    volatility_window: int = 60
    volatility_threshold_pct: float = 2.0
    params: Mapping[str, str] = field(default_factory=dict)


class FundingBacktest:
    """One deterministic run (same data, config and seed: same result, bit for bit)."""

    def __init__(
        self,
        spot: Series,
        perp: Series | None,
        funding: Series,
        mark: Series | None,
        base: Token,
        quote: Token,
        config: FundingBacktestConfig,
        seed: int,
    ) -> None:
        self.spot, self.perp, self.funding, self.mark = spot, perp, funding, mark
        self.base, self.quote, self.config, self.seed = base, quote, config, seed
        realism = config.realism or default_realism()
        self.realism = realism
        self.native = realism.native
        interval = float(np.median(np.diff(funding.ts))) if len(funding) > 1 else 8 * 3600.0
        self.interval_s = interval
        symbol = f"{base.symbol}/{quote.symbol}:{quote.symbol}"
        self.market = PerpMarket(symbol, base, quote, funding_interval_s=interval)
        self.venue = PaperPerpVenue([self.market], config.perp)
        native_usd = float(config.native_usd)
        self.view = SpotView(base, quote, self.native, native_usd)
        self.client = PaperExecutionClient(realism, SeededRng(seed).stream("funding/spot"))
        self.params = self._params()
        self.engine = FundingEngine(self.params, id_prefix="funding")
        self.balances: dict[Token, int] = {quote: quote.to_units(config.initial_usd)}
        self.balances[self.native] = self.balances.get(self.native, 0) + self.native.to_units(
            config.gas_buffer_native
        )
        # the cash plus the gas buffer, valued at the first open (gas may be the base token)
        self.record = RunRecord(initial_usd=self._equity_now(float(spot.open[0])))

    def _params(self) -> FundingParams:
        c, r = self.config, self.realism
        est_notional = c.initial_usd * Decimal(2) / Decimal(3)
        slip = dynamic_slippage(r, est_notional, c.liquidity_usd, volatile=False)
        fees = solana_fees(r.fee_schedule, 1, private=True, landed=True).total
        network = self.native.to_decimal(fees) * c.native_usd
        defaults = {
            "spot_slippage_bps": str(round(slip * 10_000, 2)),
            "network_usd": str(round(network, 6)),
            "liquidity_usd": str(c.liquidity_usd),
        }
        return params_from(self.base, self.quote, self.market.symbol, {**defaults, **c.params})

    # --- the loop -----------------------------------------------------------------------------
    def run(self) -> RunRecord:
        spot, rec = self.spot, self.record
        steps = spot.close_ts
        mark_src = self.mark if self.mark is not None else self.perp
        mark_basis, mark_idx = basis_at(steps, spot, mark_src)
        perp_basis, _ = basis_at(steps, spot, self.perp if self.perp is not None else mark_src)
        c = self.config
        vol = volatility_flags(
            spot.close, spot.timeframe_s, c.volatility_window, c.volatility_threshold_pct
        )
        fts, frates = self.funding.ts, self.funding.open
        fp = 0
        ctx = EngineContext(0.0, self.view, self.balances)
        while fp < len(fts) and fts[fp] < steps[0]:  # warm-up: prints before the first step
            self.engine.on_event(self._print(fp), ctx)
            fp += 1
        last_j = -1
        sym = self.market.symbol
        rec.equity = np.zeros(len(spot))
        for i in range(len(spot)):
            t = float(steps[i])
            px = float(spot.close[i])
            self.view.price, self.view.volatile = px, bool(vol[i])
            mark_px = px * float(mark_basis[i])
            j = int(mark_idx[i])
            if j != last_j and j >= 0 and mark_src is not None:
                hi, lo = (
                    Decimal(repr(float(mark_src.high[j]))),
                    Decimal(repr(float(mark_src.low[j]))),
                )
                liq = self.venue.update_mark(sym, t, Decimal(repr(mark_px)), hi, lo)
                last_j = j
            else:
                liq = self.venue.update_mark(sym, t, Decimal(repr(mark_px)))
            self.venue.set_trade_price(sym, Decimal(repr(px * float(perp_basis[i]))))
            if liq is not None:
                rec.liquidations.append(liq)
            ctx = EngineContext(t, self.view, self.balances)
            due: list[FundingRatePrint] = []
            while fp < len(fts) and fts[fp] <= t:  # settle on the position held until now
                rate = Decimal(repr(float(frates[fp])))
                rec.settlements.append(self.venue.settle_funding(sym, float(fts[fp]), rate))
                due.append(self._print(fp))
                fp += 1
            self._react(PriceSnapshot(t, sym, px, mark_px), ctx, t)
            for event in due:
                self._react(event, ctx, t)
            self._react(self._account(t), ctx, t)
            self._measure(i, t, px)
        rec.steps = len(spot)
        rec.first_ts, rec.last_ts = float(spot.ts[0]), float(steps[-1])
        rec.final_equity_usd = Decimal(repr(float(rec.equity[-1])))
        return rec

    def _print(self, k: int) -> FundingRatePrint:
        return FundingRatePrint(
            float(self.funding.ts[k]),
            self.market.symbol,
            float(self.funding.open[k]),
            self.interval_s,
        )

    def _account(self, t: float) -> PerpAccountState:
        return account_state(self.venue, self.market.symbol, t)

    # --- executions ---------------------------------------------------------------------------
    def _react(self, event: FundingEvent, ctx: EngineContext, t: float) -> None:
        """Send ``event``; after its intents resolve, show the engine the account again so it
        can repair a failed leg at once (as a live loop reacts to fills), a few rounds at most."""
        intents = self.engine.on_event(event, ctx)
        for _ in range(REACT_ROUNDS):
            if not intents:
                return
            self._send(intents, t)
            intents = self.engine.on_event(self._account(t), ctx)

    def _send(self, intents: list[FundingIntent], t: float) -> None:
        for intent in intents:
            if isinstance(intent, MarginIntent):
                self._margin(intent)
            elif isinstance(intent, PerpIntent):
                self._perp(intent)
            else:
                self._spot(intent, t)

    def _spot(self, intent: OrderIntent, t: float) -> None:
        if self.balances.get(intent.token_in, 0) < intent.amount_in:
            self.record.rejections["insufficient_capital"] += 1
            self.engine.on_rejected(intent, "insufficient_capital")
            return
        arrival = self.client.submit(intent, t)
        try:
            outcomes = self.client.due(arrival, self.view)
        except RefusedIntent as exc:
            self.record.rejections["refused_by_model"] += 1
            self.engine.on_rejected(intent, f"refused_by_model: {exc.reason}")
            return
        for outcome in outcomes:
            fill = outcome.fill
            for d in fill.deltas:
                self.balances[d.token] = self.balances.get(d.token, 0) + d.amount
            self.record.add_spot_fill(fill)
            self.engine.on_fill(fill)

    def _perp(self, intent: PerpIntent) -> None:
        fill = self.venue.place_order(perp_order(intent))
        self.record.add_perp_fill(fill)
        self.engine.on_perp(perp_outcome(intent, fill, self.quote))

    def _margin(self, intent: MarginIntent) -> None:
        amount, q = intent.amount, self.quote
        ok, reason = True, ""
        if amount > 0:
            if self.balances.get(q, 0) < amount:
                ok, reason = False, "insufficient cash"
            else:
                self.balances[q] -= amount
                self.venue.deposit(amount)
        else:
            try:
                self.venue.withdraw(-amount)
                self.balances[q] = self.balances.get(q, 0) - amount
            except PerpVenueError as exc:
                ok, reason = False, str(exc)
        if ok:  # a collateral move is one on-chain transaction
            fees = solana_fees(self.realism.fee_schedule, 1, private=False, landed=True)
            self.balances[self.native] = self.balances.get(self.native, 0) - fees.total
            self.record.margin_network_usd += self.native.to_decimal(fees.total) * Decimal(
                repr(self.view.price_usd(self.native))
            )
            self.record.margin_moves += 1
        if not ok:
            self.record.log.append({"margin_failed": reason, "amount": amount})
        self.engine.on_margin(MarginOutcome(intent.intent_id, ok, amount, reason))

    # --- measures -----------------------------------------------------------------------------
    def _transition(self, t: float, px: float) -> dict[str, Any]:
        e = self.engine
        if e.want_open:
            gate = e.last_gate
            return {
                "at": iso(t),
                "event": "entry",
                "spot_price": round(px, 4),
                "notional_usd": None if gate is None else str(round(gate.notional_usd, 2)),
                "expected_rate_pct": None if gate is None else round(gate.expected_rate * 100, 6),
                "expected_net_usd": None if gate is None else str(round(gate.net_usd, 2)),
            }
        return {"at": iso(t), "event": "exit", "reason": e.exit_reason, "spot_price": round(px, 4)}

    def _equity_now(self, px: float) -> Decimal:
        total = self.venue.quote.to_decimal(self.venue.equity())
        for token, units in self.balances.items():
            price = (
                1.0
                if token == self.quote
                else (px if token == self.base else float(self.config.native_usd))
            )
            total += token.to_decimal(units) * Decimal(repr(price))
        return total

    def _measure(self, i: int, t: float, px: float) -> None:
        rec = self.record
        if self.engine.want_open != rec.was_open:
            rec.was_open = self.engine.want_open
            rec.log.append(self._transition(t, px))
        st = self.engine.stats
        for name in ("reduces", "relevers", "rebalances"):
            if getattr(st, name) != rec.actions[name]:
                rec.actions[name] = getattr(st, name)
                rec.log.append({"at": iso(t), "event": name[:-1], "spot_price": round(px, 4)})
        pos = self.venue.position_size(self.market.symbol)
        spot_units = self.engine.spot_units
        equity = self._equity_now(px)
        rec.equity[i] = float(equity)
        hedge = max(spot_units, -pos)
        if hedge <= 0 and pos == 0:
            return
        rec.steps_in_market += 1
        delta = spot_units + pos
        drift = abs(delta) * 100.0 / hedge if hedge > 0 else 100.0
        delta_usd = self.base.to_decimal(abs(delta)) * Decimal(repr(px))
        rec.observe_delta(drift, delta_usd)
        if pos != 0:
            rec.observe_health(float(self.venue.account().health) * 100.0, t)


def run_funding_backtest(
    spot: Path,
    perp: Path | None,
    funding: Path,
    mark: Path | None,
    start: float | str | None,
    end: float | str | None,
    seed: int,
    out_dir: Path,
    config: FundingBacktestConfig | None = None,
) -> dict[str, Any]:
    """Backtest the funding engine; writes ``summary.json`` and ``equity.csv`` into
    ``out_dir`` and returns the summary (see ``docs/engines/funding.md``)."""
    cfg = config or FundingBacktestConfig()
    t0, t1 = to_epoch(start), to_epoch(end)
    spot_s = load_series(spot).window(t0, t1)
    if len(spot_s) == 0:
        raise ValueError(f"{spot}: no spot bar between start and end")
    perp_s = None if perp is None else load_series(perp).window(None, t1)
    mark_s = None if mark is None else load_series(mark).window(None, t1)
    funding_s = load_series(funding, prices=False).window(None, t1)
    b, q = symbol_of(spot)
    base, quote = Token(b, DECIMALS.get(b, 9)), Token(q, DECIMALS.get(q, 6))
    bt = FundingBacktest(spot_s, perp_s, funding_s, mark_s, base, quote, cfg, seed)
    record = bt.run()
    files = {"spot": spot, "perp": perp, "funding": funding, "mark": mark}
    summary = build_summary(
        bt, record, {k: None if v is None else str(v) for k, v in files.items()}
    )
    write_outputs(Path(out_dir), summary, record, bt.spot)
    return summary
