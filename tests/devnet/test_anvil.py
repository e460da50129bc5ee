"""AnvilProcess: start, answer, stop, options, state dump and reload."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import httpx
import pytest

from phantom.devnet.anvil import (
    ANVIL_BIN_ENV,
    AnvilError,
    AnvilProcess,
    anvil_binary,
    free_port,
    is_anvil_pid,
    owns_listener,
    rpc_chain_id,
    stop_pid,
)


def _rpc(url: str, method: str, *params: object) -> object:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    resp = httpx.post(url, json=body, timeout=5.0).json()
    assert "error" not in resp, resp
    return resp["result"]


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_binary_missing_gives_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ANVIL_BIN_ENV, raising=False)
    with pytest.raises(AnvilError, match="npm ci"):
        anvil_binary(tmp_path)
    monkeypatch.setenv(ANVIL_BIN_ENV, str(tmp_path / "nope"))
    with pytest.raises(AnvilError, match=ANVIL_BIN_ENV):
        anvil_binary()


def test_fixture_answers_and_is_funded(anvil: AnvilProcess) -> None:
    assert anvil.rpc_url.startswith("http://127.0.0.1:")
    assert rpc_chain_id(anvil.rpc_url) == 31337
    accounts = _rpc(anvil.rpc_url, "eth_accounts")
    assert isinstance(accounts, list) and len(accounts) == 10
    # The first account of the public test mnemonic.
    assert accounts[0].lower() == "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    balance = _rpc(anvil.rpc_url, "eth_getBalance", accounts[0], "latest")
    assert isinstance(balance, str) and int(balance, 16) == 10_000 * 10**18


def test_stop_terminates_process_group() -> None:
    node = AnvilProcess(chain_id=4242, accounts=2, no_mining=True).start()
    pid = node.pid
    assert is_anvil_pid(pid)
    assert rpc_chain_id(node.rpc_url) == 4242
    # No mining: a block number stays at 0 until asked.
    assert _rpc(node.rpc_url, "eth_blockNumber") == "0x0"
    _rpc(node.rpc_url, "evm_mine")
    assert _rpc(node.rpc_url, "eth_blockNumber") == "0x1"
    node.stop()
    assert not node.is_running()
    assert not is_anvil_pid(pid)
    assert rpc_chain_id(node.rpc_url, timeout=0.3) is None
    node.stop()  # idempotent


def test_dump_and_load_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with AnvilProcess(dump_state=state, accounts=2) as node:
        accounts = _rpc(node.rpc_url, "eth_accounts")
        assert isinstance(accounts, list)
        target = "0x000000000000000000000000000000000000bEEF"
        _rpc(node.rpc_url, "anvil_setBalance", target, hex(12345))
    assert state.is_file() and state.stat().st_size > 0
    with AnvilProcess(load_state=state, accounts=2) as node:
        bal = _rpc(node.rpc_url, "eth_getBalance", target, "latest")
        assert bal == hex(12345)


def test_start_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(AnvilError, match="does not exist"):
        AnvilProcess(load_state=tmp_path / "missing.json").start()
    with pytest.raises(ValueError):
        AnvilProcess(block_time=1, no_mining=True)
    # A busy port: the node exits and the error says so.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        with pytest.raises(AnvilError, match="did not start"):
            AnvilProcess(port=busy, startup_timeout=5).start()


def test_released_node_is_stopped_by_pid() -> None:
    node = AnvilProcess(accounts=1).start()
    url = node.rpc_url
    pid = node.release()
    assert not node.is_running()
    assert rpc_chain_id(url) == 31337
    assert stop_pid(pid)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)  # reap our child so it does not linger as a zombie
    assert not is_anvil_pid(pid)
    assert not stop_pid(pid)


def test_owns_listener_tells_nodes_apart(anvil: AnvilProcess) -> None:
    assert owns_listener(anvil.pid, anvil.port) is True
    assert owns_listener(os.getpid(), anvil.port) is False
    # A second node asked for the same port must not mistake the first one for itself.
    with pytest.raises(AnvilError, match="did not start"):
        AnvilProcess(port=anvil.port, startup_timeout=5).start()
    assert rpc_chain_id(anvil.rpc_url) == 31337
