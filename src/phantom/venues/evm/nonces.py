"""Local nonce manager for one sender address, reconciled with the node's pending nonce.

* :meth:`NonceManager.reserve` hands out ``max(local next, eth_getTransactionCount(addr,
  "pending"))`` (or a released hole first), under a lock, so concurrent sends never share a nonce
  and a transaction sent elsewhere (another process, a wallet) is never overwritten.
* :meth:`release` gives a nonce back after a *definite* broadcast rejection; a later send reuses
  it, so no gap is left behind.
* :meth:`reconcile` runs after a restart: given the journal's records (nonce -> tx hash, or None
  when the crash came between reserving and broadcasting) it asks the node which nonces are mined,
  which are still known (mempool) and which are *missing* (a gap: every later nonce is stuck until
  it is filled). Missing nonces become holes that the next :meth:`reserve` calls return first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from phantom.venues.evm.rpc import RpcClient

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NonceReport:
    """What :meth:`NonceManager.reconcile` found. Nonce lists are sorted."""

    address: str
    mined_count: int
    pending_count: int
    confirmed: list[int] = field(default_factory=list)
    in_mempool: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    next_nonce: int = 0

    @property
    def has_gap(self) -> bool:
        """True when a nonce is missing below a later recorded one (later txs are stuck)."""
        return bool(self.missing) and any(n > min(self.missing) for n in self.in_mempool)


class NonceManager:
    """Nonces of ``address`` on the node behind ``rpc``. One instance per sender and chain."""

    def __init__(self, rpc: RpcClient, address: str) -> None:
        self._rpc = rpc
        self.address = address
        self._lock = asyncio.Lock()
        self._next: int | None = None
        self._holes: set[int] = set()
        self._records: dict[int, str | None] = {}

    def __repr__(self) -> str:
        return f"NonceManager({self.address}, next={self._next}, holes={sorted(self._holes)})"

    @property
    def records(self) -> dict[int, str | None]:
        """Nonces reserved or sent and not yet confirmed: nonce -> tx hash (None: not sent)."""
        return dict(self._records)

    async def reserve(self) -> int:
        """The next nonce to sign with; recorded as reserved until :meth:`mark_sent`."""
        async with self._lock:
            pending = await self._rpc.get_transaction_count(self.address, "pending")
            self._holes = {h for h in self._holes if h >= pending}
            if self._holes:
                nonce = min(self._holes)
                self._holes.discard(nonce)
            else:
                nonce = max(self._next or 0, pending)
            self._next = max(self._next or 0, pending, nonce + 1)
            self._records[nonce] = None
            return nonce

    def mark_sent(self, nonce: int, tx_hash: str) -> None:
        """The node accepted (or may have accepted) ``tx_hash`` at ``nonce``."""
        self._records[nonce] = tx_hash
        self._holes.discard(nonce)
        if self._next is not None and nonce >= self._next:
            self._next = nonce + 1

    def release(self, nonce: int) -> None:
        """Give back a nonce whose broadcast was definitely rejected (nothing is in flight)."""
        self._records.pop(nonce, None)
        if self._next is not None and nonce == self._next - 1:
            self._next = nonce
            while self._next - 1 in self._holes:
                self._next -= 1
                self._holes.discard(self._next)
        else:
            self._holes.add(nonce)

    def confirm(self, nonce: int) -> None:
        """A receipt exists for ``nonce``: forget it and every lower record."""
        for n in [n for n in self._records if n <= nonce]:
            del self._records[n]
        self._holes = {h for h in self._holes if h > nonce}

    async def reconcile(self, records: Mapping[int, str | None] | None = None) -> NonceReport:
        """Compare local/journal records with the chain and repair the local state.

        ``records`` (e.g. read back from the journal after a crash) are merged with what this
        instance already knows. Returns a :class:`NonceReport`; afterwards :meth:`reserve`
        hands out the missing nonces first, lowest first.
        """
        async with self._lock:
            merged = dict(self._records)
            for nonce, tx_hash in (records or {}).items():
                if tx_hash is not None or nonce not in merged:
                    merged[nonce] = tx_hash
            mined = await self._rpc.get_transaction_count(self.address, "latest")
            pending = await self._rpc.get_transaction_count(self.address, "pending")
            confirmed: list[int] = []
            known: list[int] = []
            missing: list[int] = []
            for nonce in sorted(merged):
                tx_hash = merged[nonce]
                if nonce < mined:
                    confirmed.append(nonce)
                elif nonce < pending or (
                    tx_hash is not None and await self._rpc.get_transaction(tx_hash) is not None
                ):
                    known.append(nonce)
                else:
                    missing.append(nonce)
            # Nonces between the mined count and the highest known one that nobody recorded are
            # gaps too (e.g. a reservation that never reached the journal).
            top = max(known, default=-1)
            for nonce in range(max(mined, pending), top):
                if nonce not in merged:
                    missing.append(nonce)
            missing.sort()
            self._records = {n: merged[n] for n in known}
            self._holes = set(missing)
            self._next = max(pending, mined, top + 1, max(missing, default=-1) + 1)
            next_nonce = min(missing) if missing else self._next
            report = NonceReport(
                address=self.address,
                mined_count=mined,
                pending_count=pending,
                confirmed=confirmed,
                in_mempool=known,
                missing=missing,
                next_nonce=next_nonce,
            )
            if missing:
                log.warning(
                    "nonce gap for %s: missing %s, stuck behind them %s",
                    self.address,
                    missing,
                    [n for n in known if n > missing[0]],
                )
            return report
