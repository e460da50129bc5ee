"""The smart router against stub JSON-RPC servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from phantom.localsolana.http import JsonService, LocalServer, Request, Response
from phantom.venues.solana.errors import (
    NoHealthyEndpoint,
    RateLimited,
    RpcError,
    RpcTimeout,
    RpcTransportError,
)
from phantom.venues.solana.router import EndpointConfig, RouterPolicy, SmartRouter, redact_url


class Stub(JsonService):
    """Answers every JSON-RPC call with ``behaviour(request_body)`` and counts the calls."""

    def __init__(self, name: str, behaviour: Callable[[dict[str, Any]], Response]) -> None:
        self.name = name
        self.behaviour = behaviour
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        body = orjson.loads(request.body)
        with self.lock:
            self.calls.append(body["method"])
        return self.behaviour(body)


def ok(result: Any) -> Callable[[dict[str, Any]], Response]:
    return lambda b: Response(200, {"jsonrpc": "2.0", "id": b["id"], "result": result})


def status(
    code: int, headers: dict[str, str] | None = None
) -> Callable[[dict[str, Any]], Response]:
    return lambda b: Response(code, {"error": "nope"}, headers or {})


def rpc_error(code: int, message: str) -> Callable[[dict[str, Any]], Response]:
    return lambda b: Response(
        200, {"jsonrpc": "2.0", "id": b["id"], "error": {"code": code, "message": message}}
    )


def slow(seconds: float) -> Callable[[dict[str, Any]], Response]:
    def run(b: dict[str, Any]) -> Response:
        time.sleep(seconds)
        return Response(200, {"jsonrpc": "2.0", "id": b["id"], "result": "late"})

    return run


@pytest.fixture
def serve() -> Iterator[Callable[[Stub], LocalServer]]:
    servers: list[LocalServer] = []

    def start(stub: Stub) -> LocalServer:
        server = LocalServer(stub).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_429_endpoint_is_blacklisted_and_traffic_fails_over(serve: Any) -> None:
    bad = Stub("bad", status(429, {"retry-after": "60"}))
    good = Stub("good", ok(42))
    urls = [serve(bad).url + "/secret-key-path", serve(good).url]
    # the 429 endpoint is the heavier one, so it is tried first
    endpoints = [EndpointConfig(url=urls[0], weight=5.0), EndpointConfig(url=urls[1], weight=1.0)]

    async def main() -> tuple[list[Any], list[dict[str, Any]]]:
        async with SmartRouter(endpoints, RouterPolicy(cooldown_s=30)) as router:
            results = [await router.request("getSlot") for _ in range(5)]
            return results, router.stats()

    results, stats = run(main())
    assert results == [42] * 5
    assert bad.calls == ["getSlot"]  # hit once, then cooling down
    assert len(good.calls) == 5
    assert stats[0]["rate_limited"] == 1 and stats[0]["blacklisted"]
    assert stats[0]["cooldown_left_s"] > 50  # Retry-After 60 beats the 30 s cooldown
    assert stats[1]["successes"] == 5 and not stats[1]["blacklisted"]
    assert "secret-key-path" not in repr(stats) and "secret-key-path" not in stats[0]["last_error"]


def test_cooldown_expires_and_endpoint_returns(serve: Any) -> None:
    flaky_state = {"fail": True}

    def flaky(b: dict[str, Any]) -> Response:
        if flaky_state["fail"]:
            return Response(503, {})
        return Response(200, {"jsonrpc": "2.0", "id": b["id"], "result": "primary"})

    primary = Stub("primary", flaky)
    backup = Stub("backup", ok("backup"))
    now = [1000.0]
    endpoints = [
        EndpointConfig(url=serve(primary).url, weight=10),
        EndpointConfig(url=serve(backup).url, weight=1),
    ]

    async def main() -> list[Any]:
        async with SmartRouter(endpoints, RouterPolicy(cooldown_s=5), clock=lambda: now[0]) as r:
            out = [await r.request("getBlockHeight")]
            out.append(await r.request("getBlockHeight"))  # primary still cooling down
            flaky_state["fail"] = False
            now[0] += 6
            out.append(await r.request("getBlockHeight"))
            return out

    assert run(main()) == ["backup", "backup", "primary"]
    assert primary.calls.count("getBlockHeight") == 2


def test_non_idempotent_call_is_not_retried(serve: Any) -> None:
    bad = Stub("bad", status(500))
    good = Stub("good", ok("sig"))
    endpoints = [EndpointConfig(url=serve(bad).url, weight=5), EndpointConfig(url=serve(good).url)]

    async def main() -> None:
        async with SmartRouter(endpoints) as router:
            await router.request("requestAirdrop", ["x", 1])

    with pytest.raises(RpcTransportError) as info:
        run(main())
    assert info.value.status == 500
    assert good.calls == []


def test_send_transaction_fails_over_as_the_same_bytes(serve: Any) -> None:
    bad = Stub("bad", status(429))
    good = Stub("good", ok("5igsig"))
    seen: list[list[Any]] = []

    def record(b: dict[str, Any]) -> Response:
        seen.append(b["params"])
        return ok("5igsig")(b)

    good.behaviour = record
    endpoints = [EndpointConfig(url=serve(bad).url, weight=5), EndpointConfig(url=serve(good).url)]

    async def main() -> Any:
        async with SmartRouter(endpoints) as router:
            return await router.request("sendTransaction", ["AAEC", {"encoding": "base64"}])

    assert run(main()) == "5igsig"
    assert seen == [["AAEC", {"encoding": "base64"}]]


def test_timeout_and_node_behind_blacklist(serve: Any) -> None:
    lagging = Stub("lagging", slow(1.0))
    behind = Stub("behind", rpc_error(-32005, "Node is behind by 120 slots"))
    good = Stub("good", ok(7))
    endpoints = [
        EndpointConfig(url=serve(lagging).url, weight=9, name="lagging"),
        EndpointConfig(url=serve(behind).url, weight=5, name="behind"),
        EndpointConfig(url=serve(good).url, weight=1, name="good"),
    ]

    async def main() -> tuple[Any, list[dict[str, Any]]]:
        async with SmartRouter(endpoints, RouterPolicy(timeout_s=0.2)) as router:
            return await router.request("getSlot"), router.stats()

    result, stats = run(main())
    assert result == 7
    by_name = {s["label"]: s for s in stats}
    assert by_name["lagging"]["timeouts"] == 1 and by_name["lagging"]["blacklisted"]
    assert by_name["behind"]["node_behind"] == 1 and by_name["behind"]["blacklisted"]


def test_rpc_error_is_a_definite_answer(serve: Any) -> None:
    failing = Stub("preflight", rpc_error(-32002, "Transaction simulation failed"))
    other = Stub("other", ok("never"))
    endpoints = [
        EndpointConfig(url=serve(failing).url, weight=5),
        EndpointConfig(url=serve(other).url),
    ]

    async def main() -> None:
        async with SmartRouter(endpoints) as router:
            await router.request("sendTransaction", ["AA=="])

    with pytest.raises(RpcError) as info:
        run(main())
    assert info.value.code == -32002
    assert other.calls == []


def test_all_blacklisted_raises_and_latency_ranks(serve: Any) -> None:
    a = Stub("a", status(429))
    endpoints = [EndpointConfig(url=serve(a).url)]

    async def main() -> None:
        async with SmartRouter(endpoints, RouterPolicy(max_attempts=2)) as router:
            with pytest.raises(RateLimited):
                await router.request("getSlot")
            with pytest.raises(NoHealthyEndpoint):
                await router.request("getSlot")

    run(main())

    fast = Stub("fast", ok("fast"))
    laggy = Stub("laggy", slow(0.15))
    endpoints = [
        EndpointConfig(url=serve(laggy).url, name="laggy"),
        EndpointConfig(url=serve(fast).url, name="fast"),
    ]

    async def ranking() -> str:
        async with SmartRouter(endpoints, RouterPolicy(timeout_s=2)) as router:
            await router.request("getSlot")  # laggy first (list order), measured slow
            await router.request("getSlot", idempotent=True)  # fast: no latency yet, score 1
            return router.best()

    assert run(ranking()) == "fast"


def test_timeout_is_typed_and_urls_redacted() -> None:
    assert (
        redact_url("https://rpc.example.com:8899/v1/KEY?api-key=x")
        == "https://rpc.example.com:8899"
    )
    with pytest.raises(ValueError):
        EndpointConfig(url="ws://x")
    assert issubclass(RpcTimeout, RpcTransportError)
