"""Fixtures: local stub servers of Hyperliquid and Binance USD-M with recorded payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from perp_support import CCXT_FIXTURES, Stub, serve


@pytest.fixture
def hyperliquid_stub() -> Iterator[Stub]:
    recorded = json.loads((CCXT_FIXTURES / "hyperliquid.json").read_text())

    def handle(method: str, path: str, body: Any) -> tuple[int, Any]:
        if path == "/info":
            kind = body.get("type") if isinstance(body, dict) else None
            if kind in recorded:
                return 200, recorded[kind]
            return 200, {}  # spotMeta, userAbstraction...: nothing this test relies on
        if path == "/exchange":
            action = (body or {}).get("action", {}).get("type")
            return 200, recorded.get(f"exchange.{action}", recorded["exchange.default"])
        return 404, {"error": f"no route {path}"}

    yield from serve(handle)


@pytest.fixture
def binance_stub() -> Iterator[Stub]:
    rows = json.loads((CCXT_FIXTURES / "binanceusdm_fundingRate_SOLUSDT.json").read_text())

    def handle(method: str, path: str, body: Any) -> tuple[int, Any]:
        if path.startswith("/fapi/v1/fundingRate"):
            return 200, rows
        return 404, {"code": -1, "msg": f"no route {path}"}

    yield from serve(handle)
