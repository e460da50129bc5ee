"""Start and stop a local anvil node (the EVM devnet's chain).

The binary comes from the npm package ``@foundry-rs/anvil`` installed in the repository's
``node_modules`` by ``make install`` / ``npm ci``. Anvil always listens on 127.0.0.1 here, on a
free port unless one is given, and :class:`AnvilProcess` waits until ``eth_chainId`` answers
before it returns from :meth:`AnvilProcess.start`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

from phantom.devnet.procs import is_anvil_pid, owns_listener, stop_pid

__all__ = [
    "ANVIL_BIN_ENV",
    "DEFAULT_CHAIN_ID",
    "DEFAULT_MNEMONIC",
    "LOCALHOST",
    "AnvilError",
    "AnvilProcess",
    "anvil_binary",
    "free_port",
    "is_anvil_pid",
    "owns_listener",
    "repo_root",
    "rpc_chain_id",
    "stop_pid",
]

#: The well-known public anvil/hardhat test mnemonic. Its keys are public: devnet only.
DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_CHAIN_ID = 31337
LOCALHOST = "127.0.0.1"
ANVIL_BIN_ENV = "PHANTOM_ANVIL_BIN"
_PLATFORM_PACKAGE = "anvil-linux-amd64"


class AnvilError(RuntimeError):
    """Anvil could not be found, started or reached."""


def repo_root() -> Path:
    """The repository root (the folder holding ``package.json``), found from this file."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "package.json").is_file() and (parent / "pyproject.toml").is_file():
            return parent
    raise AnvilError(f"cannot find the repository root (package.json) above {here}")


def anvil_binary(root: Path | None = None) -> Path:
    """Path of the anvil executable from the repository's ``node_modules``.

    ``PHANTOM_ANVIL_BIN`` overrides the location. Raises :class:`AnvilError` with the command to
    run when the binary is missing.
    """
    override = os.environ.get(ANVIL_BIN_ENV)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise AnvilError(f"{ANVIL_BIN_ENV}={override} is not an executable file")
        return path
    base = root if root is not None else repo_root()
    path = base / "node_modules" / "@foundry-rs" / _PLATFORM_PACKAGE / "bin" / "anvil"
    if not path.is_file():
        raise AnvilError(
            f"anvil binary not found at {path}; run `make install` (or `npm ci` in {base}) "
            "to install the npm package @foundry-rs/anvil"
        )
    if not os.access(path, os.X_OK):
        raise AnvilError(f"anvil binary at {path} is not executable; reinstall with `npm ci`")
    return path


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port that was free on ``host`` a moment ago (bind to port 0, read, release)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def rpc_chain_id(rpc_url: str, timeout: float = 1.0) -> int | None:
    """``eth_chainId`` of the node at ``rpc_url``, or ``None`` if it does not answer."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        resp = httpx.post(rpc_url, json=body, timeout=timeout)
        result = resp.json().get("result")
    except (httpx.HTTPError, ValueError):
        return None
    if not isinstance(result, str):
        return None
    return int(result, 16)


class AnvilProcess:
    """One anvil node on 127.0.0.1.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. Anvil always runs in its own
    process group; :meth:`release` detaches it so it outlives this object (``phantom devnet up``)
    and :func:`stop_pid` ends it later. The mnemonic is passed on anvil's command line, so use
    only devnet mnemonics.
    """

    def __init__(
        self,
        *,
        chain_id: int = DEFAULT_CHAIN_ID,
        port: int | None = None,
        block_time: float | None = None,
        no_mining: bool = False,
        mnemonic: str = DEFAULT_MNEMONIC,
        accounts: int = 10,
        balance_ether: int = 10_000,
        load_state: Path | None = None,
        dump_state: Path | None = None,
        base_fee: int | None = None,
        gas_limit: int | None = None,
        extra_args: tuple[str, ...] = (),
        log_path: Path | None = None,
        startup_timeout: float = 20.0,
        binary: Path | None = None,
    ) -> None:
        if block_time is not None and no_mining:
            raise ValueError("block_time and no_mining are exclusive")
        if block_time is not None and block_time <= 0:
            raise ValueError(f"block_time must be > 0, got {block_time}")
        if accounts < 1:
            raise ValueError(f"accounts must be >= 1, got {accounts}")
        self.chain_id = chain_id
        self.block_time = block_time
        self.no_mining = no_mining
        self.mnemonic = mnemonic
        self.accounts = accounts
        self.balance_ether = balance_ether
        self.load_state = load_state
        self.dump_state = dump_state
        self.base_fee = base_fee
        self.gas_limit = gas_limit
        self.extra_args = extra_args
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self._binary = binary
        self._requested_port = port
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- properties ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise AnvilError("anvil is not started")
        return self._port

    @property
    def rpc_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{LOCALHOST}:{self.port}"

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise AnvilError("anvil is not started")
        return self._proc.pid

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle ----------------------------------------------------------------------------

    def command(self, port: int) -> list[str]:
        """The anvil command line for ``port`` (the mnemonic is passed as an argument)."""
        binary = self._binary if self._binary is not None else anvil_binary()
        cmd = [
            str(binary),
            "--host",
            LOCALHOST,
            "--port",
            str(port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--balance",
            str(self.balance_ether),
            "--mnemonic",
            self.mnemonic,
        ]
        if self.no_mining:
            cmd.append("--no-mining")
        if self.block_time is not None:
            cmd += ["--block-time", _fmt_seconds(self.block_time)]
        if self.load_state is not None:
            cmd += ["--load-state", str(self.load_state)]
        if self.dump_state is not None:
            cmd += ["--dump-state", str(self.dump_state)]
        if self.base_fee is not None:
            cmd += ["--block-base-fee-per-gas", str(self.base_fee)]
        if self.gas_limit is not None:
            cmd += ["--gas-limit", str(self.gas_limit)]
        cmd += list(self.extra_args)
        return cmd

    def start(self) -> Self:
        """Start anvil and wait until it answers ``eth_chainId`` with the configured chain id."""
        if self.is_running():
            return self
        if self.load_state is not None and not self.load_state.is_file():
            raise AnvilError(f"load_state file {self.load_state} does not exist")
        attempts = 1 if self._requested_port is not None else 3
        last_error = "unknown error"
        for _ in range(attempts):
            port = self._requested_port if self._requested_port is not None else free_port()
            error = self._try_start(port)
            if error is None:
                return self
            last_error = error
        raise AnvilError(f"anvil did not start: {last_error}")

    def _try_start(self, port: int) -> str | None:
        log: IO[bytes] | int
        log = open(self.log_path, "ab") if self.log_path is not None else subprocess.DEVNULL  # noqa: SIM115
        err = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                self.command(port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=err,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            if not isinstance(log, int):
                log.close()
        self._proc = proc
        self._port = port
        url = self.rpc_url
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err.seek(0)
                tail = err.read()[-2000:].decode(errors="replace").strip()
                err.close()
                self._proc = None
                self._port = None
                return f"exited with code {proc.returncode}: {tail or 'no output'}"
            chain = rpc_chain_id(url, timeout=0.5)
            if chain is not None:
                err.close()
                if owns_listener(proc.pid, port) is False:
                    # Another node on this port answered (a port race with a parallel run).
                    self.stop()
                    return f"port {port} is served by another process"
                if chain != self.chain_id:
                    self.stop()
                    return f"answered chain id {chain}, expected {self.chain_id}"
                return None
            time.sleep(0.03)
        err.close()
        self.stop()
        return f"no answer to eth_chainId within {self.startup_timeout}s"

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the process group (SIGTERM, then SIGKILL); a dump-state file is written."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        self._proc = None

    def release(self) -> int:
        """Forget the child without stopping it (for a detached node); returns its pid."""
        pid = self.pid
        self._proc = None
        return pid

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"{LOCALHOST}:{self._port}" if self._port is not None else "not started"
        return f"AnvilProcess(chain_id={self.chain_id}, {where})"


def _fmt_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
