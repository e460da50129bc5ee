"""A lean HTTP/1.1 keep-alive transport for JSON-RPC to a node on the loopback interface.

Measured on the devnet box, one ``eth_blockNumber`` to anvil costs about 1.5 ms through httpx's
default connection pool (httpcore + anyio) and about 0.1 ms over a raw socket. A live send makes
five or six calls before its transaction is out (``eth_call``, ``eth_estimateGas``,
``eth_feeHistory``, ``eth_getTransactionCount``, ``eth_sendRawTransaction``), so the pool alone
would eat the whole signal-to-send budget. :class:`LoopbackTransport` is an
``httpx.AsyncBaseTransport`` that speaks plain HTTP/1.1 over asyncio streams with a small pool
of kept-alive connections; :func:`rpc_http_client` uses it for ``http://`` loopback endpoints and
the standard transport for everything else (TLS, remote hosts).

It never retries a request the server may have seen: a reused connection that turns out to be
closed *before any byte of an answer arrived* is retried once on a fresh connection (the server
closed the idle connection; JSON-RPC writes here are idempotent by transaction hash anyway).
Timeouts and connection failures surface as the httpx exceptions ``RpcClient`` maps to its
typed errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from phantom.venues.evm.models import FeeHistory
from phantom.venues.evm.rpc import BlockRef, RpcClient

_SKIP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "te"})
MAX_IDLE = 16


@dataclass(slots=True)
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reused: bool = False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class _ClosedBeforeAnswer(Exception):
    """The server closed a kept-alive connection before answering (safe to retry once)."""


def is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class LoopbackTransport(httpx.AsyncBaseTransport):
    """Plain-HTTP/1.1 transport with kept-alive connections (loopback nodes only)."""

    def __init__(self, max_idle: int = MAX_IDLE) -> None:
        self._idle: dict[tuple[str, int], list[_Conn]] = {}
        self._max_idle = max_idle
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(
                "LoopbackTransport speaks plain http only", request=request
            )
        body = await request.aread()
        host = request.url.host
        port = request.url.port or 80
        timeouts = request.extensions.get("timeout", {})
        connect_s = timeouts.get("connect") or 10.0
        read_s = timeouts.get("read") or 10.0
        head = self._head(request, host, port, len(body))
        conn = await self._acquire(host, port, connect_s, request)
        try:
            try:
                status, headers, content, keep = await self._exchange(conn, head + body, read_s)
            except _ClosedBeforeAnswer:
                if not conn.reused:
                    raise httpx.RemoteProtocolError(
                        "server closed the connection without answering", request=request
                    ) from None
                conn.close()
                conn = await self._connect(host, port, connect_s, request)
                status, headers, content, keep = await self._exchange(conn, head + body, read_s)
        except TimeoutError:
            conn.close()
            raise httpx.ReadTimeout(f"no answer within {read_s:g}s", request=request) from None
        except (OSError, asyncio.IncompleteReadError, _ClosedBeforeAnswer, ValueError) as exc:
            conn.close()
            raise httpx.ReadError(
                f"connection failed: {type(exc).__name__}", request=request
            ) from None
        except BaseException:
            conn.close()  # cancelled mid-request: the connection's state is unknown
            raise
        if keep:
            self._release(host, port, conn)
        else:
            conn.close()
        return httpx.Response(status, headers=headers, content=content, request=request)

    @staticmethod
    def _head(request: httpx.Request, host: str, port: int, length: int) -> bytes:
        target = request.url.raw_path.decode("ascii") or "/"
        lines = [f"{request.method} {target} HTTP/1.1", f"Host: {host}:{port}"]
        for name, value in request.headers.items():
            if name.lower() not in _SKIP_HEADERS:
                lines.append(f"{name}: {value}")
        lines += [f"Content-Length: {length}", "Connection: keep-alive", "", ""]
        return "\r\n".join(lines).encode("latin-1")

    async def _acquire(
        self, host: str, port: int, connect_s: float, request: httpx.Request
    ) -> _Conn:
        pool = self._idle.get((host, port))
        while pool:
            conn = pool.pop()
            if not conn.reader.at_eof() and not conn.writer.is_closing():
                conn.reused = True
                return conn
            conn.close()
        return await self._connect(host, port, connect_s, request)

    @staticmethod
    async def _connect(host: str, port: int, connect_s: float, request: httpx.Request) -> _Conn:
        try:
            async with asyncio.timeout(connect_s):
                reader, writer = await asyncio.open_connection(host, port)
        except TimeoutError:
            raise httpx.ConnectTimeout(
                f"connect timed out after {connect_s:g}s", request=request
            ) from None
        except OSError as exc:
            raise httpx.ConnectError(
                f"cannot connect: {type(exc).__name__}", request=request
            ) from None
        return _Conn(reader, writer)

    def _release(self, host: str, port: int, conn: _Conn) -> None:
        pool = self._idle.setdefault((host, port), [])
        if self._closed or len(pool) >= self._max_idle:
            conn.close()
            return
        pool.append(conn)

    @staticmethod
    async def _exchange(
        conn: _Conn, payload: bytes, read_s: float
    ) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        async with asyncio.timeout(read_s):
            conn.writer.write(payload)
            await conn.writer.drain()
            try:
                raw_head = await conn.reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if not exc.partial:
                    raise _ClosedBeforeAnswer from None
                raise
            status_line, *header_lines = raw_head[:-4].decode("latin-1").split("\r\n")
            version, _, rest = status_line.partition(" ")
            status = int(rest.split(" ", 1)[0])
            headers: list[tuple[str, str]] = []
            length: int | None = None
            chunked = False
            keep = version == "HTTP/1.1"
            for line in header_lines:
                name, _, value = line.partition(":")
                name, value = name.strip(), value.strip()
                lower = name.lower()
                if lower == "content-length":
                    length = int(value)
                elif lower == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
                    continue  # the body handed to httpx is de-chunked
                elif lower == "connection":
                    keep = value.lower() == "keep-alive" or (keep and value.lower() != "close")
                headers.append((name, value))
            if chunked:
                content = await _read_chunked(conn.reader)
            elif length is not None:
                content = await conn.reader.readexactly(length)
            else:
                content = await conn.reader.read()
                keep = False
            return status, headers, content, keep

    async def aclose(self) -> None:
        self._closed = True
        for pool in self._idle.values():
            for conn in pool:
                conn.close()
        self._idle.clear()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            # trailers, then the final CRLF
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def rpc_http_client(url: str) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for ``url``: the lean transport for a loopback ``http://`` node,
    the standard one otherwise. The caller closes it (``await client.aclose()``)."""
    if is_loopback_http(url):
        return httpx.AsyncClient(transport=LoopbackTransport())
    return httpx.AsyncClient()


class VenueRpc(RpcClient):
    """The live client's RPC: two shortcuts on the send path, both bounded in age.

    - ``eth_feeHistory`` answers are reused for ``fee_cache_s`` (the base fee moves at most
      12.5 % a block and a quote's ``maxFeePerGas`` has twice the base fee of headroom);
    - a pending nonce read ahead of time with :meth:`prime_pending_count` (concurrently with the
      simulation) answers the transaction manager's next ``eth_getTransactionCount(pending)``
      once, within ``primed_s``. The nonce manager takes the larger of it and its own next nonce,
      and one live engine at a time owns the key, so an early read cannot go stale.
    """

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient,
        fee_cache_s: float = 0.5,
        primed_s: float = 0.25,
    ) -> None:
        super().__init__(url, client=client)
        self.fee_cache_s = fee_cache_s
        self.primed_s = primed_s
        self._fees: tuple[float, tuple[object, ...], FeeHistory] | None = None
        self._primed: dict[str, tuple[float, int]] = {}

    async def fee_history(
        self, block_count: int, newest: BlockRef = "latest", percentiles: Sequence[float] = ()
    ) -> FeeHistory:
        key = (block_count, newest, tuple(percentiles))
        cached = self._fees
        if (
            cached is not None
            and cached[1] == key
            and time.monotonic() - cached[0] < self.fee_cache_s
        ):
            return cached[2]
        history = await super().fee_history(block_count, newest, percentiles)
        self._fees = (time.monotonic(), key, history)
        return history

    async def prime_pending_count(self, address: str) -> int:
        count = await super().get_transaction_count(address, "pending")
        self._primed[address.lower()] = (time.monotonic(), count)
        return count

    async def get_transaction_count(self, address: str, block: BlockRef = "pending") -> int:
        if block == "pending":
            primed = self._primed.pop(address.lower(), None)
            if primed is not None and time.monotonic() - primed[0] < self.primed_s:
                return primed[1]
        return await super().get_transaction_count(address, block)
