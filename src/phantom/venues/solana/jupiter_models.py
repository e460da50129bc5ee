"""Typed models of the Jupiter Swap API v1 (``/quote``, ``/swap``, ``/swap-instructions``).

Amounts travel as strings of u64 on the wire; here they are ``int`` (token atoms) and serialize
back to strings. Unknown fields are kept (``extra="allow"``) so a quote can be sent back to
``/swap`` exactly as received; a missing or ill-typed field the venue relies on is rejected with
a ``ValidationError`` naming the field.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

U64_MAX = 2**64 - 1


def _u64(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a u64 amount, got a boolean")
    if isinstance(value, str):
        if not value.isdigit():
            raise ValueError("expected a u64 amount as a string of digits")
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= U64_MAX:
        raise ValueError("expected a u64 amount")
    return value


U64 = Annotated[int, BeforeValidator(_u64), PlainSerializer(str, return_type=str)]
SwapMode = Literal["ExactIn", "ExactOut"]


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)

    def wire(self) -> dict[str, Any]:
        """The JSON body, camelCase, amounts as strings, unknown fields preserved."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class PlatformFee(_Wire):
    amount: U64
    fee_bps: int = Field(alias="feeBps", ge=0)


class SwapInfo(_Wire):
    amm_key: str = Field(alias="ammKey")
    label: str = ""
    input_mint: str = Field(alias="inputMint")
    output_mint: str = Field(alias="outputMint")
    in_amount: U64 = Field(alias="inAmount")
    out_amount: U64 = Field(alias="outAmount")
    fee_amount: U64 | None = Field(default=None, alias="feeAmount")
    fee_mint: str | None = Field(default=None, alias="feeMint")


class RoutePlanStep(_Wire):
    swap_info: SwapInfo = Field(alias="swapInfo")
    percent: int | None = Field(default=None, ge=0, le=100)
    bps: int | None = Field(default=None, ge=0, le=10_000)


class QuoteRequest(BaseModel):
    """``GET /quote`` query parameters."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    input_mint: str = Field(alias="inputMint", min_length=32, max_length=44)
    output_mint: str = Field(alias="outputMint", min_length=32, max_length=44)
    amount: int = Field(gt=0, le=U64_MAX)
    slippage_bps: int = Field(alias="slippageBps", ge=0, le=10_000)
    swap_mode: SwapMode = Field(default="ExactIn", alias="swapMode")
    only_direct_routes: bool | None = Field(default=None, alias="onlyDirectRoutes")
    restrict_intermediate_tokens: bool | None = Field(
        default=None, alias="restrictIntermediateTokens"
    )
    max_accounts: int | None = Field(default=None, alias="maxAccounts", gt=0)

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.model_dump(by_alias=True, exclude_none=True).items():
            out[key] = str(value).lower() if isinstance(value, bool) else str(value)
        return out


class QuoteResponse(_Wire):
    input_mint: str = Field(alias="inputMint")
    in_amount: U64 = Field(alias="inAmount")
    output_mint: str = Field(alias="outputMint")
    out_amount: U64 = Field(alias="outAmount")
    other_amount_threshold: U64 = Field(alias="otherAmountThreshold")
    swap_mode: SwapMode = Field(alias="swapMode")
    slippage_bps: int = Field(alias="slippageBps", ge=0, le=10_000)
    platform_fee: PlatformFee | None = Field(default=None, alias="platformFee")
    price_impact_pct: str = Field(alias="priceImpactPct")
    route_plan: list[RoutePlanStep] = Field(alias="routePlan", min_length=1)
    context_slot: int | None = Field(default=None, alias="contextSlot")
    time_taken: float | None = Field(default=None, alias="timeTaken")

    @model_validator(mode="after")
    def _threshold_consistent(self) -> QuoteResponse:
        if self.swap_mode == "ExactIn" and self.other_amount_threshold > self.out_amount:
            raise ValueError("otherAmountThreshold exceeds outAmount on an ExactIn quote")
        return self


class PriorityLevel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    priority_level: Literal["medium", "high", "veryHigh"] = Field(alias="priorityLevel")
    max_lamports: int = Field(alias="maxLamports", gt=0)
    global_: bool | None = Field(default=None, alias="global")


class PrioritizationFee(BaseModel):
    """``prioritizationFeeLamports`` in object form: a fixed Jito tip or a priority level."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    jito_tip_lamports: int | None = Field(default=None, alias="jitoTipLamports", gt=0)
    priority_level_with_max_lamports: PriorityLevel | None = Field(
        default=None, alias="priorityLevelWithMaxLamports"
    )

    @model_validator(mode="after")
    def _one_form(self) -> PrioritizationFee:
        if (self.jito_tip_lamports is None) == (self.priority_level_with_max_lamports is None):
            raise ValueError("give exactly one of jitoTipLamports, priorityLevelWithMaxLamports")
        return self


class SwapRequest(BaseModel):
    """``POST /swap`` (and ``/swap-instructions``) body."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    user_public_key: str = Field(alias="userPublicKey", min_length=32, max_length=44)
    quote_response: QuoteResponse = Field(alias="quoteResponse")
    wrap_and_unwrap_sol: bool = Field(default=True, alias="wrapAndUnwrapSol")
    use_shared_accounts: bool | None = Field(default=None, alias="useSharedAccounts")
    fee_account: str | None = Field(default=None, alias="feeAccount")
    destination_token_account: str | None = Field(default=None, alias="destinationTokenAccount")
    compute_unit_price_micro_lamports: int | None = Field(
        default=None, alias="computeUnitPriceMicroLamports", ge=0
    )
    prioritization_fee_lamports: PrioritizationFee | int | None = Field(
        default=None, alias="prioritizationFeeLamports"
    )
    dynamic_compute_unit_limit: bool | None = Field(default=None, alias="dynamicComputeUnitLimit")
    as_legacy_transaction: bool | None = Field(default=None, alias="asLegacyTransaction")
    blockhash_slots_to_expiry: int | None = Field(
        default=None, alias="blockhashSlotsToExpiry", gt=0
    )

    @model_validator(mode="after")
    def _one_priority_form(self) -> SwapRequest:
        both = (
            self.compute_unit_price_micro_lamports is not None
            and self.prioritization_fee_lamports is not None
        )
        if both:
            raise ValueError(
                "INVALID_COMPUTE_UNIT_PRICE_AND_PRIORITIZATION_FEE: computeUnitPriceMicroLamports "
                "cannot be combined with prioritizationFeeLamports"
            )
        return self

    def wire(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        body["quoteResponse"] = self.quote_response.wire()
        return body


class SwapResponse(_Wire):
    swap_transaction: str = Field(alias="swapTransaction")
    last_valid_block_height: int = Field(alias="lastValidBlockHeight", ge=0)
    prioritization_fee_lamports: int | None = Field(default=None, alias="prioritizationFeeLamports")
    compute_unit_limit: int | None = Field(default=None, alias="computeUnitLimit")
    prioritization_type: dict[str, Any] | None = Field(default=None, alias="prioritizationType")
    dynamic_slippage_report: dict[str, Any] | None = Field(
        default=None, alias="dynamicSlippageReport"
    )
    simulation_error: Any = Field(default=None, alias="simulationError")

    @field_validator("swap_transaction")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("swapTransaction is not base64") from None
        if len(raw) < 64:
            raise ValueError("swapTransaction is too short to be a transaction")
        return value

    def transaction_bytes(self) -> bytes:
        return base64.b64decode(self.swap_transaction)


class AccountMetaModel(_Wire):
    pubkey: str
    is_signer: bool = Field(alias="isSigner")
    is_writable: bool = Field(alias="isWritable")


class InstructionModel(_Wire):
    program_id: str = Field(alias="programId")
    accounts: list[AccountMetaModel]
    data: str

    @field_validator("data")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("instruction data is not base64") from None
        return value


class SwapInstructionsResponse(_Wire):
    token_ledger_instruction: InstructionModel | None = Field(
        default=None, alias="tokenLedgerInstruction"
    )
    compute_budget_instructions: list[InstructionModel] = Field(
        default_factory=list, alias="computeBudgetInstructions"
    )
    setup_instructions: list[InstructionModel] = Field(
        default_factory=list, alias="setupInstructions"
    )
    swap_instruction: InstructionModel = Field(alias="swapInstruction")
    cleanup_instruction: InstructionModel | None = Field(default=None, alias="cleanupInstruction")
    other_instructions: list[InstructionModel] = Field(
        default_factory=list, alias="otherInstructions"
    )
    address_lookup_table_addresses: list[str] = Field(
        default_factory=list, alias="addressLookupTableAddresses"
    )


class JupiterErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    error: str = ""
    error_code: str = Field(default="", alias="errorCode")
