"""``phantom devnet up | down | status`` as a Typer sub-app (also ``python -m phantom.devnet``).

Wire into the main CLI with ``app.add_typer(devnet_app, name="devnet")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phantom.devnet.anvil import DEFAULT_CHAIN_ID, AnvilError
from phantom.devnet.artifacts import ArtifactError
from phantom.devnet.commands import DevnetError, deployment_path, down, status, up

devnet_app = typer.Typer(no_args_is_help=True, help="Local EVM devnet (anvil + Uniswap V2)")

StateDir = Annotated[
    Path | None,
    typer.Option("--state-dir", help="Folder for deployment.json, anvil.log, state.json"),
]


def _fmt_amount(value: int, decimals: int) -> str:
    whole, frac = divmod(value, 10**decimals)
    text = f"{whole:,}"
    if frac:
        text += "." + str(frac).rjust(decimals, "0").rstrip("0")
    return text


@devnet_app.command("up")
def up_cmd(
    state_dir: StateDir = None,
    chain_id: Annotated[int, typer.Option(help="Chain id")] = DEFAULT_CHAIN_ID,
    port: Annotated[int | None, typer.Option(help="Port (default: a free one)")] = None,
    block_time: Annotated[
        int | None, typer.Option(help="Seconds per block (default: mine on each tx)")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Reload the state saved by `down`")] = False,
) -> None:
    """Start anvil on 127.0.0.1; deploy WETH9, two Uniswap V2 DEXes, tokens, pools, PhantomArb."""
    try:
        dep = up(state_dir, chain_id=chain_id, port=port, block_time=block_time, resume=resume)
    except (AnvilError, ArtifactError, DevnetError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    pid = dep.node.pid if dep.node is not None else None
    typer.echo(f"devnet up: {dep.rpc_url} chain {dep.chain_id} (anvil pid {pid})")
    typer.echo(f"deployment: {deployment_path(state_dir)}")
    for name, address in dep.addresses.items():
        typer.echo(f"  {name:<14} {address}")


@devnet_app.command("down")
def down_cmd(state_dir: StateDir = None) -> None:
    """Stop the devnet's anvil (its state is saved for `up --resume`)."""
    stopped = down(state_dir)
    typer.echo("devnet stopped" if stopped else "devnet was not running")


@devnet_app.command("status")
def status_cmd(state_dir: StateDir = None) -> None:
    """Is the devnet up, its block number and its pools' reserves."""
    st = status(state_dir)
    if not st.running:
        typer.echo(f"devnet not running ({st.error})")
        raise typer.Exit(3)
    typer.echo(f"devnet up: {st.rpc_url} chain {st.chain_id} block {st.block_number} pid {st.pid}")
    for p in st.pools:
        r0 = _fmt_amount(p.reserve0, p.decimals0)
        r1 = _fmt_amount(p.reserve1, p.decimals1)
        typer.echo(f"  {p.dex}:{p.name:<10} {p.address} {r0} {p.symbol0} / {r1} {p.symbol1}")


def main() -> None:
    devnet_app()
