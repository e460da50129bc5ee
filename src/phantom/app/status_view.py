"""The live status view of ``phantom run``: a rich table on a terminal, a log line otherwise."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.table import Table

from phantom.core.costs import COST_KINDS

if TYPE_CHECKING:
    from phantom.app.paper_run import PaperRun


def _table(run: PaperRun) -> Table:
    s = run.stats
    table = Table(title=f"phantom run — paper, session {run.session.session_id}", expand=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    from datetime import UTC, datetime

    sim = datetime.fromtimestamp(run.clock.now(), tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    table.add_row("simulated time", sim)
    table.add_row("volatility (SOL, window)", f"{run.volatility.value:.2f} %")
    table.add_row("opportunities seen", str(s.opportunities_seen))
    table.add_row("intents", str(s.intents))
    for reason, count in sorted(s.rejections.items()):
        table.add_row(f"  gated: {reason}", str(count))
    table.add_row("sent (public/tight/private)", _routes(s.routes))
    table.add_row("trades (wins/losses)", f"{s.trades} ({s.wins}/{s.losses})")
    table.add_row(
        "failed / partial / sandwiched", f"{s.failed} / {s.partial_fills} / {s.sandwiched}"
    )
    table.add_row("refuels", str(s.refuels))
    table.add_row("realized PnL", f"{s.realized_pnl_usd:,.4f} USD")
    if len(run.slots) > 1:
        for slot in run.slots:
            e = slot.stats
            table.add_row(
                f"  engine {slot.name}: sent / trades / PnL",
                f"{e.sent} / {e.trades} / {e.realized_pnl_usd:,.4f} USD",
            )
    costs = s.costs.as_dict()
    for kind in COST_KINDS:
        table.add_row(f"  cost: {kind}", f"{costs[kind]:,.6f} USD")
    if run.kill.engaged:
        table.add_row("stopping", run.kill.why)
    return table


def _routes(routes: dict[str, int]) -> str:
    return "/".join(str(routes.get(k, 0)) for k in ("public", "public_tight", "private"))


class StatusView:
    """Call it with the run; it redraws at most every ``interval`` seconds."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.tty = sys.stdout.isatty()
        self.console = Console()
        self.live: Live | None = None
        self.interval = interval_s if self.tty else 10.0
        self._last = 0.0

    def __enter__(self) -> StatusView:
        if self.tty:
            self.live = Live(console=self.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def __call__(self, run: PaperRun) -> None:
        if self.live is not None:
            self.live.update(_table(run))
            return
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        s = run.stats
        print(
            f"[phantom] trades={s.trades} failed={s.failed} pnl={s.realized_pnl_usd:.4f} USD "
            f"gated={sum(s.rejections.values())} sent={s.sent}",
            flush=True,
        )

    def final(self, run: PaperRun) -> None:
        if self.live is None:
            self.console.print(_table(run))
