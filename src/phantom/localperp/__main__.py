"""``python -m phantom.localperp``: run the local perp exchange on its own until SIGTERM/SIGINT.

It writes ``<state-dir>/localperp/exchange.json`` (its URL, the ccxt exchange id and market; never
a key) so a user can point ``PERP_API_URL`` at it, and removes the file on exit. The API secret
is read from ``--api-secret`` or, better (a command line is visible to other users), from the
environment variable named by ``--api-secret-env``. Example, with the local Solana world's
``WSOL-USDC`` pool as the mark::

    PHANTOM_LOCALPERP_SECRET=s3cret python -m phantom.localperp --api-key demo-key \\
        --world-file var/solana-local/world.json --funding-interval 5 --rates '0.0005*20,-0.001'
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from decimal import Decimal
from pathlib import Path
from types import FrameType

from phantom.localperp.exchange import ContractSpec, LocalPerpExchange
from phantom.localperp.marks import FixedMark, MarkError, PoolMark
from phantom.localperp.schedule import FundingSchedule, ScheduleError, load_rates, parse_rates
from phantom.localperp.server import LocalPerpServer
from phantom.venues.perps.paper_params import PaperPerpParams

SECRET_ENV = "PHANTOM_LOCALPERP_SECRET"


def state_file(state_dir: Path) -> Path:
    return state_dir / "localperp" / "exchange.json"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m phantom.localperp", description=__doc__.split("\n")[0]
    )
    p.add_argument("--port", type=int, default=0, help="0: a free port")
    p.add_argument("--api-key", required=True)
    p.add_argument("--api-secret", default=None, help=f"prefer --api-secret-env ({SECRET_ENV})")
    p.add_argument("--api-secret-env", default=SECRET_ENV)
    p.add_argument("--state-dir", type=Path, default=Path("var"))
    p.add_argument("--initial-cash", type=Decimal, default=Decimal(10_000), help="USDC")
    p.add_argument("--funding-interval", type=float, default=10.0, help="seconds per settlement")
    p.add_argument("--rates", default="0.0001", help="e.g. '0.0005*6,-0.001'")
    p.add_argument("--rates-file", type=Path, default=None, help="JSON list or Binance answer")
    p.add_argument("--cycle", action="store_true", help="start the rates over at the end")
    p.add_argument("--history", type=int, default=0, help="intervals settled before the start")
    p.add_argument("--mark", type=Decimal, default=None, help="a fixed mark price")
    p.add_argument("--world-file", type=Path, default=None, help="local Solana world.json")
    p.add_argument("--pool", default="WSOL-USDC")
    p.add_argument("--pool-base", default="WSOL")
    p.add_argument("--basis", type=Decimal, default=Decimal(0), help="mark = price * (1+basis)")
    p.add_argument("--mark-interval", type=float, default=0.25)
    p.add_argument("--symbol", default="SOLUSDC")
    p.add_argument("--base", default="SOL")
    p.add_argument("--quote", default="USDC")
    p.add_argument("--step", type=Decimal, default=Decimal("0.001"))
    p.add_argument("--taker-fee-bps", type=Decimal, default=Decimal(5))
    p.add_argument("--slippage-bps", type=Decimal, default=Decimal(2))
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    secret = args.api_secret or os.environ.get(args.api_secret_env, "")
    if not secret:
        print(f"error: no API secret (set {args.api_secret_env})", file=sys.stderr)
        return 2
    try:
        rates = load_rates(args.rates_file) if args.rates_file else parse_rates(args.rates)
        if args.mark is not None:
            mark: FixedMark | PoolMark = FixedMark(args.mark)
        elif args.world_file is not None:
            mark = PoolMark.from_world_file(args.world_file, args.pool, args.pool_base)
        else:
            raise MarkError("give --mark PRICE or --world-file (the local Solana world's file)")
        spec = ContractSpec(symbol=args.symbol, base=args.base, quote=args.quote, step=args.step)
        params = PaperPerpParams(taker_fee_bps=args.taker_fee_bps, slippage_bps=args.slippage_bps)
        exchange = LocalPerpExchange(
            mark, FundingSchedule(rates, cycle=args.cycle), spec=spec, params=params,
            initial_cash=int(args.initial_cash.scaleb(spec.quote_decimals)), basis=args.basis,
            funding_interval_s=args.funding_interval, mark_interval_s=args.mark_interval,
        )  # fmt: skip
        server = LocalPerpServer(exchange, args.api_key, secret, port=args.port)
    except (ScheduleError, MarkError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    path = state_file(args.state_dir)
    try:
        server.start(args.history)
    except MarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        info = {"url": server.url, "exchange_id": "binanceusdm", "symbol": spec.symbol,
                "market": f"{spec.base}/{spec.quote}:{spec.quote}", "pid": os.getpid(),
                "funding_interval_s": args.funding_interval}  # fmt: skip
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        print(f"local perp exchange up: {server.url} ({info['market']}); state file {path}",
              flush=True)  # fmt: skip
        stop.wait()
    finally:
        server.stop()
        path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
