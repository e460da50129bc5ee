"""Jito block-engine client: ``sendTransaction`` (bundle-only), ``sendBundle``, tip accounts and
bundle statuses (JSON-RPC over HTTP at ``<base>/api/v1/transactions`` and ``/api/v1/bundles``).

The base URL and the optional ``x-jito-auth`` UUID come from settings; the UUID is a secret and is
never logged. Transactions travel base64-encoded.
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from phantom.venues.solana.errors import JitoError
from phantom.venues.solana.router import redact_url

MIN_TIP_LAMPORTS = 1000


class BundleStatus(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    bundle_id: str
    transactions: list[str]
    slot: int
    confirmation_status: str | None = None
    err: Any = None


class _Ctx(BaseModel):
    value: list[BundleStatus | None]


_TIPS = TypeAdapter(list[str])


class JitoClient:
    def __init__(
        self,
        base_url: str,
        *,
        auth_uuid: SecretStr | None = None,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self.endpoint = redact_url(base_url)
        self._auth = auth_uuid
        self._timeout = timeout_s
        self._own = client is None
        self._client = client or httpx.AsyncClient()
        self._ids = itertools.count(1)
        self.tip_accounts: list[str] = []

    def __repr__(self) -> str:
        return f"JitoClient({self.endpoint})"

    async def aclose(self) -> None:
        if self._own:
            await self._client.aclose()

    async def _rpc(
        self, path: str, method: str, params: list[Any], query: dict[str, str] | None = None
    ) -> tuple[Any, httpx.Headers]:
        headers = {"content-type": "application/json"}
        if self._auth is not None and self._auth.get_secret_value():
            headers["x-jito-auth"] = self._auth.get_secret_value()
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            resp = await self._client.post(
                self._base + path,
                params=query,
                content=orjson.dumps(body),
                headers=headers,
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise JitoError(f"{method}: {type(exc).__name__} ({self.endpoint})") from None
        if resp.status_code == 429:
            raise JitoError(f"{method}: HTTP 429 rate limited ({self.endpoint})")
        if resp.status_code != 200:
            raise JitoError(f"{method}: HTTP {resp.status_code} ({self.endpoint})")
        try:
            payload = orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            raise JitoError(f"{method}: the response is not JSON") from None
        if not isinstance(payload, dict):
            raise JitoError(f"{method}: not a JSON-RPC response")
        if payload.get("error") is not None:
            error = payload["error"]
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            raise JitoError(f"{method}: {str(message)[:300]}")
        return payload.get("result"), resp.headers

    async def get_tip_accounts(self) -> list[str]:
        result, _ = await self._rpc("/api/v1/bundles", "getTipAccounts", [])
        try:
            tips = _TIPS.validate_python(result)
        except ValidationError:
            raise JitoError("getTipAccounts: malformed result") from None
        if not tips:
            raise JitoError("getTipAccounts returned no accounts")
        self.tip_accounts = tips
        return tips

    async def send_transaction(
        self, raw: bytes, *, bundle_only: bool = True
    ) -> tuple[str, str | None]:
        """``(signature, bundle id or None)``."""
        query = {"bundleOnly": "true"} if bundle_only else None
        params = [base64.b64encode(raw).decode(), {"encoding": "base64"}]
        result, headers = await self._rpc("/api/v1/transactions", "sendTransaction", params, query)
        if not isinstance(result, str):
            raise JitoError("sendTransaction: malformed result")
        return result, headers.get("x-bundle-id")

    async def send_bundle(self, raws: list[bytes]) -> str:
        if not 1 <= len(raws) <= 5:
            raise ValueError("a bundle holds 1 to 5 transactions")
        blobs = [base64.b64encode(r).decode() for r in raws]
        result, _ = await self._rpc(
            "/api/v1/bundles", "sendBundle", [blobs, {"encoding": "base64"}]
        )
        if not isinstance(result, str):
            raise JitoError("sendBundle: malformed result")
        return result

    async def get_bundle_statuses(self, bundle_ids: list[str]) -> list[BundleStatus | None]:
        result, _ = await self._rpc("/api/v1/bundles", "getBundleStatuses", [bundle_ids])
        try:
            return _Ctx.model_validate(result).value
        except ValidationError:
            raise JitoError("getBundleStatuses: malformed result") from None


class TipPolicy(BaseModel):
    """The tip added to a Jito-sent swap (settings)."""

    model_config = ConfigDict(frozen=True)

    tip_lamports: int = Field(default=MIN_TIP_LAMPORTS, ge=MIN_TIP_LAMPORTS)
