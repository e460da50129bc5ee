"""Where the local perp exchange's mark comes from: a fixed price, or a constant-product pool on a
Solana node (the local world's ``WSOL-USDC``), read over JSON-RPC like any client would.

The pool's price is ``quote reserve / base reserve`` in whole tokens (its vaults' SPL balances,
``getAccountInfo``); the exchange multiplies it by ``1 + basis``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx

from phantom.venues.solana.spl import parse_token_account


class MarkError(RuntimeError):
    """The mark source cannot be read (the message names what)."""


@dataclass(frozen=True, slots=True)
class FixedMark:
    price: Decimal

    def __call__(self) -> Decimal:
        return self.price


@dataclass(frozen=True, slots=True)
class PoolMark:
    """The price of ``base`` in ``quote`` in one pool, from its two vaults."""

    rpc_url: str
    base_vault: str
    quote_vault: str
    base_decimals: int
    quote_decimals: int
    timeout_s: float = 2.0

    def _amount(self, client: httpx.Client, vault: str) -> int:
        body = {"jsonrpc": "2.0", "id": 1, "method": "getAccountInfo",
                "params": [vault, {"encoding": "base64", "commitment": "processed"}]}  # fmt: skip
        try:
            value = client.post(self.rpc_url, json=body).json()["result"]["value"]
            return parse_token_account(base64.b64decode(value["data"][0])).amount
        except (httpx.HTTPError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise MarkError(f"cannot read vault {vault}: {type(exc).__name__}") from None

    def __call__(self) -> Decimal:
        with httpx.Client(timeout=self.timeout_s) as client:
            base = self._amount(client, self.base_vault)
            quote = self._amount(client, self.quote_vault)
        if base <= 0:
            raise MarkError("the pool holds no base token")
        return Decimal(quote).scaleb(-self.quote_decimals) / Decimal(base).scaleb(
            -self.base_decimals
        )

    @classmethod
    def from_world_file(cls, path: Path, pool_id: str, base: str) -> PoolMark:
        """The pool ``pool_id`` of a local Solana world's state file (``world.json``)."""
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
            pool = next(p for p in info["pools"] if p["pool_id"] == pool_id)
            tokens = info["tokens"]
        except (OSError, ValueError, KeyError, StopIteration):
            raise MarkError(f"{path}: no pool {pool_id!r} in a readable world file") from None
        if base not in (pool["symbol_a"], pool["symbol_b"]):
            raise MarkError(f"pool {pool_id} does not trade {base}")
        base_first = pool["symbol_a"] == base
        quote = pool["symbol_b"] if base_first else pool["symbol_a"]
        return cls(
            rpc_url=str(info["rpc_url"]),
            base_vault=pool["vault_a"] if base_first else pool["vault_b"],
            quote_vault=pool["vault_b"] if base_first else pool["vault_a"],
            base_decimals=int(tokens[base]["decimals"]),
            quote_decimals=int(tokens[quote]["decimals"]),
        )
