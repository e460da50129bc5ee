"""Jupiter Swap API v1 client: ``/quote``, ``/swap``, ``/swap-instructions``.

The base URL (e.g. ``https://api.jup.ag/swap/v1``) and the optional API key (sent as the
``x-api-key`` header) come from settings; the key is a ``SecretStr`` and never appears in a repr,
log or error. Every response is validated with :mod:`jupiter_models`; a malformed one raises
:class:`JupiterError` naming the endpoint and the first offending field.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import httpx
import orjson
from pydantic import BaseModel, SecretStr, ValidationError

from phantom.venues.solana.errors import JupiterError
from phantom.venues.solana.jupiter_models import (
    JupiterErrorBody,
    QuoteRequest,
    QuoteResponse,
    SwapInstructionsResponse,
    SwapRequest,
    SwapResponse,
)
from phantom.venues.solana.router import redact_url

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class JupiterClient:
    """Async client. Use ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: SecretStr | None = None,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self.endpoint = redact_url(base_url)
        self._api_key = api_key
        self._timeout = timeout_s
        self._own = client is None
        self._client = client or httpx.AsyncClient()

    def __repr__(self) -> str:
        keyed = ", api key set" if self._api_key else ""
        return f"JupiterClient({self.endpoint}{keyed})"

    async def __aenter__(self) -> JupiterClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own:
            await self._client.aclose()

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json"}
        if self._api_key is not None and self._api_key.get_secret_value():
            headers["x-api-key"] = self._api_key.get_secret_value()
        return headers

    async def quote(self, request: QuoteRequest) -> QuoteResponse:
        return await self._call("GET", "/quote", QuoteResponse, params=request.params())

    async def swap(self, request: SwapRequest) -> SwapResponse:
        return await self._call("POST", "/swap", SwapResponse, body=request.wire())

    async def swap_instructions(self, request: SwapRequest) -> SwapInstructionsResponse:
        return await self._call(
            "POST", "/swap-instructions", SwapInstructionsResponse, body=request.wire()
        )

    async def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> M:
        try:
            resp = await self._client.request(
                method,
                self._base + path,
                params=params,
                content=orjson.dumps(body) if body is not None else None,
                headers={**self._headers(), "content-type": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TimeoutException:
            raise JupiterError(f"{path} timed out ({self.endpoint})") from None
        except httpx.HTTPError as exc:
            raise JupiterError(f"{path} failed: {type(exc).__name__} ({self.endpoint})") from None
        try:
            payload = orjson.loads(resp.content) if resp.content else None
        except orjson.JSONDecodeError:
            payload = None
        if resp.status_code != 200:
            detail = JupiterErrorBody.model_validate(payload if isinstance(payload, dict) else {})
            message = detail.error or ("rate limited" if resp.status_code == 429 else "refused")
            raise JupiterError(
                f"{path}: {message[:300]}", status=resp.status_code, code=detail.error_code
            )
        if not isinstance(payload, dict):
            raise JupiterError(f"{path}: the response body is not a JSON object")
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(body)"
            raise JupiterError(
                f"{path}: malformed response, field {where}: {first['msg']}"
            ) from None
