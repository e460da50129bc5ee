"""An in-process devnet for tests and tools: anvil + the deployed world + snapshot/revert.

``DevnetWorld`` starts anvil, deploys once, and takes an ``evm_snapshot``; :meth:`reset` brings
the chain back to the freshly deployed state in milliseconds (so a test session deploys once).
It also has small helpers to call and transact against the deployed contracts by name.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from phantom.devnet.anvil import AnvilProcess
from phantom.devnet.artifacts import Artifact, artifact
from phantom.devnet.deploy import DEFAULT_SPEC, DeploySpec, deploy
from phantom.devnet.deployment import Deployment
from phantom.devnet.rpc import DevnetRpc


class DevnetWorld:
    """Anvil with the devnet deployed, resettable to the deployed state."""

    def __init__(self, spec: DeploySpec = DEFAULT_SPEC, **anvil_options: Any) -> None:
        self.spec = spec
        self.node = AnvilProcess(**anvil_options)
        self._rpc: DevnetRpc | None = None
        self._deployment: Deployment | None = None
        self._snapshot: str | None = None
        self._artifacts: dict[str, Artifact] = {}

    @property
    def rpc(self) -> DevnetRpc:
        if self._rpc is None:
            raise RuntimeError("DevnetWorld is not started")
        return self._rpc

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            raise RuntimeError("DevnetWorld is not started")
        return self._deployment

    def start(self) -> Self:
        self.node.start()
        try:
            self._rpc = DevnetRpc(self.node.rpc_url)
            self._deployment = deploy(
                self._rpc, self.spec, mnemonic=self.node.mnemonic, ws_url=self.node.ws_url
            )
            self._snapshot = self._rpc.snapshot()
        except BaseException:
            self.stop()
            raise
        return self

    def reset(self) -> None:
        """Back to the state right after deployment: mining on, mempool empty."""
        rpc = self.rpc
        rpc.call("anvil_dropAllTransactions")
        rpc.set_automine(True)
        if self._snapshot is None or not rpc.revert(self._snapshot):
            raise RuntimeError("evm_revert to the deployment snapshot failed")
        self._snapshot = rpc.snapshot()

    def stop(self) -> None:
        if self._rpc is not None:
            self._rpc.close()
            self._rpc = None
        self.node.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers --------------------------------------------------------------------------------

    def artifact(self, name: str) -> Artifact:
        if name not in self._artifacts:
            self._artifacts[name] = artifact(name)
        return self._artifacts[name]

    def address(self, name: str) -> str:
        return self.deployment.address(name)

    def account(self, role: str) -> str:
        return self.deployment.account(role).address

    def calldata(self, contract: str, fn: str, *args: Any) -> bytes:
        return self.artifact(contract).abi.encode_call(fn, *args)

    def call(
        self, contract: str, to: str, fn: str, *args: Any, sender: str | None = None
    ) -> tuple[Any, ...]:
        """``eth_call`` a function and decode its outputs; raises RpcError (with reason)."""
        tx: dict[str, Any] = {"to": to, "data": "0x" + self.calldata(contract, fn, *args).hex()}
        if sender is not None:
            tx["from"] = sender
        raw = self.rpc.eth_call(tx)
        return self.artifact(contract).abi.decode_result(fn, raw, len(args))

    def transact(
        self, sender: str, contract: str, to: str, fn: str, *args: Any, **fields: Any
    ) -> dict[str, Any]:
        """Send from an unlocked dev account and wait for a successful receipt."""
        return self.rpc.transact(sender, to, self.calldata(contract, fn, *args), **fields)

    def balance_of(self, token: str, owner: str) -> int:
        """ERC20 balance of ``owner``; ``token`` is a symbol or an address."""
        address = self.deployment.token(token).address if token in self.deployment.tokens else token
        return int(self.call("TestToken", address, "balanceOf", owner)[0])

    def reserves(self, dex: str, pair: str) -> tuple[int, int]:
        pool = self.deployment.pool(dex, pair)
        r0, r1, _ = self.call("UniswapV2Pair", pool.address, "getReserves")
        return int(r0), int(r1)
