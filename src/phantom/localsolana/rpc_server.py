"""A Solana JSON-RPC server on 127.0.0.1 backed by the :class:`LocalChain`.

Methods: getLatestBlockhash, getBlockHeight, getSlot, getHealth, getVersion, sendTransaction
(base64 or base58; preflight simulation unless ``skipPreflight``, failing with -32002 and the
simulation logs), simulateTransaction, getSignatureStatuses, getTransaction, getBalance,
getAccountInfo (base64), getTokenAccountsByOwner (jsonParsed or base64),
getMinimumBalanceForRentExemption, getRecentPrioritizationFees (always empty), isBlockhashValid,
requestAirdrop. Reads see the latest processed state whatever the commitment asked for.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

import orjson
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from phantom.localsolana.chain import LocalChain
from phantom.localsolana.encoding import preflight_message, tx_error_json, ui_token_amount
from phantom.localsolana.http import JsonService, Request, Response
from phantom.venues.solana.b58 import b58decode, b58encode
from phantom.venues.solana.spl import TOKEN_PROGRAM_ID, TOKEN_PROGRAMS, parse_token_account

PREFLIGHT_FAILURE = -32002
SIGNATURE_FAILURE = -32003
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601


class RpcFault(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def decode_tx(blob: Any, encoding: str) -> tuple[VersionedTransaction, bytes]:
    if not isinstance(blob, str):
        raise RpcFault(INVALID_PARAMS, "transaction must be a string")
    try:
        raw = base64.b64decode(blob, validate=True) if encoding == "base64" else b58decode(blob)
        return VersionedTransaction.from_bytes(raw), raw
    except Exception:
        raise RpcFault(INVALID_PARAMS, "failed to deserialize VersionedTransaction") from None


def _pubkey(value: Any) -> Pubkey:
    try:
        return Pubkey.from_string(str(value))
    except ValueError:
        raise RpcFault(INVALID_PARAMS, "Invalid param: Invalid pubkey") from None


def _config(params: list[Any], index: int) -> dict[str, Any]:
    value = params[index] if len(params) > index else None
    return dict(value) if isinstance(value, dict) else {}


class RpcService(JsonService):
    name = "rpc"

    def __init__(self, chain: LocalChain, *, rate_limit_first: int | None = None) -> None:
        """``rate_limit_first`` overrides ``Faults.rpc_rate_limit_first`` for this server only
        (a second, misbehaving endpoint on the same chain)."""
        self.chain = chain
        self._own_limit = rate_limit_first
        self._count = 0
        self._count_lock = threading.Lock()

    def _rate_limited(self) -> bool:
        faults = self.chain.faults
        with self._count_lock:
            self._count += 1
            n = self._count
        first = faults.rpc_rate_limit_first if self._own_limit is None else self._own_limit
        if n <= first:
            return True
        return bool(faults.rpc_rate_limit_every) and n % faults.rpc_rate_limit_every == 0

    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(405, {"error": "POST JSON-RPC only"})
        if self._rate_limited():
            return Response(429, {"error": "Too many requests"}, {"retry-after": "1"})
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return Response(200, _err(None, -32700, "Parse error"))
        if isinstance(body, list):
            return Response(200, [self._one(item) for item in body])
        return Response(200, self._one(body))

    def _one(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return _err(None, -32600, "Invalid request")
        req_id = body.get("id")
        params = body.get("params") or []
        handler = getattr(self, "m_" + body["method"], None)
        if handler is None:
            return _err(req_id, METHOD_NOT_FOUND, "Method not found")
        try:
            return {"jsonrpc": "2.0", "id": req_id, "result": handler(list(params))}
        except RpcFault as fault:
            return _err(req_id, fault.code, fault.message, fault.data)

    def _ctx(self, value: Any) -> dict[str, Any]:
        return {"context": {"slot": self.chain.slot, "apiVersion": "2.2.0"}, "value": value}

    # -- cluster ----------------------------------------------------------------------------------

    def m_getHealth(self, params: list[Any]) -> str:
        return "ok"

    def m_getVersion(self, params: list[Any]) -> dict[str, Any]:
        return {"solana-core": "2.2.0-litesvm", "feature-set": 0}

    def m_getSlot(self, params: list[Any]) -> int:
        return self.chain.slot

    def m_getBlockHeight(self, params: list[Any]) -> int:
        return self.chain.height

    def m_getLatestBlockhash(self, params: list[Any]) -> dict[str, Any]:
        blockhash, last_valid = self.chain.latest_blockhash()
        return self._ctx({"blockhash": blockhash, "lastValidBlockHeight": last_valid})

    def m_isBlockhashValid(self, params: list[Any]) -> dict[str, Any]:
        with self.chain.lock:
            return self._ctx(self.chain.blockhash_valid(str(params[0])) if params else False)

    def m_getMinimumBalanceForRentExemption(self, params: list[Any]) -> int:
        if not params or not isinstance(params[0], int) or params[0] < 0:
            raise RpcFault(INVALID_PARAMS, "data length must be a non-negative integer")
        with self.chain.lock:
            return int(self.chain.svm.minimum_balance_for_rent_exemption(params[0]))

    def m_getRecentPrioritizationFees(self, params: list[Any]) -> list[Any]:
        return []

    # -- accounts ---------------------------------------------------------------------------------

    def m_getBalance(self, params: list[Any]) -> dict[str, Any]:
        key = _pubkey(params[0] if params else None)
        with self.chain.lock:
            return self._ctx(int(self.chain.svm.get_balance(key) or 0))

    def m_getAccountInfo(self, params: list[Any]) -> dict[str, Any]:
        key = _pubkey(params[0] if params else None)
        with self.chain.lock:
            account = self.chain.svm.get_account(key)
            if account is None:
                return self._ctx(None)
            return self._ctx(
                {
                    "lamports": account.lamports,
                    "owner": str(account.owner),
                    "data": [base64.b64encode(bytes(account.data)).decode(), "base64"],
                    "executable": account.executable,
                    "rentEpoch": account.rent_epoch,
                    "space": len(account.data),
                }
            )

    def m_requestAirdrop(self, params: list[Any]) -> str:
        key = _pubkey(params[0] if params else None)
        lamports = params[1] if len(params) > 1 and isinstance(params[1], int) else 0
        with self.chain.lock:
            result = self.chain.svm.airdrop(key, lamports)
        if isinstance(result, FailedTransactionMetadata):
            raise RpcFault(-32603, "airdrop failed")
        return str(result.signature())

    def m_getTokenAccountsByOwner(self, params: list[Any]) -> dict[str, Any]:
        owner = _pubkey(params[0] if params else None)
        filt = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        encoding = _config(params, 2).get("encoding", "base64")
        mint = _pubkey(filt["mint"]) if "mint" in filt else None
        program = _pubkey(filt["programId"]) if "programId" in filt else None
        if (mint is None) == (program is None):
            raise RpcFault(INVALID_PARAMS, "Invalid params: specify exactly one of mint, programId")
        programs = [program] if program is not None else list(TOKEN_PROGRAMS)
        rows: list[dict[str, Any]] = []
        with self.chain.lock:
            for prog in programs:
                if prog not in TOKEN_PROGRAMS:
                    raise RpcFault(INVALID_PARAMS, "Invalid param: unrecognized Token program id")
                for key, account in self.chain.svm.get_program_accounts(prog):
                    data = bytes(account.data)
                    if len(data) < 165:
                        continue
                    info = parse_token_account(data)
                    if info.owner != owner or (mint is not None and info.mint != mint):
                        continue
                    rows.append(self._token_row(key, account, info, encoding))
        return self._ctx(rows)

    def _token_row(self, key: Pubkey, account: Any, info: Any, encoding: str) -> dict[str, Any]:
        data: Any
        if encoding == "jsonParsed":
            decimals = self.chain.decimals(info.mint)
            data = {
                "program": "spl-token" if account.owner == TOKEN_PROGRAM_ID else "spl-token-2022",
                "parsed": {
                    "type": "account",
                    "info": {
                        "mint": str(info.mint),
                        "owner": str(info.owner),
                        "state": "initialized",
                        "isNative": False,
                        "tokenAmount": ui_token_amount(info.amount, decimals),
                    },
                },
                "space": len(account.data),
            }
        else:
            data = [base64.b64encode(bytes(account.data)).decode(), "base64"]
        return {
            "pubkey": str(key),
            "account": {
                "lamports": account.lamports,
                "owner": str(account.owner),
                "data": data,
                "executable": False,
                "rentEpoch": account.rent_epoch,
                "space": len(account.data),
            },
        }

    # -- transactions -----------------------------------------------------------------------------

    def _simulate(
        self, tx: VersionedTransaction, *, sig_verify: bool, replace: bool
    ) -> dict[str, Any]:
        chain = self.chain
        with chain.lock:
            if not replace and not chain.blockhash_valid(str(tx.message.recent_blockhash)):
                return {
                    "err": "BlockhashNotFound",
                    "logs": [],
                    "accounts": None,
                    "unitsConsumed": 0,
                }
            chain.svm.with_sigverify(sig_verify)
            try:
                result = chain.svm.simulate_transaction(tx)
            finally:
                chain.svm.with_sigverify(True)
        if isinstance(result, FailedTransactionMetadata):
            err, meta = tx_error_json(result.err()), result.meta()
        else:
            err, meta = None, result.meta()
        return {
            "err": err,
            "logs": list(meta.logs()),
            "accounts": None,
            "unitsConsumed": meta.compute_units_consumed(),
            "returnData": None,
        }

    def m_simulateTransaction(self, params: list[Any]) -> dict[str, Any]:
        cfg = _config(params, 1)
        tx, _ = decode_tx(params[0] if params else None, cfg.get("encoding", "base58"))
        sig_verify = bool(cfg.get("sigVerify", False))
        replace = bool(cfg.get("replaceRecentBlockhash", False))
        if sig_verify and replace:
            raise RpcFault(INVALID_PARAMS, "sigVerify may not be used with replaceRecentBlockhash")
        return self._ctx(self._simulate(tx, sig_verify=sig_verify, replace=replace))

    def m_sendTransaction(self, params: list[Any]) -> str:
        cfg = _config(params, 1)
        tx, raw = decode_tx(params[0] if params else None, cfg.get("encoding", "base58"))
        if not cfg.get("skipPreflight", False):
            if not all(tx.verify_with_results()):
                raise RpcFault(SIGNATURE_FAILURE, "Transaction signature verification failure")
            sim = self._simulate(tx, sig_verify=True, replace=False)
            if sim["err"] is not None:
                raise RpcFault(PREFLIGHT_FAILURE, preflight_message(sim["err"]), sim)
        return self.chain.submit(tx, raw)

    def m_getSignatureStatuses(self, params: list[Any]) -> dict[str, Any]:
        sigs = params[0] if params and isinstance(params[0], list) else None
        if sigs is None or len(sigs) > 256:
            raise RpcFault(INVALID_PARAMS, "Invalid params: expected up to 256 signatures")
        return self._ctx([self.chain.status(str(s)) for s in sigs])

    def m_getTransaction(self, params: list[Any]) -> dict[str, Any] | None:
        cfg = _config(params, 1)
        with self.chain.lock:
            record = self.chain.landed.get(str(params[0])) if params else None
            if record is None:
                return None
            if cfg.get("commitment") == "finalized" and self.chain.status(record.signature) is None:
                return None
            encoding = cfg.get("encoding", "json")
            if encoding == "base58":
                tx_field: Any = [b58encode(record.raw), "base58"]
            else:
                tx_field = [base64.b64encode(record.raw).decode(), "base64"]
            return {
                "slot": record.slot,
                "blockTime": None,
                "version": 0,
                "transaction": tx_field,
                "meta": record.meta,
            }


def _err(req_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": req_id, "error": error}
