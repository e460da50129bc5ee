"""A Jito-compatible block engine: ``/api/v1/bundles`` and ``/api/v1/transactions``.

- ``sendBundle([txs], {"encoding": "base58"|"base64"})``: up to 5 signed transactions executed in
  order and atomically in the next block (all or nothing: on any failure every touched account is
  rolled back and no signature lands). The bundle must tip at least ``min_tip_lamports`` by a
  top-level System transfer to an account from ``getTipAccounts`` (a static key: a tip account
  reached through an address lookup table does not count). Returns the bundle id: SHA-256 of the
  signatures.
- ``sendTransaction([tx, {...}])`` on ``/api/v1/transactions``: with ``?bundleOnly=true`` a
  single-transaction bundle (revert protection), otherwise a plain forward; the bundle id is also in
  the ``x-bundle-id`` header.
- ``getTipAccounts``, ``getBundleStatuses([ids])`` (null until landed),
  ``getInflightBundleStatuses([ids])`` (``Invalid|Pending|Failed|Landed``).
"""

from __future__ import annotations

import hashlib
import struct
import threading
from typing import Any

import orjson
from solders.transaction import VersionedTransaction

from phantom.localsolana.http import JsonService, Request, Response
from phantom.localsolana.rpc_server import RpcFault, decode_tx
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.spl import SYSTEM_PROGRAM_ID

MAX_BUNDLE = 5


def bundle_id(txs: list[VersionedTransaction]) -> str:
    return hashlib.sha256(b"".join(bytes(t.signatures[0]) for t in txs)).hexdigest()


def tips_paid(tx: VersionedTransaction, tip_accounts: set[str]) -> int:
    """Lamports this transaction sends to tip accounts in top-level System transfers."""
    keys = [str(k) for k in tx.message.account_keys]
    total = 0
    for ix in tx.message.instructions:
        if keys[ix.program_id_index] != str(SYSTEM_PROGRAM_ID):
            continue
        data = bytes(ix.data)
        if len(data) != 12 or struct.unpack_from("<I", data)[0] != 2 or len(ix.accounts) < 2:
            continue
        if keys[ix.accounts[1]] in tip_accounts:
            total += struct.unpack_from("<Q", data, 4)[0]
    return total


class JitoService(JsonService):
    name = "jito"

    def __init__(self, world: LocalSolanaWorld) -> None:
        self.world = world
        self._count = 0
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        with self._lock:
            self._count += 1
            limited = self._count <= self.world.faults.jito_rate_limit_first
        if limited:
            return Response(429, {"error": "rate limited"})
        if request.method != "POST":
            return Response(405, {"error": "POST only"})
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return Response(200, _err(None, -32700, "Parse error"))
        if not isinstance(body, dict):
            return Response(200, _err(None, -32600, "Invalid request"))
        req_id, method, params = body.get("id"), body.get("method"), body.get("params") or []
        headers: dict[str, str] = {}
        try:
            if request.path.endswith("/transactions") and method == "sendTransaction":
                only = request.query.get("bundleOnly", "").lower() == "true"
                result: Any = self.send_transaction(params, bundle_only=only, headers=headers)
            elif request.path.endswith("/bundles") and method == "sendBundle":
                result = self.send_bundle(params)
            elif method == "getTipAccounts":
                result = [str(t) for t in self.world.tip_accounts]
            elif method == "getBundleStatuses":
                result = self.bundle_statuses(params)
            elif method == "getInflightBundleStatuses":
                result = self.inflight_statuses(params)
            else:
                return Response(200, _err(req_id, -32601, "Method not found"), headers)
        except RpcFault as fault:
            return Response(200, _err(req_id, fault.code, fault.message), headers)
        return Response(200, {"jsonrpc": "2.0", "id": req_id, "result": result}, headers)

    def _decode_all(
        self, blobs: Any, encoding: str
    ) -> tuple[list[VersionedTransaction], list[bytes]]:
        if not isinstance(blobs, list) or not 1 <= len(blobs) <= MAX_BUNDLE:
            raise RpcFault(-32602, f"a bundle holds 1 to {MAX_BUNDLE} transactions")
        decoded = [decode_tx(b, encoding) for b in blobs]
        return [d[0] for d in decoded], [d[1] for d in decoded]

    def _check_and_queue(self, txs: list[VersionedTransaction], raws: list[bytes]) -> str:
        for tx in txs:
            if not all(tx.verify_with_results()):
                raise RpcFault(-32602, "bundle contains a transaction that is not fully signed")
        tips = {str(t) for t in self.world.tip_accounts}
        paid = sum(tips_paid(tx, tips) for tx in txs)
        if paid < self.world.config.min_tip_lamports:
            raise RpcFault(
                -32602,
                f"bundle must tip at least {self.world.config.min_tip_lamports} lamports to a "
                "tip account (getTipAccounts)",
            )
        bid = bundle_id(txs)
        self.world.chain.submit_bundle(bid, txs, raws)
        return bid

    def send_bundle(self, params: list[Any]) -> str:
        encoding = (
            params[1].get("encoding", "base58")
            if len(params) > 1 and isinstance(params[1], dict)
            else "base58"
        )
        txs, raws = self._decode_all(params[0] if params else None, encoding)
        return self._check_and_queue(txs, raws)

    def send_transaction(
        self, params: list[Any], *, bundle_only: bool, headers: dict[str, str]
    ) -> str:
        cfg = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        txs, raws = self._decode_all(params[:1], cfg.get("encoding", "base58"))
        if bundle_only:
            headers["x-bundle-id"] = self._check_and_queue(txs, raws)
        else:
            self.world.chain.submit(txs[0], raws[0])
        return str(txs[0].signatures[0])

    def bundle_statuses(self, params: list[Any]) -> dict[str, Any]:
        ids = params[0] if params and isinstance(params[0], list) else []
        if len(ids) > MAX_BUNDLE:
            raise RpcFault(-32602, f"at most {MAX_BUNDLE} bundle ids")
        chain = self.world.chain
        value: list[Any] = []
        with chain.lock:
            for bid in ids:
                result = chain.bundles.get(str(bid))
                status = chain.status(result.signatures[0]) if result and result.landed else None
                if result is None or status is None:
                    value.append(None)
                    continue
                value.append(
                    {
                        "bundle_id": result.bundle_id,
                        "transactions": result.signatures,
                        "slot": result.slot,
                        "confirmation_status": status["confirmationStatus"],
                        "err": {"Ok": None},
                    }
                )
            return {"context": {"slot": chain.slot}, "value": value}

    def inflight_statuses(self, params: list[Any]) -> dict[str, Any]:
        ids = params[0] if params and isinstance(params[0], list) else []
        chain = self.world.chain
        value: list[Any] = []
        with chain.lock:
            for bid in ids[:MAX_BUNDLE]:
                result = chain.bundles.get(str(bid))
                if result is None:
                    state = "Invalid"
                elif result.landed:
                    state = "Landed"
                else:
                    state = "Failed" if result.err is not None else "Pending"
                value.append(
                    {
                        "bundle_id": bid,
                        "status": state,
                        "landed_slot": result.slot if result else None,
                    }
                )
            return {"context": {"slot": chain.slot}, "value": value}


def _err(req_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": req_id, "error": {"code": code, "message": message}}
