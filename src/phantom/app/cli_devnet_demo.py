"""``phantom devnet demo``: the four devnet scenarios as a table (and JSON).

Mount on the devnet sub-app: ``register(devnet_app)`` (or ``devnet_app.command("demo")(demo)``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from phantom.app.runner import dump_json

console = Console()


def _units(value: Any, decimals: int) -> str:
    if value is None:
        return "-"
    return f"{Decimal(int(value)).scaleb(-decimals):,.6f}".rstrip("0").rstrip(".")


def render(result: dict[str, Any]) -> Table:
    """The demo's numbers as one table: scenario, outcome, the figures that prove it."""
    a, b = result["arbitrage"], result["sandwich_public"]
    c, d = result["sandwich_private"], result["refused_arbitrage"]
    dec = 18 if a["profit_token"] in ("WETH", "ETH") else 6
    tok = a["profit_token"]
    table = Table(title="phantom devnet demo", show_lines=True)
    table.add_column("scenario")
    table.add_column("outcome")
    table.add_column("numbers")
    table.add_row(
        "(a) atomic arbitrage\nPhantomArb, public",
        f"{a['status']}\ntx {a['tx'][:18]}…\nblock {a['block']}",
        f"predicted {_units(a['predicted_profit_units'], dec)} {tok}"
        f" (${a['predicted_profit_usd']})\n"
        f"simulated {_units(a['simulated_profit_units'], dec)} {tok}\n"
        f"realized  {_units(a['realized_profit_units'], dec)} {tok} (${a['realized_profit_usd']})"
        f", from Transfer logs\n"
        f"gas {a['gas_used']:,} = {_units(a['gas_cost_wei'], 18)} ETH (${a['gas_cost_usd']}); "
        f"predicted gas ${a['predicted_gas_usd']}\n"
        f"net: predicted ${a['predicted_net_usd']}, realized ${a['realized_net_usd']}",
    )
    for row, label in ((b, "(b) swap 20 WETH→USDC\npublic, 5 % slippage"),
                       (c, "(c) the same swap\nprivate relay")):  # fmt: skip
        outcome = "SANDWICHED" if row["sandwiched"] else "not sandwiched"
        table.add_row(
            label,
            f"{outcome}\nbot: {', '.join(row['bot_events']) or 'no reaction'}",
            f"quote {_units(row['quote_out_units'], 6)} USDC\n"
            f"received {_units(row['received_out_units'], 6)} USDC "
            f"(bound {_units(row['min_out_units'], 6)})\n"
            f"victim loss {_units(row['victim_loss_units'], 6)} USDC",
        )
    table.add_row(
        "(d) the arbitrage of (a)\nafter the gap closed",
        "refused by simulation" if not d["sent"] else "SENT",
        f"{d['reason']}\ngas paid {d['gas_paid_wei']} wei, cost ${d['cost_usd']}, "
        f"nonce unchanged: {d['nonce_unchanged']}",
    )
    return table


def demo(
    summary_json: Annotated[
        Path | None, typer.Option("--summary-json", help="Write the numbers here as JSON")
    ] = None,
) -> None:
    """Start a fresh devnet and show: a profitable atomic arbitrage, a public swap sandwiched by
    the bot, the same swap sent privately (not sandwiched), an unprofitable arbitrage refused by
    simulation. The devnet is stopped at the end."""
    from phantom.devnet.anvil import AnvilError
    from phantom.devnet.artifacts import ArtifactError
    from phantom.devnet.demo import run_demo

    try:
        result = run_demo(progress=lambda msg: console.print(f"[dim]{msg}[/dim]"))
    except (AnvilError, ArtifactError, RuntimeError, TimeoutError) as exc:
        Console(stderr=True).print(f"[red]demo failed:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(render(result))
    if summary_json is not None:
        dump_json(result, summary_json)
        console.print(f"summary written to {summary_json}")


def register(devnet_app: typer.Typer) -> None:
    """Add ``demo`` to the ``phantom devnet`` sub-app."""
    devnet_app.command("demo")(demo)
