"""Typed errors of the Solana venue.

Every message is safe to log: no private key, seed, keystore password, API key or full endpoint
URL (paths and queries often carry API keys) is ever put into one.
"""

from __future__ import annotations

from typing import Any


class SolanaError(Exception):
    """Base class of every error raised by :mod:`phantom.venues.solana`."""


# --- JSON-RPC and the router -------------------------------------------------------------------


class RpcError(SolanaError):
    """The node answered with a JSON-RPC error object (a definite answer: no failover)."""

    def __init__(self, code: int, message: str, data: Any = None, *, method: str = "") -> None:
        self.code = code
        self.message = message
        self.data = data
        self.method = method
        where = f"{method}: " if method else ""
        super().__init__(f"{where}JSON-RPC error {code}: {message}")

    @property
    def logs(self) -> list[str]:
        """``data.logs`` of a preflight failure (-32002), else empty."""
        if isinstance(self.data, dict):
            logs = self.data.get("logs")
            if isinstance(logs, list):
                return [str(line) for line in logs]
        return []


class RpcTransportError(SolanaError):
    """No usable JSON-RPC answer: connection failure, HTTP status, non-JSON body."""

    def __init__(
        self, message: str, *, method: str = "", status: int | None = None, endpoint: str = ""
    ) -> None:
        self.method = method
        self.status = status
        self.endpoint = endpoint
        prefix = " ".join(p for p in (endpoint, method) if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class RpcTimeout(RpcTransportError):
    """No answer in time. A ``sendTransaction`` may still have reached the node."""


class RateLimited(RpcTransportError):
    """HTTP 429 from the endpoint."""


class NodeBehind(RpcTransportError):
    """The node reported itself behind/unhealthy (JSON-RPC -32005 or -32016)."""


class MalformedResponse(RpcTransportError):
    """The answer does not match the expected schema."""


class NoHealthyEndpoint(SolanaError):
    """Every endpoint of the router is blacklisted (cooling down) or was tried and failed."""


# --- Jupiter, Jito ------------------------------------------------------------------------------


class JupiterError(SolanaError):
    """The Jupiter API refused a request (HTTP status and Jupiter's ``errorCode`` when given)."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        self.status = status
        self.code = code
        tag = f" [{code}]" if code else ""
        where = f"HTTP {status}{tag}: " if status is not None else f"{tag.strip()} " if tag else ""
        super().__init__(f"jupiter {where}{message}")


class JitoError(SolanaError):
    """The block engine refused a request."""


# --- wallet and keystore ------------------------------------------------------------------------


class KeystoreError(SolanaError):
    """A key file or keystore is missing, malformed, or would be overwritten."""


class WrongPassword(KeystoreError):
    """The password does not decrypt the keystore (authentication tag mismatch)."""


class MonitorOnly(SolanaError):
    """No signing key is configured: the venue can read but never sign or send."""


# --- swaps and landing --------------------------------------------------------------------------


class TransactionRejected(SolanaError):
    """A built transaction failed a safety check before signing (wrong payer, missing tip...)."""
