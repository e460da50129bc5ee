"""Typed errors of the EVM venue.

Every error message is safe to log: no private key, keystore password or full RPC URL (URLs often
carry an API key) is ever put into one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phantom.venues.evm.revert import RevertReason
    from phantom.venues.evm.txmanager import SentTx


class EvmError(Exception):
    """Base class of every error raised by :mod:`phantom.venues.evm`."""


class UnknownChain(EvmError, LookupError):
    """A chain name or id that is not in the registry (or was superseded)."""


# --- JSON-RPC --------------------------------------------------------------------------------


class RpcError(EvmError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None, *, method: str = "") -> None:
        self.code = code
        self.message = message
        self.data = data
        self.method = method
        where = f"{method}: " if method else ""
        super().__init__(f"{where}JSON-RPC error {code}: {message}")


class RpcTransportError(EvmError):
    """The request did not produce a JSON-RPC answer (connection, HTTP status, bad body)."""

    def __init__(self, message: str, *, method: str = "", status: int | None = None) -> None:
        self.method = method
        self.status = status
        super().__init__(f"{method}: {message}" if method else message)


class RpcTimeout(RpcTransportError):
    """No answer within the client's timeout. A write (``eth_sendRawTransaction``) may still
    have reached the node: treat its outcome as unknown and reconcile by nonce."""


class MalformedResponse(RpcTransportError):
    """The answer was JSON-RPC, but its result does not match the expected schema."""


# --- fees, nonces, transactions ----------------------------------------------------------------


class FeeCapExceeded(EvmError):
    """Pricing would pay more than a configured cap: abort instead of overpaying."""

    def __init__(self, what: str, needed_wei: int, cap_wei: int) -> None:
        self.what = what
        self.needed_wei = needed_wei
        self.cap_wei = cap_wei
        super().__init__(
            f"{what} {needed_wei} wei ({needed_wei / 1e9:.4f} gwei) exceeds the cap "
            f"{cap_wei} wei ({cap_wei / 1e9:.4f} gwei); not sending"
        )


class SimulationReverted(EvmError):
    """``eth_call`` (or ``eth_estimateGas``) reverted: nothing was signed or sent."""

    def __init__(self, reason: RevertReason, *, stage: str = "eth_call") -> None:
        self.reason = reason
        self.stage = stage
        super().__init__(f"simulation reverted in {stage}: {reason}")


class BroadcastFailed(EvmError):
    """The node rejected ``eth_sendRawTransaction``. For a first send the nonce was released
    (nothing is in flight); for a replacement the earlier transaction stays in flight."""

    def __init__(self, nonce: int, cause: RpcError) -> None:
        self.nonce = nonce
        self.cause = cause
        super().__init__(f"broadcast of nonce {nonce} rejected: {cause.message}")


class BroadcastUncertain(EvmError):
    """``eth_sendRawTransaction`` got no answer (timeout, connection lost): the node may or may
    not have the transaction. The nonce stays reserved; ``sent`` lets the caller wait on it,
    replace it or cancel it."""

    def __init__(self, sent: SentTx, cause: RpcTransportError) -> None:
        self.sent = sent
        self.tx_hash = sent.tx_hash
        self.nonce = sent.nonce
        self.cause = cause
        super().__init__(f"broadcast of {sent.tx_hash} (nonce {sent.nonce}) uncertain: {cause}")


class ReceiptTimeout(EvmError):
    """No receipt within the timeout. Carries what the caller needs to replace or cancel."""

    def __init__(self, tx_hash: str, nonce: int, timeout_s: float) -> None:
        self.tx_hash = tx_hash
        self.nonce = nonce
        self.timeout_s = timeout_s
        super().__init__(f"no receipt for {tx_hash} (nonce {nonce}) within {timeout_s:g}s")


class TxDropped(EvmError):
    """The nonce was consumed on-chain by a transaction this manager did not send."""

    def __init__(self, tx_hash: str, nonce: int) -> None:
        self.tx_hash = tx_hash
        self.nonce = nonce
        super().__init__(f"nonce {nonce} was used by another transaction; {tx_hash} dropped")


class SigningError(EvmError):
    """Signing failed. The message names the failure type only, never key material."""


# --- wallet and relay --------------------------------------------------------------------------


class KeystoreError(EvmError):
    """A keystore file is missing, malformed, or would be overwritten."""


class WrongPassword(KeystoreError):
    """The keystore password does not decrypt the file (MAC mismatch)."""


class RelayError(EvmError):
    """A private relay (Flashbots-style) refused the request."""
