"""``phantom devnet up | down | status``: a detached anvil with the devnet world deployed.

The state folder (default ``var/devnet`` under the repository) holds:

- ``deployment.json``: the deployment (see :mod:`phantom.devnet.deployment`), with the node's pid
  and port; other commands read it.
- ``anvil.log``: anvil's output.
- ``state.json``: the chain state anvil dumps when ``down`` stops it; ``up(resume=True)`` loads
  it so a stopped devnet comes back with its contracts, pools and balances.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from phantom.devnet.anvil import (
    DEFAULT_CHAIN_ID,
    DEFAULT_MNEMONIC,
    AnvilProcess,
    is_anvil_pid,
    owns_listener,
    repo_root,
    rpc_chain_id,
    stop_pid,
)
from phantom.devnet.deploy import DEFAULT_SPEC, DeploySpec, deploy, pool_reserves
from phantom.devnet.deployment import (
    Deployment,
    NodeInfo,
    load_deployment,
    write_deployment,
)
from phantom.devnet.rpc import DevnetRpc, RpcError

DEPLOYMENT_FILE = "deployment.json"
STATE_FILE = "state.json"
LOG_FILE = "anvil.log"
STOPPED_FILE = "deployment.stopped.json"


class DevnetError(RuntimeError):
    """The devnet could not be brought up, or its files are inconsistent."""


def default_state_dir() -> Path:
    return repo_root() / "var" / "devnet"


def deployment_path(state_dir: Path | None = None) -> Path:
    return (state_dir if state_dir is not None else default_state_dir()) / DEPLOYMENT_FILE


@dataclass(frozen=True)
class PoolStatus:
    dex: str
    name: str
    address: str
    symbol0: str
    symbol1: str
    reserve0: int
    reserve1: int
    decimals0: int
    decimals1: int


@dataclass(frozen=True)
class DevnetStatus:
    running: bool
    deployment_file: Path
    rpc_url: str | None = None
    chain_id: int | None = None
    pid: int | None = None
    block_number: int | None = None
    pools: list[PoolStatus] = field(default_factory=list)
    error: str | None = None


def _read(state_dir: Path, name: str = DEPLOYMENT_FILE) -> Deployment | None:
    path = state_dir / name
    if not path.is_file():
        return None
    try:
        return load_deployment(path)
    except ValueError as exc:
        raise DevnetError(f"{path} is not a valid deployment file: {exc}") from None


def _alive(dep: Deployment) -> bool:
    """The recorded node is running and answers with the recorded chain id and contracts."""
    node = dep.node
    if node is None or node.pid is None or not is_anvil_pid(node.pid):
        return False
    if owns_listener(node.pid, node.port) is False:
        return False
    if rpc_chain_id(dep.rpc_url) != dep.chain_id:
        return False
    try:
        with DevnetRpc(dep.rpc_url, timeout=5.0) as rpc:
            return len(rpc.code(dep.contracts["PhantomArb"])) > 0
    except (RpcError, OSError, KeyError):
        return False


def up(
    state_dir: Path | None = None,
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    port: int | None = None,
    block_time: int | None = None,
    mnemonic: str = DEFAULT_MNEMONIC,
    spec: DeploySpec = DEFAULT_SPEC,
    resume: bool = False,
) -> Deployment:
    """Start a detached anvil, deploy the devnet world and write ``deployment.json``.

    Idempotent: if the recorded devnet is already running, its deployment is returned as is.
    With ``resume`` and a ``state.json`` from an earlier ``down``, the chain is reloaded from it
    instead of deployed afresh. ``block_time`` (whole seconds) switches to interval mining after
    the deployment; by default every transaction is mined at once.
    """
    folder = state_dir if state_dir is not None else default_state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    existing = _read(folder)
    if existing is not None and _alive(existing):
        return existing
    if existing is not None and existing.node is not None and existing.node.pid is not None:
        stop_pid(existing.node.pid)  # a half-dead node from an earlier run

    state = folder / STATE_FILE
    stopped = _read(folder, STOPPED_FILE) if resume else None
    load = state if stopped is not None and state.is_file() else None
    if load is None:
        state.unlink(missing_ok=True)
        (folder / STOPPED_FILE).unlink(missing_ok=True)
    if block_time is not None and block_time < 1:
        raise ValueError(f"block_time must be a whole number of seconds >= 1, got {block_time}")
    # Deploy with automine (one block per tx, fast), then switch to interval mining if asked.
    node = AnvilProcess(
        chain_id=stopped.chain_id if load is not None and stopped is not None else chain_id,
        port=port,
        mnemonic=mnemonic,
        accounts=max(10, len(spec.roles)),
        load_state=load,
        dump_state=state,
        log_path=folder / LOG_FILE,
    ).start()
    try:
        if load is not None and stopped is not None:
            dep = stopped.model_copy(update={"rpc_url": node.rpc_url, "ws_url": node.ws_url})
            with DevnetRpc(node.rpc_url) as rpc:
                if not rpc.code(dep.contracts["PhantomArb"]):
                    raise DevnetError(f"{state} does not hold the recorded deployment")
        else:
            with DevnetRpc(node.rpc_url) as rpc:
                dep = deploy(rpc, spec, mnemonic=mnemonic, ws_url=node.ws_url)
        if block_time is not None:
            with DevnetRpc(node.rpc_url) as rpc:
                rpc.call("evm_setIntervalMining", block_time)
        info = NodeInfo(
            pid=node.pid, port=node.port, log_path=str(folder / LOG_FILE), block_time=block_time
        )
        dep = dep.with_node(info)
        write_deployment(dep, folder / DEPLOYMENT_FILE)
    except BaseException:
        node.stop()
        raise
    node.release()
    return dep


def down(state_dir: Path | None = None, *, timeout: float = 10.0) -> bool:
    """Stop the recorded anvil (it dumps its state to ``state.json``) and remove the deployment
    file. Returns True if a running node was stopped."""
    folder = state_dir if state_dir is not None else default_state_dir()
    dep = _read(folder)
    stopped = False
    if dep is not None and dep.node is not None and dep.node.pid is not None:
        stopped = stop_pid(dep.node.pid, timeout=timeout)
    with contextlib.suppress(FileNotFoundError):
        (folder / DEPLOYMENT_FILE).unlink()
    if dep is not None and stopped:
        # Keep what was deployed next to the dumped state so `up(resume=True)` can reuse it.
        write_deployment(dep.with_node(None), folder / STOPPED_FILE)
    return stopped


def status(state_dir: Path | None = None) -> DevnetStatus:
    """Is the devnet up, at which block, and what are its pools' reserves now."""
    folder = state_dir if state_dir is not None else default_state_dir()
    path = folder / DEPLOYMENT_FILE
    dep = _read(folder)
    if dep is None:
        return DevnetStatus(running=False, deployment_file=path, error="no deployment file")
    pid = dep.node.pid if dep.node is not None else None
    base = DevnetStatus(
        running=False, deployment_file=path, rpc_url=dep.rpc_url, chain_id=dep.chain_id, pid=pid
    )
    if not _alive(dep):
        return replace(base, error="the recorded node is not running")
    pools: list[PoolStatus] = []
    with DevnetRpc(dep.rpc_url, timeout=5.0) as rpc:
        block = rpc.block_number()
        for dex in sorted(dep.pools):
            for name in sorted(dep.pools[dex]):
                p = dep.pools[dex][name]
                r0, r1 = pool_reserves(rpc, p.address)
                d0, d1 = dep.token(p.symbol0).decimals, dep.token(p.symbol1).decimals
                pools.append(PoolStatus(dex, name, p.address, p.symbol0, p.symbol1, r0, r1, d0, d1))
    return replace(base, running=True, block_number=block, pools=pools)
