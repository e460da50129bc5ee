"""JSON shapes of the Solana RPC built from LiteSVM results (errors, token balances)."""

from __future__ import annotations

from typing import Any

from solders.transaction_status import (
    InstructionErrorBorshIO,
    InstructionErrorCustom,
    InstructionErrorFieldless,
    TransactionErrorDuplicateInstruction,
    TransactionErrorFieldless,
    TransactionErrorInstructionError,
    TransactionErrorInsufficientFundsForRent,
)

# transaction-level errors with which a validator drops the transaction (no fee, no status)
NOT_LANDED = frozenset(
    {
        "AccountNotFound",
        "AlreadyProcessed",
        "BlockhashNotFound",
        "InsufficientFundsForFee",
        "SignatureFailure",
        "SanitizeFailure",
        "AccountInUse",
        "AccountLoadedTwice",
        "InvalidAccountForFee",
        "ProgramAccountNotFound",
        "TooManyAccountLocks",
        "WouldExceedMaxBlockCostLimit",
    }
)


def _name(value: object) -> str:
    return str(value).rsplit(".", 1)[-1]


def tx_error_json(err: Any) -> Any:
    """The RPC's JSON form of a LiteSVM ``TransactionErrorType`` (``None`` stays ``None``)."""
    if err is None:
        return None
    if isinstance(err, TransactionErrorInstructionError):
        inner = err.err
        detail: Any
        if isinstance(inner, InstructionErrorCustom):
            detail = {"Custom": inner.code}
        elif isinstance(inner, InstructionErrorBorshIO):
            detail = {"BorshIoError": inner.value}
        elif isinstance(inner, InstructionErrorFieldless):
            detail = _name(inner)
        else:
            detail = str(inner)
        return {"InstructionError": [err.index, detail]}
    if isinstance(err, TransactionErrorFieldless):
        return _name(err)
    if isinstance(err, TransactionErrorDuplicateInstruction):
        return {"DuplicateInstruction": err.index}
    if isinstance(err, TransactionErrorInsufficientFundsForRent):
        return {"InsufficientFundsForRent": {"account_index": err.account_index}}
    return str(err)


def error_landed(err_json: Any) -> bool:
    """Whether a transaction failing with this error is included in a block (fee paid)."""
    return not (isinstance(err_json, str) and err_json in NOT_LANDED)


def preflight_message(err_json: Any) -> str:
    """The message of a -32002 preflight failure, as agave words it."""
    if isinstance(err_json, dict) and "InstructionError" in err_json:
        index, detail = err_json["InstructionError"]
        if isinstance(detail, dict) and "Custom" in detail:
            what = f"custom program error: {detail['Custom']:#x}"
        else:
            what = str(detail)
        return f"Transaction simulation failed: Error processing Instruction {index}: {what}"
    return f"Transaction simulation failed: {err_json}"


def ui_token_amount(amount: int, decimals: int) -> dict[str, Any]:
    ui = amount / 10**decimals
    text = str(amount) if decimals == 0 else f"{amount / 10**decimals:.{decimals}f}".rstrip("0")
    return {
        "amount": str(amount),
        "decimals": decimals,
        "uiAmount": ui,
        "uiAmountString": text.rstrip(".") or "0",
    }
