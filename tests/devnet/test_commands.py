"""`phantom devnet up | down | status` on a temporary state folder."""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

from phantom.devnet.anvil import is_anvil_pid
from phantom.devnet.cli import devnet_app
from phantom.devnet.commands import down, status, up
from phantom.devnet.deployment import load_deployment
from phantom.devnet.rpc import DevnetRpc


def test_up_status_down_resume(tmp_path: Path) -> None:
    state = tmp_path / "devnet"
    dep = up(state)
    try:
        assert dep.node is not None and dep.node.pid is not None
        pid = dep.node.pid
        assert is_anvil_pid(pid)
        assert load_deployment(state / "deployment.json") == dep
        assert dep.rpc_url == f"http://127.0.0.1:{dep.node.port}"

        again = up(state)  # idempotent: the same node, nothing redeployed
        assert again == dep

        st = status(state)
        assert st.running and st.pid == pid and st.chain_id == 31337
        assert st.block_number == dep.deployed_block
        reserves = {(p.dex, p.name): (p.reserve0, p.reserve1) for p in st.pools}
        pool = dep.pool("dexA", "WETH/USDC")
        assert reserves[("dexA", "WETH/USDC")] == (pool.initial_reserve0, pool.initial_reserve1)
        assert len(reserves) == 4

        # Change something, stop (anvil dumps its state), resume from the dump.
        with DevnetRpc(dep.rpc_url) as rpc:
            rpc.mine(3)
        assert down(state)
        assert not is_anvil_pid(pid)
        assert not (state / "deployment.json").exists()
        assert not status(state).running
        assert not down(state)

        resumed = up(state, resume=True)
        assert resumed.contracts == dep.contracts and resumed.pools == dep.pools
        assert resumed.node is not None and resumed.node.pid != pid
        st = status(state)
        assert st.running and st.block_number is not None
        assert st.block_number >= dep.deployed_block + 3
    finally:
        down(state)
    assert not status(state).running


def test_cli_reports_not_running(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(devnet_app, ["status", "--state-dir", str(tmp_path)])
    assert result.exit_code == 3
    assert "not running" in result.output
    result = runner.invoke(devnet_app, ["down", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0 and "was not running" in result.output


def test_up_with_block_time_mines_on_an_interval(tmp_path: Path) -> None:
    state = tmp_path / "devnet"
    dep = up(state, block_time=1)
    try:
        assert dep.node is not None and dep.node.block_time == 1
        start = status(state).block_number
        assert start is not None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            now = status(state).block_number
            if now is not None and now > start:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("no block mined within 5 s at block_time=1")
    finally:
        assert down(state)
