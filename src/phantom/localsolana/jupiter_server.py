"""A Jupiter-compatible Swap API v1 (``/swap/v1/quote``, ``/swap``, ``/swap-instructions``).

Quotes come from the local pools' vault balances (exact-in, direct routes only). ``/swap`` returns
a real v0 transaction that LiteSVM executes: compute-budget instructions, an idempotent creation
of the user's output token account, the on-chain slippage guard (custom error 6001 when the pool
moved past ``otherAmountThreshold`` by the time it lands), the user's transfer into the input
vault, the vault's transfer of ``outAmount`` to the user (signed by the pool authority: the server
partially signs; the user's signature slot, index 0, is left empty for the wallet) and, when
``prioritizationFeeLamports.jitoTipLamports`` is given, a SOL transfer to a Jito tip account.
Requests and responses use the same pydantic models as the client; a bad request gets HTTP 400
with ``{"error", "errorCode"}`` as Jupiter answers.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from typing import Any

import orjson
from pydantic import ValidationError
from solders import system_program as sp
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import AccountMeta, Instruction
from solders.message import MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from phantom.localsolana.guard import guard_data
from phantom.localsolana.http import JsonService, Request, Response
from phantom.localsolana.pools import LocalPool, cp_out
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana import spl
from phantom.venues.solana.jupiter_models import (
    PrioritizationFee,
    QuoteRequest,
    QuoteResponse,
    SwapRequest,
)

log = logging.getLogger(__name__)


def _bad(message: str, code: str = "INVALID_REQUEST", status: int = 400) -> Response:
    return Response(status, {"error": message, "errorCode": code})


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(body)"
    return f"{where}: {first['msg']}"


class JupiterService(JsonService):
    name = "jupiter"

    def __init__(self, world: LocalSolanaWorld) -> None:
        self.world = world
        self._count = 0
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        with self._lock:
            self._count += 1
            limited = self._count <= self.world.faults.jupiter_rate_limit_first
        if limited:
            return _bad("Rate limit exceeded", "RATE_LIMITED", 429)
        path = request.path.rstrip("/")
        if path.endswith("/quote") and request.method == "GET":
            return self.quote(request.query)
        if path.endswith("/swap") and request.method == "POST":
            return self.swap(request.body, instructions=False)
        if path.endswith("/swap-instructions") and request.method == "POST":
            return self.swap(request.body, instructions=True)
        return _bad(f"no route {request.method} {path}", "NOT_FOUND", 404)

    # -- /quote -----------------------------------------------------------------------------------

    def quote(self, query: dict[str, str]) -> Response:
        started = time.perf_counter()
        try:
            req = QuoteRequest.model_validate(query)
        except ValidationError as exc:
            return _bad(_validation_message(exc))
        if req.swap_mode != "ExactIn":
            return _bad("the local world quotes ExactIn only", "UNSUPPORTED_SWAP_MODE")
        try:
            mint_in, mint_out = (
                Pubkey.from_string(req.input_mint),
                Pubkey.from_string(req.output_mint),
            )
        except ValueError:
            return _bad("inputMint/outputMint must be base58 public keys")
        pool = self.world.pool_for(mint_in, mint_out)
        if pool is None or mint_in == mint_out:
            return _bad("No routes found", "NO_ROUTES_FOUND")
        r_in, r_out = self.world.reserves(pool, mint_in)
        in_net, out = cp_out(r_in, r_out, req.amount, pool.fee_bps)
        if out <= 0:
            return _bad("amount too small to route", "COULD_NOT_FIND_ANY_ROUTE")
        threshold = out - out * req.slippage_bps // 10_000
        spot_out = r_out * in_net / r_in
        impact = max(0.0, 1 - out / spot_out) if spot_out else 0.0
        body = {
            "inputMint": req.input_mint,
            "inAmount": str(req.amount),
            "outputMint": req.output_mint,
            "outAmount": str(out),
            "otherAmountThreshold": str(threshold),
            "swapMode": "ExactIn",
            "slippageBps": req.slippage_bps,
            "platformFee": None,
            "priceImpactPct": f"{impact:.10f}",
            "routePlan": [
                {
                    "swapInfo": {
                        "ammKey": pool.key,
                        "label": f"Local {pool.name}",
                        "inputMint": req.input_mint,
                        "outputMint": req.output_mint,
                        "inAmount": str(req.amount),
                        "outAmount": str(out),
                        "feeAmount": str(req.amount - in_net),
                        "feeMint": req.input_mint,
                    },
                    "percent": 100,
                }
            ],
            "contextSlot": self.world.chain.slot,
            "timeTaken": time.perf_counter() - started,
        }
        return Response(200, body)

    # -- /swap and /swap-instructions -------------------------------------------------------------

    def swap(self, raw_body: bytes, *, instructions: bool) -> Response:
        try:
            payload = orjson.loads(raw_body)
            req = SwapRequest.model_validate(payload)
        except orjson.JSONDecodeError:
            return _bad("body is not JSON")
        except ValidationError as exc:
            message = _validation_message(exc)
            code = (
                "INVALID_COMPUTE_UNIT_PRICE_AND_PRIORITIZATION_FEE"
                if "INVALID_COMPUTE_UNIT_PRICE" in message
                else "INVALID_REQUEST"
            )
            return _bad(message, code)
        quote = req.quote_response
        if quote.swap_mode != "ExactIn" or len(quote.route_plan) != 1:
            return _bad("the local world builds single-hop ExactIn swaps only")
        pool = next(
            (p for p in self.world.pools if p.key == quote.route_plan[0].swap_info.amm_key), None
        )
        if pool is None:
            return _bad("unknown ammKey in routePlan", "ROUTE_NOT_FOUND")
        try:
            user = Pubkey.from_string(req.user_public_key)
            mint_in = Pubkey.from_string(quote.input_mint)
            pool.vaults(mint_in)
        except (ValueError, KeyError):
            return _bad("userPublicKey/inputMint do not match the route")
        tip = 0
        fee = req.prioritization_fee_lamports
        if isinstance(fee, PrioritizationFee) and fee.jito_tip_lamports is not None:
            tip = fee.jito_tip_lamports
        elif fee is not None:
            return _bad("the local world supports prioritizationFeeLamports.jitoTipLamports only")
        ixs, cu_limit = self._instructions(req, pool, user, mint_in, tip)
        cu_price = req.compute_unit_price_micro_lamports or 0
        priority = -(-cu_price * cu_limit // 1_000_000)
        if instructions:
            return Response(200, self._instructions_body(ixs))
        chain = self.world.chain
        with chain.lock:
            blockhash = chain.blockhash
            last_valid = chain.last_valid_block_height()
            msg = MessageV0.try_compile(user, ixs, [], blockhash)
            signatures = [Signature.default()] * msg.header.num_required_signatures
            keys = list(msg.account_keys)
            auth_index = keys.index(pool.authority.pubkey())
            signatures[auth_index] = pool.authority.sign_message(to_bytes_versioned(msg))
            tx = VersionedTransaction.populate(msg, signatures)
        self._apply_price_move(pool, mint_in)
        body = {
            "swapTransaction": base64.b64encode(bytes(tx)).decode(),
            "lastValidBlockHeight": last_valid,
            "prioritizationFeeLamports": priority + tip,
            "computeUnitLimit": cu_limit,
            "prioritizationType": {
                "computeBudget": {"microLamports": cu_price, "estimatedMicroLamports": cu_price}
            },
            "dynamicSlippageReport": None,
            "simulationError": None,
        }
        return Response(200, body)

    def _instructions(
        self, req: SwapRequest, pool: LocalPool, user: Pubkey, mint_in: Pubkey, tip: int
    ) -> tuple[list[Instruction], int]:
        quote: QuoteResponse = req.quote_response
        mint_out = pool.other(mint_in)
        vault_in, vault_out = pool.vaults(mint_in)
        in_net = quote.in_amount - quote.in_amount * pool.fee_bps // 10_000
        cu_limit = self.world.config.compute_unit_limit
        ixs = [set_compute_unit_limit(cu_limit)]
        if req.compute_unit_price_micro_lamports:
            ixs.append(set_compute_unit_price(req.compute_unit_price_micro_lamports))
        dest = (
            Pubkey.from_string(req.destination_token_account)
            if req.destination_token_account
            else spl.ata(user, mint_out)
        )
        if not req.destination_token_account:
            ixs.append(spl.create_ata_idempotent_ix(user, user, mint_out))
        ixs += [
            Instruction(
                self.world.guard_id,
                guard_data(in_net, quote.other_amount_threshold),
                [AccountMeta(vault_in, False, False), AccountMeta(vault_out, False, False)],
            ),
            spl.transfer_ix(spl.ata(user, mint_in), vault_in, user, quote.in_amount),
            spl.transfer_ix(vault_out, dest, pool.authority.pubkey(), quote.out_amount),
        ]
        if tip:
            tip_account = self.world.rng.choice(self.world.tip_accounts)
            ixs.append(
                sp.transfer(
                    sp.TransferParams(from_pubkey=user, to_pubkey=tip_account, lamports=tip)
                )
            )
        return ixs, cu_limit

    def _apply_price_move(self, pool: LocalPool, mint_in: Pubkey) -> None:
        faults = self.world.faults
        bps = faults.next_price_move()
        if bps:
            queue = faults.price_move_timing == "before_landing"
            log.info("local jupiter: fault moves %s by %d bps (queued=%s)", pool.name, bps, queue)
            self.world.move_pool(pool, mint_in, bps, queue=queue)

    @staticmethod
    def _instructions_body(ixs: list[Instruction]) -> dict[str, Any]:
        def one(ix: Instruction) -> dict[str, Any]:
            return {
                "programId": str(ix.program_id),
                "accounts": [
                    {"pubkey": str(a.pubkey), "isSigner": a.is_signer, "isWritable": a.is_writable}
                    for a in ix.accounts
                ],
                "data": base64.b64encode(bytes(ix.data)).decode(),
            }

        budget = [ix for ix in ixs if str(ix.program_id).startswith("ComputeBudget")]
        rest = [ix for ix in ixs if ix not in budget]
        setup = [ix for ix in rest if ix.program_id == spl.ASSOCIATED_TOKEN_PROGRAM_ID]
        swap = [ix for ix in rest if ix not in setup]
        return {
            "tokenLedgerInstruction": None,
            "computeBudgetInstructions": [one(ix) for ix in budget],
            "setupInstructions": [one(ix) for ix in setup],
            "swapInstruction": one(swap[0]),
            "cleanupInstruction": None,
            "otherInstructions": [one(ix) for ix in swap[1:]],
            "addressLookupTableAddresses": [],
        }
