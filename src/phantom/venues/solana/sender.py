"""Landing a signed transaction: the same bytes, rebroadcast, until confirmed or expired.

The pattern (solana.com/docs/advanced/retry): sign once; send with ``skipPreflight: true`` and
``maxRetries: 0``; resend the **same signed bytes** every ``rebroadcast_interval_s`` (idempotent:
same signature, executes at most once); poll ``getSignatureStatuses`` until the target commitment,
or until the block height passes ``lastValidBlockHeight``. Only then is the transaction expired
(after a final status check that searches the history) and may the caller re-quote and re-sign:
re-signing earlier could execute twice.

Routes: plain RPC (through the router), Jito ``sendTransaction?bundleOnly=true`` (a single-
transaction bundle with revert protection) or Jito ``sendBundle`` (the transaction alone in a
bundle). Statuses are read over RPC in every case.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from phantom.venues.solana.errors import JitoError, NoHealthyEndpoint, RpcTransportError
from phantom.venues.solana.jito import JitoClient
from phantom.venues.solana.rpc import Commitment, SignatureStatus, SolanaRpc

log = logging.getLogger(__name__)

Route = Literal["rpc", "jito", "jito_bundle"]
Outcome = Literal["confirmed", "failed", "expired"]


class SendPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    route: Route = "rpc"
    rebroadcast_interval_s: float = Field(default=2.0, gt=0)
    poll_interval_s: float = Field(default=0.4, gt=0)
    commitment: Commitment = "confirmed"


@dataclass(frozen=True, slots=True)
class LandingResult:
    signature: str
    outcome: Outcome
    err: object = None
    slot: int | None = None
    broadcasts: int = 0
    broadcast_failures: int = 0
    route: Route = "rpc"
    bundle_id: str | None = None

    @property
    def rebroadcasts(self) -> int:
        return max(0, self.broadcasts - 1)


class TransactionSender:
    def __init__(
        self,
        rpc: SolanaRpc,
        policy: SendPolicy | None = None,
        *,
        jito: JitoClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rpc = rpc
        self.policy = policy or SendPolicy()
        if self.policy.route != "rpc" and jito is None:
            raise ValueError(f"route {self.policy.route!r} needs a Jito client")
        self.jito = jito
        self._clock = clock

    def __repr__(self) -> str:
        return f"TransactionSender(route={self.policy.route})"

    async def _broadcast(self, raw: bytes) -> str | None:
        """One delivery of the bytes; returns the bundle id when Jito gave one."""
        route = self.policy.route
        if route == "rpc":
            await self.rpc.send_transaction(raw, skip_preflight=True, max_retries=0)
            return None
        assert self.jito is not None
        if route == "jito":
            _, bundle_id = await self.jito.send_transaction(raw, bundle_only=True)
            return bundle_id
        return await self.jito.send_bundle([raw])

    async def land(self, raw: bytes, signature: str, last_valid_block_height: int) -> LandingResult:
        """Deliver and rebroadcast until the target commitment or expiry. Never re-signs."""
        pol = self.policy
        broadcasts = failures = 0
        bundle_id: str | None = None
        seen: SignatureStatus | None = None
        last_send = -float("inf")
        while True:
            if seen is None and self._clock() - last_send >= pol.rebroadcast_interval_s:
                last_send = self._clock()
                broadcasts += 1
                try:
                    bundle_id = await self._broadcast(raw) or bundle_id
                except (RpcTransportError, NoHealthyEndpoint, JitoError) as exc:
                    failures += 1  # the next rebroadcast tries again
                    log.warning("broadcast %d of %s failed: %s", broadcasts, signature[:12], exc)
                if broadcasts > 1:
                    log.info("rebroadcast %d of %s", broadcasts - 1, signature[:12])
            status = await self._status(signature)
            if status is not None:
                seen = status
                if status.reached(pol.commitment):
                    return LandingResult(
                        signature,
                        "confirmed" if status.err is None else "failed",
                        status.err,
                        status.slot,
                        broadcasts,
                        failures,
                        pol.route,
                        bundle_id,
                    )
            elif await self._expired(signature, last_valid_block_height):
                return LandingResult(
                    signature, "expired", None, None, broadcasts, failures, pol.route, bundle_id
                )
            await asyncio.sleep(pol.poll_interval_s)

    async def _status(self, signature: str) -> SignatureStatus | None:
        try:
            (status,) = await self.rpc.get_signature_statuses([signature])
        except (RpcTransportError, NoHealthyEndpoint) as exc:
            log.warning("status of %s unavailable: %s", signature[:12], exc)
            return None
        return status

    async def _expired(self, signature: str, last_valid_block_height: int) -> bool:
        try:
            height = await self.rpc.get_block_height()
        except (RpcTransportError, NoHealthyEndpoint):
            return False  # unknown: keep waiting, never assume expiry
        if height <= last_valid_block_height:
            return False
        # past the window: one last look, history included, before declaring it expired
        try:
            (status,) = await self.rpc.get_signature_statuses([signature], search_history=True)
        except (RpcTransportError, NoHealthyEndpoint):
            return False
        return status is None
