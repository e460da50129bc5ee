"""The smart RPC router: a weighted pool of Solana JSON-RPC endpoints with health and failover.

- **Health.** Each endpoint keeps an EWMA of its latency and counts of its requests, successes and
  failures by kind. The best endpoint is the one with the highest
  ``weight / (1 + ewma_ms / latency_scale_ms) / (1 + consecutive_failures)``; ties go to the
  earlier endpoint in the configured list.
- **Blacklisting.** HTTP 429, HTTP 5xx (and other non-200 statuses), timeouts, connection failures,
  unparseable bodies and node-behind errors (JSON-RPC -32005 ``NODE_UNHEALTHY``, -32016
  ``MIN_CONTEXT_SLOT_NOT_REACHED``) put the endpoint on a cooldown: ``cooldown_s`` doubled for each
  consecutive blacklisting up to ``max_cooldown_s``, or the ``Retry-After`` of a 429 when longer.
- **Failover keeps requests idempotent.** Only idempotent requests are retried on another endpoint:
  reads, ``simulateTransaction`` and ``sendTransaction`` (the same signed bytes carry the same
  signature, so a second delivery cannot execute twice). Any other method is sent once; a failure
  is raised to the caller. A JSON-RPC error object is a definite answer and is raised as
  :class:`RpcError` without failover (except the node-behind codes).

Endpoints appear in logs, stats and errors as ``scheme://host[:port]`` only (or a configured name):
URL paths and queries often carry API keys.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from phantom.venues.solana.errors import (
    MalformedResponse,
    NodeBehind,
    NoHealthyEndpoint,
    RateLimited,
    RpcError,
    RpcTimeout,
    RpcTransportError,
)

log = logging.getLogger(__name__)

NODE_BEHIND_CODES = frozenset({-32005, -32016})
IDEMPOTENT_METHODS = frozenset(
    {
        "getAccountInfo",
        "getBalance",
        "getBlockHeight",
        "getEpochInfo",
        "getFeeForMessage",
        "getGenesisHash",
        "getHealth",
        "getLatestBlockhash",
        "getMinimumBalanceForRentExemption",
        "getMultipleAccounts",
        "getProgramAccounts",
        "getRecentPrioritizationFees",
        "getSignatureStatuses",
        "getSignaturesForAddress",
        "getSlot",
        "getTokenAccountBalance",
        "getTokenAccountsByOwner",
        "getTransaction",
        "getVersion",
        "isBlockhashValid",
        "simulateTransaction",
        "sendTransaction",  # the same signed bytes: same signature, executes at most once
    }
)


def redact_url(url: str) -> str:
    """``scheme://host[:port]`` of an endpoint (paths and queries may carry API keys)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}"


class EndpointConfig(BaseModel):
    """One RPC endpoint. ``headers`` may hold credentials; they are never logged."""

    model_config = ConfigDict(frozen=True)

    url: str
    weight: float = Field(default=1.0, gt=0)
    name: str = ""
    headers: dict[str, str] = Field(default_factory=dict, repr=False)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("an RPC endpoint URL must start with http:// or https://")
        return value

    def __repr__(self) -> str:
        return f"EndpointConfig({self.label!r}, weight={self.weight})"

    @property
    def label(self) -> str:
        return self.name or redact_url(self.url)


class RouterPolicy(BaseModel):
    """Health and failover tuning (all from settings)."""

    model_config = ConfigDict(frozen=True)

    timeout_s: float = Field(default=10.0, gt=0)
    cooldown_s: float = Field(default=30.0, ge=0)
    max_cooldown_s: float = Field(default=300.0, ge=0)
    ewma_alpha: float = Field(default=0.3, gt=0, le=1)
    latency_scale_ms: float = Field(default=100.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)


@dataclass
class EndpointStats:
    """Per-endpoint counters. ``label`` is the redacted URL or the configured name."""

    label: str
    weight: float
    requests: int = 0
    successes: int = 0
    rpc_errors: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    timeouts: int = 0
    transport_errors: int = 0
    node_behind: int = 0
    consecutive_failures: int = 0
    blacklistings: int = 0
    ewma_latency_ms: float | None = None
    blacklisted_until: float = 0.0
    last_error: str = ""

    def as_dict(self, now: float) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["blacklisted"] = self.blacklisted_until > now
        out["cooldown_left_s"] = max(0.0, self.blacklisted_until - now)
        return out


@dataclass
class _Endpoint:
    config: EndpointConfig
    stats: EndpointStats
    streak: int = 0  # consecutive blacklistings (for the cooldown backoff)
    order: int = 0


class SmartRouter:
    """JSON-RPC over a weighted pool of endpoints. Use ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        endpoints: Sequence[EndpointConfig],
        policy: RouterPolicy | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not endpoints:
            raise ValueError("the router needs at least one RPC endpoint")
        self.policy = policy or RouterPolicy()
        self._clock = clock
        self._endpoints = [
            _Endpoint(e, EndpointStats(e.label, e.weight), order=i) for i, e in enumerate(endpoints)
        ]
        self._own_client = client is None
        self._client = client or httpx.AsyncClient()
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"SmartRouter({[e.config.label for e in self._endpoints]})"

    async def __aenter__(self) -> SmartRouter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    # -- selection and stats --------------------------------------------------------------------

    def stats(self) -> list[dict[str, Any]]:
        now = self._clock()
        return [e.stats.as_dict(now) for e in self._endpoints]

    def _score(self, ep: _Endpoint) -> float:
        ewma = ep.stats.ewma_latency_ms or 0.0
        latency = 1.0 + ewma / self.policy.latency_scale_ms
        return ep.config.weight / latency / (1 + ep.stats.consecutive_failures)

    def ranked(self, exclude: set[int] | None = None) -> list[_Endpoint]:
        """Available (not cooling down) endpoints, best first."""
        now = self._clock()
        skip = exclude or set()
        live = [
            e for e in self._endpoints if e.stats.blacklisted_until <= now and e.order not in skip
        ]
        return sorted(live, key=lambda e: (-self._score(e), e.order))

    def best(self) -> str:
        """The label of the endpoint the next request would use."""
        ranked = self.ranked()
        if not ranked:
            raise NoHealthyEndpoint("every RPC endpoint is cooling down")
        return ranked[0].config.label

    def _blacklist(self, ep: _Endpoint, reason: str, retry_after: float | None = None) -> None:
        ep.streak += 1
        cooldown = min(self.policy.cooldown_s * 2 ** (ep.streak - 1), self.policy.max_cooldown_s)
        if retry_after is not None:
            cooldown = max(cooldown, min(retry_after, self.policy.max_cooldown_s))
        ep.stats.blacklisted_until = self._clock() + cooldown
        ep.stats.blacklistings += 1
        log.warning("rpc %s blacklisted for %.1fs: %s", ep.config.label, cooldown, reason)

    def _record_latency(self, ep: _Endpoint, ms: float) -> None:
        prev = ep.stats.ewma_latency_ms
        a = self.policy.ewma_alpha
        ep.stats.ewma_latency_ms = ms if prev is None else a * ms + (1 - a) * prev

    # -- requests -------------------------------------------------------------------------------

    async def request(
        self, method: str, params: Sequence[Any] = (), *, idempotent: bool | None = None
    ) -> Any:
        """Send one call; returns ``result`` or raises. Idempotent calls fail over."""
        may_retry = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempts = self.policy.max_attempts if may_retry else 1
        tried: set[int] = set()
        last: RpcTransportError | None = None
        for _ in range(attempts):
            ranked = self.ranked(tried)
            if not ranked:
                break
            ep = ranked[0]
            tried.add(ep.order)
            try:
                return await self._call(ep, method, params)
            except RpcTransportError as exc:
                last = exc
                if not may_retry:
                    raise
                log.info("rpc %s failed on %s (%s); failing over", method, ep.config.label, exc)
        if last is not None:
            raise last
        raise NoHealthyEndpoint(f"{method}: every RPC endpoint is cooling down or was tried")

    async def _call(self, ep: _Endpoint, method: str, params: Sequence[Any]) -> Any:
        body = orjson.dumps(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        )
        headers = {"content-type": "application/json", **ep.config.headers}
        st = ep.stats
        st.requests += 1
        label = ep.config.label
        started = self._clock()
        try:
            resp = await self._client.post(
                ep.config.url, content=body, headers=headers, timeout=self.policy.timeout_s
            )
        except httpx.TimeoutException:
            return self._fail(
                ep, RpcTimeout("timed out", method=method, endpoint=label), "timeouts"
            )
        except httpx.HTTPError as exc:
            err = RpcTransportError(type(exc).__name__, method=method, endpoint=label)
            return self._fail(ep, err, "transport_errors")
        elapsed_ms = (self._clock() - started) * 1000.0
        if resp.status_code == 429:
            retry = _retry_after(resp.headers)
            err = RateLimited("HTTP 429 rate limited", method=method, status=429, endpoint=label)
            return self._fail(ep, err, "rate_limited", retry)
        if resp.status_code != 200:
            status = resp.status_code
            err = RpcTransportError(f"HTTP {status}", method=method, status=status, endpoint=label)
            return self._fail(ep, err, "server_errors")
        try:
            payload = orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            err = MalformedResponse("body is not JSON", method=method, endpoint=label)
            return self._fail(ep, err, "transport_errors")
        if not isinstance(payload, dict) or ("result" not in payload and "error" not in payload):
            err = MalformedResponse("not a JSON-RPC response", method=method, endpoint=label)
            return self._fail(ep, err, "transport_errors")
        self._record_latency(ep, elapsed_ms)
        error = payload.get("error")
        if error is not None:
            code, message, data = _error_fields(error)
            if code in NODE_BEHIND_CODES:
                err = NodeBehind(f"node behind ({code}: {message})", method=method, endpoint=label)
                return self._fail(ep, err, "node_behind")
            st.rpc_errors += 1
            st.consecutive_failures = 0
            ep.streak = 0
            raise RpcError(code, message, data, method=method)
        st.successes += 1
        st.consecutive_failures = 0
        ep.streak = 0
        return payload["result"]

    def _fail(
        self, ep: _Endpoint, err: RpcTransportError, counter: str, retry_after: float | None = None
    ) -> Any:
        st = ep.stats
        setattr(st, counter, getattr(st, counter) + 1)
        st.consecutive_failures += 1
        st.last_error = str(err)
        self._blacklist(ep, str(err), retry_after)
        raise err


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_fields(error: Any) -> tuple[int, str, Any]:
    if not isinstance(error, dict):
        return -32603, str(error)[:200], None
    code = error.get("code")
    return (
        code if isinstance(code, int) else -32603,
        str(error.get("message", ""))[:500],
        error.get("data"),
    )
