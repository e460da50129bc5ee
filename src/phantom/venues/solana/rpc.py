"""Typed Solana JSON-RPC calls over the :class:`SmartRouter`.

Every result is validated with a pydantic model; a result that does not match raises
:class:`MalformedResponse` naming the method. Amounts stay ``int`` (lamports, token atoms).
"""

from __future__ import annotations

import base64
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from phantom.venues.solana.errors import MalformedResponse
from phantom.venues.solana.router import SmartRouter

Commitment = Literal["processed", "confirmed", "finalized"]
_COMMITMENT_RANK = {"processed": 0, "confirmed": 1, "finalized": 2}
T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class Blockhash(_Model):
    blockhash: str
    last_valid_block_height: int = Field(alias="lastValidBlockHeight")


class SignatureStatus(_Model):
    slot: int
    confirmations: int | None = None
    err: Any = None
    confirmation_status: Commitment | None = Field(default=None, alias="confirmationStatus")

    def reached(self, target: Commitment) -> bool:
        """Whether this status is at ``target`` commitment or beyond."""
        if self.confirmation_status is None:
            return self.confirmations is None  # null confirmations: rooted
        return _COMMITMENT_RANK[self.confirmation_status] >= _COMMITMENT_RANK[target]


class UiTokenAmount(_Model):
    amount: int
    decimals: int


class TokenBalance(_Model):
    account_index: int = Field(alias="accountIndex")
    mint: str
    owner: str | None = None
    program_id: str | None = Field(default=None, alias="programId")
    ui_token_amount: UiTokenAmount = Field(alias="uiTokenAmount")


class TransactionMeta(_Model):
    err: Any = None
    fee: int
    pre_balances: list[int] = Field(alias="preBalances")
    post_balances: list[int] = Field(alias="postBalances")
    pre_token_balances: list[TokenBalance] = Field(default_factory=list, alias="preTokenBalances")
    post_token_balances: list[TokenBalance] = Field(default_factory=list, alias="postTokenBalances")
    log_messages: list[str] = Field(default_factory=list, alias="logMessages")
    compute_units_consumed: int | None = Field(default=None, alias="computeUnitsConsumed")

    def token_delta(self, owner: str, mint: str) -> int:
        """Net change in atoms of ``owner``'s ``mint`` balances (post minus pre)."""

        def total(rows: list[TokenBalance]) -> int:
            return sum(
                r.ui_token_amount.amount for r in rows if r.owner == owner and r.mint == mint
            )

        return total(self.post_token_balances) - total(self.pre_token_balances)


class TransactionRecord(_Model):
    slot: int
    block_time: int | None = Field(default=None, alias="blockTime")
    meta: TransactionMeta
    transaction: Any = None


class SimulationResult(_Model):
    err: Any = None
    logs: list[str] | None = None
    units_consumed: int | None = Field(default=None, alias="unitsConsumed")


class TokenAccount(_Model):
    """One row of ``getTokenAccountsByOwner`` (jsonParsed), reduced to what the venue uses."""

    pubkey: str
    mint: str
    owner: str
    amount: int
    decimals: int


class _Ctx(_Model):
    slot: int


class _WithContext(_Model):
    context: _Ctx
    value: Any


def _parse(adapter: TypeAdapter[T], value: Any, method: str) -> T:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise MalformedResponse(
            f"unexpected result shape ({exc.error_count()} errors)", method=method
        ) from None


_CTX = TypeAdapter(_WithContext)
_INT = TypeAdapter(int)
_STR = TypeAdapter(str)
_BLOCKHASH = TypeAdapter(Blockhash)
_STATUSES = TypeAdapter(list[SignatureStatus | None])
_TX = TypeAdapter(TransactionRecord | None)
_SIM = TypeAdapter(SimulationResult)


class SolanaRpc:
    """The calls the venue makes. ``commitment`` is the default read commitment."""

    def __init__(self, router: SmartRouter, *, commitment: Commitment = "confirmed") -> None:
        self.router = router
        self.commitment = commitment

    def __repr__(self) -> str:
        return f"SolanaRpc({self.router!r})"

    async def _value(self, method: str, params: list[Any]) -> Any:
        return _parse(_CTX, await self.router.request(method, params), method).value

    async def get_latest_blockhash(self, commitment: Commitment | None = None) -> Blockhash:
        cfg = {"commitment": commitment or self.commitment}
        value = await self._value("getLatestBlockhash", [cfg])
        return _parse(_BLOCKHASH, value, "getLatestBlockhash")

    async def get_block_height(self, commitment: Commitment | None = None) -> int:
        cfg = {"commitment": commitment or self.commitment}
        result = await self.router.request("getBlockHeight", [cfg])
        return _parse(_INT, result, "getBlockHeight")

    async def get_balance(self, pubkey: str) -> int:
        value = await self._value("getBalance", [pubkey, {"commitment": self.commitment}])
        return _parse(_INT, value, "getBalance")

    async def get_minimum_balance_for_rent_exemption(self, data_len: int) -> int:
        result = await self.router.request("getMinimumBalanceForRentExemption", [data_len])
        return _parse(_INT, result, "getMinimumBalanceForRentExemption")

    async def send_transaction(
        self,
        raw: bytes,
        *,
        skip_preflight: bool = True,
        max_retries: int | None = 0,
        preflight_commitment: Commitment | None = None,
    ) -> str:
        """Broadcast signed bytes (base64). Idempotent: the same bytes, the same signature."""
        cfg: dict[str, Any] = {"encoding": "base64", "skipPreflight": skip_preflight}
        if max_retries is not None:
            cfg["maxRetries"] = max_retries
        if not skip_preflight:
            cfg["preflightCommitment"] = preflight_commitment or self.commitment
        result = await self.router.request("sendTransaction", [base64.b64encode(raw).decode(), cfg])
        return _parse(_STR, result, "sendTransaction")

    async def simulate_transaction(
        self, raw: bytes, *, sig_verify: bool = True, commitment: Commitment | None = None
    ) -> SimulationResult:
        cfg = {
            "encoding": "base64",
            "sigVerify": sig_verify,
            "commitment": commitment or self.commitment,
        }
        value = await self._value("simulateTransaction", [base64.b64encode(raw).decode(), cfg])
        return _parse(_SIM, value, "simulateTransaction")

    async def get_signature_statuses(
        self, signatures: list[str], *, search_history: bool = False
    ) -> list[SignatureStatus | None]:
        if len(signatures) > 256:
            raise ValueError("getSignatureStatuses takes at most 256 signatures")
        cfg = {"searchTransactionHistory": search_history}
        value = await self._value("getSignatureStatuses", [signatures, cfg])
        statuses = _parse(_STATUSES, value, "getSignatureStatuses")
        if len(statuses) != len(signatures):
            raise MalformedResponse(
                "status count differs from the request", method="getSignatureStatuses"
            )
        return statuses

    async def get_transaction(
        self, signature: str, commitment: Commitment | None = None
    ) -> TransactionRecord | None:
        cfg = {
            "encoding": "base64",
            "commitment": commitment or self.commitment,
            "maxSupportedTransactionVersion": 0,
        }
        result = await self.router.request("getTransaction", [signature, cfg])
        return _parse(_TX, result, "getTransaction")

    async def get_token_accounts_by_owner(
        self, owner: str, *, mint: str | None = None, program_id: str | None = None
    ) -> list[TokenAccount]:
        if (mint is None) == (program_id is None):
            raise ValueError("pass exactly one of mint or program_id")
        filt = {"mint": mint} if mint is not None else {"programId": program_id}
        value = await self._value(
            "getTokenAccountsByOwner",
            [owner, filt, {"encoding": "jsonParsed", "commitment": self.commitment}],
        )
        try:
            return _rows(value)
        except (KeyError, TypeError, ValueError):  # ValidationError is a ValueError
            raise MalformedResponse(
                "unexpected token account shape", method="getTokenAccountsByOwner"
            ) from None


class _ParsedRow(_Model):
    pubkey: str
    account: dict[str, Any]


def _rows(value: Any) -> list[TokenAccount]:
    rows = TypeAdapter(list[_ParsedRow]).validate_python(value)
    out: list[TokenAccount] = []
    for row in rows:
        info = row.account["data"]["parsed"]["info"]
        amount = info["tokenAmount"]
        out.append(
            TokenAccount(
                pubkey=row.pubkey,
                mint=info["mint"],
                owner=info["owner"],
                amount=int(amount["amount"]),
                decimals=int(amount["decimals"]),
            )
        )
    return out
