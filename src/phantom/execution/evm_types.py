"""Value types of live EVM execution: the venue's configuration, per-intent reports and results,
and the signing context the write-ahead hook reads."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.venues.evm.fees import FeePolicy
from phantom.venues.evm.models import Receipt

ResultKind = Literal["landed", "reverted", "cancelled", "refused", "unresolved"]


@dataclass(frozen=True, slots=True)
class EvmVenueConfig:
    chain_id: int
    rpc_url: str
    arb_contract: str
    pair_address: Mapping[str, str]  # pool id -> pair address
    tokens: Mapping[str, Token]  # lower-case token address -> token
    native: Token
    fee_policy: FeePolicy
    receipt_timeout_s: float = 60.0
    poll_interval_s: float = 0.05
    gas_buffer_pct: int = 20
    min_gas_limit: int = 0  # floor on estimate x (1 + buffer); EIP-1559 charges gas used only
    #: A known bound on the call's gas: used as the limit, and eth_estimateGas is skipped
    #: (a second execution on the critical path). None: estimate (+ buffer, >= the floor).
    fixed_gas_limit: int | None = None
    fee_cache_s: float = 0.5  # eth_feeHistory answers reused this long (kept warm per head)
    cancel_bump_pct: int = 10
    relay_url: str | None = None


@dataclass(slots=True)
class TxReport:
    """What one intent's execution looked like: predictions, the receipt, timings
    (``time.perf_counter`` seconds)."""

    intent_id: str
    route: str
    predicted_profit: int | None = None  # base units, pools' state at submit
    simulated_profit: int | None = None  # base units, eth_call
    realized_profit: int | None = None  # base units, Transfer logs
    min_profit: int | None = None
    tx_hash: str | None = None
    nonce: int | None = None
    gas_used: int | None = None
    effective_gas_price: int | None = None
    base_fee_wei: int | None = None
    block_number: int | None = None
    outcome: str = "pending"
    t_submit: float = 0.0
    t_simulated: float | None = None
    t_signed: float | None = None
    t_sent: float | None = None
    t_receipt: float | None = None


@dataclass(frozen=True, slots=True)
class TxResult:
    """A finished execution, before it becomes a fill (built on the caller's thread)."""

    intent: OrderIntent
    kind: ResultKind
    reason: str = ""
    receipt: Receipt | None = None
    base_fee_wei: int = 0
    sent_at: float = 0.0
    arrived_at: float = 0.0
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Signing:
    """Which intent the transaction being signed belongs to (read by the ``on_signed`` hook)."""

    intent_id: str
    route: str
    purpose: str


_SIGNING: contextvars.ContextVar[Signing | None] = contextvars.ContextVar(
    "phantom_evm_signing", default=None
)


def set_signing(intent_id: str, route: str, purpose: str) -> None:
    """Tag every transaction the current asyncio task signs from now on (tasks copy the
    context, so concurrent executions never see each other's tag)."""
    _SIGNING.set(Signing(intent_id, route, purpose))


def current_signing() -> Signing | None:
    return _SIGNING.get()
