"""Jupiter client and models: against the local API, and malformed payloads rejected clearly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sol_support import run

from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.errors import JupiterError
from phantom.venues.solana.jupiter import JupiterClient
from phantom.venues.solana.jupiter_models import (
    PrioritizationFee,
    QuoteRequest,
    QuoteResponse,
    SwapRequest,
    SwapResponse,
)
from phantom.venues.solana.keystore import SolanaSigner

QUOTE = {
    "inputMint": "So11111111111111111111111111111111111111112",
    "inAmount": "1000000",
    "outputMint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    "outAmount": "16198753",
    "otherAmountThreshold": "16117760",
    "swapMode": "ExactIn",
    "slippageBps": 50,
    "platformFee": None,
    "priceImpactPct": "0",
    "routePlan": [
        {
            "swapInfo": {
                "ammKey": "5BKxfWMbmYBAEWvyPZS9esPducUba9GqyMjtLCfbaqyF",
                "label": "Meteora DLMM",
                "inputMint": "So11111111111111111111111111111111111111112",
                "outputMint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
                "inAmount": "1000000",
                "outAmount": "16198753",
                "feeAmount": "24825",
                "feeMint": "So11111111111111111111111111111111111111112",
            },
            "percent": 100,
        }
    ],
    "contextSlot": 299283763,
    "timeTaken": 0.015,
    "someNewField": {"kept": True},
}


def test_quote_model_round_trips_and_keeps_unknown_fields() -> None:
    quote = QuoteResponse.model_validate(QUOTE)
    assert quote.out_amount == 16198753 and quote.other_amount_threshold == 16117760
    wire = quote.wire()
    assert wire["outAmount"] == "16198753" and wire["someNewField"] == {"kept": True}
    assert wire["routePlan"][0]["swapInfo"]["feeAmount"] == "24825"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("outAmount", "-5", "u64"),
        ("outAmount", "1e6", "u64"),
        ("inAmount", True, "boolean"),
        ("routePlan", [], "at least 1"),
        ("otherAmountThreshold", "99999999", "exceeds outAmount"),
    ],
)
def test_malformed_quotes_are_rejected(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        QuoteResponse.model_validate({**QUOTE, field: value})


def test_swap_request_rules() -> None:
    quote = QuoteResponse.model_validate(QUOTE)
    with pytest.raises(ValidationError, match="INVALID_COMPUTE_UNIT_PRICE"):
        SwapRequest(
            userPublicKey=str(SolanaSigner.generate().pubkey),
            quoteResponse=quote,
            computeUnitPriceMicroLamports=1,
            prioritizationFeeLamports=PrioritizationFee(jitoTipLamports=1000),
        )
    with pytest.raises(ValidationError, match="base64"):
        SwapResponse.model_validate({"swapTransaction": "@@@", "lastValidBlockHeight": 1})


def test_client_against_local_api(world: LocalSolanaWorld) -> None:
    user = SolanaSigner.generate()
    usdc, jup = str(world.mints["USDC"]), str(world.mints["JUP"])

    async def go() -> None:
        async with JupiterClient(world.jupiter_url) as client:
            req = QuoteRequest(inputMint=usdc, outputMint=jup, amount=10**6, slippageBps=50)
            quote = await client.quote(req)
            assert (
                quote.other_amount_threshold == quote.out_amount - quote.out_amount * 50 // 10_000
            )
            body = SwapRequest(userPublicKey=str(user.pubkey), quoteResponse=quote)
            swap = await client.swap(body)
            assert swap.last_valid_block_height > world.chain.height
            ixs = await client.swap_instructions(body)
            assert ixs.swap_instruction.program_id == str(world.guard_id)
            with pytest.raises(JupiterError, match="NO_ROUTES_FOUND"):
                await client.quote(
                    QuoteRequest(inputMint=usdc, outputMint=usdc, amount=1, slippageBps=1)
                )

    run(go())


def test_client_rejects_malformed_and_rate_limited(world: LocalSolanaWorld) -> None:
    world.faults.jupiter_rate_limit_first = 1
    usdc, jup = str(world.mints["USDC"]), str(world.mints["JUP"])

    async def go() -> None:
        async with JupiterClient(world.jupiter_url) as client:
            req = QuoteRequest(inputMint=usdc, outputMint=jup, amount=10**6, slippageBps=50)
            with pytest.raises(JupiterError) as info:
                await client.quote(req)
            assert info.value.status == 429
        async with JupiterClient(world.rpc_url) as wrong:  # a JSON-RPC server is no Jupiter
            with pytest.raises(JupiterError):
                await wrong.quote(req)

    run(go())
