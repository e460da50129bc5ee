"""Arbitrage intents as ``PhantomArb.execute`` calls, and what a receipt says happened.

A two-pool cycle ``B -(pool P0)-> X -(pool P1)-> B`` buys X with B on P0 and sells it for B on
P1. PhantomArb does the same atomically with no capital: it flash-borrows X from P0
(``pairBorrow``), sells it on P1 (``pairSell``), repays P0 in B and sends the profit (in B) to
the owner, reverting unless the profit reaches ``minProfit``. So:

- ``pairBorrow`` = P0, ``pairSell`` = P1, ``tokenBorrow`` = X (``legs[0].token_out``);
- ``amountBorrow`` = the X that ``amount_in`` of B buys on P0 at the state the engine saw;
- ``minProfit`` = the larger of ``min_amount_out - amount_in`` (the intent's bound on its final
  output, as profit) and the intent's expected network cost in B (``expected_costs.network`` at
  B's reference price, rounded up), and at least 1 base unit: a cycle that would no longer pay
  for its gas reverts in simulation (costing nothing) instead of landing at a loss.

PhantomArb prices both legs with the Uniswap V2 0.3 % fee, so only pools with ``fee_ppm == 3000``
qualify. Cycles of three or more legs are refused (:class:`UnsupportedIntent`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from eth_abi.exceptions import DecodingError

from phantom.amm.constant_product import get_amount_in, get_amount_out
from phantom.core.orders import IntentKind, OrderIntent
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.market.state import MarketView
from phantom.venues.evm.abi import decode_result, encode_call, event_topic
from phantom.venues.evm.models import Receipt
from phantom.venues.evm.txtypes import TxRequest

EXECUTE = "execute(address,address,address,uint256,uint256)"
V2_FEE_PPM = 3000
TRANSFER_TOPIC = event_topic("Transfer(address,address,uint256)")
ARBITRAGE_TOPIC = event_topic("Arbitrage(address,address,address,address,uint256,uint256,uint256)")
SWAP_TOPIC = event_topic("Swap(address,uint256,uint256,uint256,uint256,address)")
SYNC_TOPIC = event_topic("Sync(uint112,uint112)")


class UnsupportedIntent(ValueError):
    """The intent cannot be expressed as a PhantomArb call (nothing is sent)."""


@dataclass(frozen=True, slots=True)
class ArbCall:
    """One ``PhantomArb.execute`` call and what the pools' state at submit time predicts."""

    request: TxRequest
    pair_borrow: str
    pair_sell: str
    token_borrow: Token
    token_profit: Token
    amount_borrow: int
    min_profit: int
    predicted_repay: int  # B owed to pairBorrow
    predicted_profit: int  # B left after repaying, in base units


def _cp(market: MarketView, pool_id: str) -> ConstantProductPool:
    pool = market.pool(pool_id)
    if not isinstance(pool, ConstantProductPool) or pool.fee_ppm != V2_FEE_PPM:
        raise UnsupportedIntent(f"pool {pool_id} is not a 0.3 % Uniswap V2 pair")
    return pool


def build_arb_call(
    intent: OrderIntent,
    arb_contract: str,
    pair_address: Mapping[str, str],
    market: MarketView,
) -> ArbCall:
    """The call for a two-pool arbitrage intent at the pools' current state in ``market``."""
    if intent.kind is not IntentKind.ARBITRAGE:
        raise UnsupportedIntent(f"intent {intent.intent_id}: only arbitrage intents are sent")
    if len(intent.legs) != 2:
        raise UnsupportedIntent(
            f"intent {intent.intent_id}: PhantomArb executes two-pool cycles, "
            f"got {len(intent.legs)} legs"
        )
    leg0, leg1 = intent.legs
    if leg1.token_out != leg0.token_in:
        raise UnsupportedIntent(f"intent {intent.intent_id}: not a cycle")
    try:
        borrow_pair, sell_pair = pair_address[leg0.pool_id], pair_address[leg1.pool_id]
    except KeyError as exc:
        raise UnsupportedIntent(f"intent {intent.intent_id}: no address for pool {exc}") from None
    p0, p1 = _cp(market, leg0.pool_id), _cp(market, leg1.pool_id)
    base, mid = leg0.token_in, leg0.token_out
    if not base.address or not mid.address:
        raise UnsupportedIntent(f"intent {intent.intent_id}: token without an address")
    r_base0, r_mid0 = p0.reserves_for(base)
    borrow = get_amount_out(intent.amount_in, r_base0, r_mid0, V2_FEE_PPM)
    if borrow <= 0:
        raise UnsupportedIntent(f"intent {intent.intent_id}: input buys nothing on {p0.pool_id}")
    repay = get_amount_in(borrow, r_base0, r_mid0, V2_FEE_PPM)
    r_mid1, r_base1 = p1.reserves_for(mid)
    proceeds = get_amount_out(borrow, r_mid1, r_base1, V2_FEE_PPM)
    min_profit = max(intent.min_amount_out - intent.amount_in, _break_even(intent, market), 1)
    data = encode_call(EXECUTE, [borrow_pair, sell_pair, mid.address, borrow, min_profit])
    return ArbCall(
        request=TxRequest(to=arb_contract, data=data),
        pair_borrow=borrow_pair,
        pair_sell=sell_pair,
        token_borrow=mid,
        token_profit=base,
        amount_borrow=borrow,
        min_profit=min_profit,
        predicted_repay=repay,
        predicted_profit=proceeds - repay,
    )


def _break_even(intent: OrderIntent, market: MarketView) -> int:
    """The intent's expected network cost, in its base token's base units (rounded up)."""
    network = intent.expected_costs.network
    if network <= 0:
        return 0
    price = Decimal(repr(market.price_usd(intent.token_in)))
    if price <= 0:
        return 0
    units = network / price * intent.token_in.one
    return int(units.to_integral_value(rounding=ROUND_CEILING))


def decode_profit(output: bytes) -> int | None:
    """``execute``'s return value (the profit) from ``eth_call`` output."""
    try:
        (profit,) = decode_result(["uint256"], output)
    except (DecodingError, ValueError):
        return None
    return int(profit)


# -- receipts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArbEvent:
    """PhantomArb's ``Arbitrage`` event: what the contract measured."""

    pair_borrow: str
    pair_sell: str
    token_borrow: str
    token_profit: str
    amount_borrow: int
    repaid: int
    profit: int


def _topic_address(topic: str) -> str:
    return "0x" + topic[-40:]


def decode_arbitrage(receipt: Receipt, arb_contract: str) -> ArbEvent | None:
    for entry in receipt.logs:
        if entry.address.lower() != arb_contract.lower() or not entry.topics:
            continue
        if entry.topics[0] != ARBITRAGE_TOPIC or len(entry.topics) != 4:
            continue
        token_profit, amount, repaid, profit = decode_result(
            ["address", "uint256", "uint256", "uint256"], entry.data
        )
        return ArbEvent(
            pair_borrow=_topic_address(entry.topics[1]).lower(),
            pair_sell=_topic_address(entry.topics[2]).lower(),
            token_borrow=_topic_address(entry.topics[3]).lower(),
            token_profit=str(token_profit).lower(),
            amount_borrow=int(amount),
            repaid=int(repaid),
            profit=int(profit),
        )
    return None


def owner_token_deltas(
    receipt: Receipt, owner: str, tokens: Mapping[str, Token]
) -> dict[Token, int]:
    """Net ERC-20 balance change of ``owner`` per known token, from the receipt's ``Transfer``
    logs (``tokens`` is keyed by lower-case address). Realized, never quoted."""
    me = owner.lower()
    out: dict[Token, int] = {}
    for entry in receipt.logs:
        token = tokens.get(entry.address.lower())
        if token is None or len(entry.topics) != 3 or entry.topics[0] != TRANSFER_TOPIC:
            continue
        src, dst = _topic_address(entry.topics[1]), _topic_address(entry.topics[2])
        (value,) = decode_result(["uint256"], entry.data)
        if src == me:
            out[token] = out.get(token, 0) - int(value)
        if dst == me:
            out[token] = out.get(token, 0) + int(value)
    return {t: v for t, v in out.items() if v != 0}


def pre_trade_reserves(receipt: Receipt) -> dict[str, tuple[int, int]]:
    """Each pair's (reserve0, reserve1) just before its first swap in this transaction.

    Uniswap V2 emits ``Sync`` (reserves after) and then ``Swap`` (amounts in and out), so the
    state before is ``after - in + out`` per side."""
    last_sync: dict[str, tuple[int, int]] = {}
    out: dict[str, tuple[int, int]] = {}
    for entry in receipt.logs:
        if not entry.topics:
            continue
        pair = entry.address.lower()
        if entry.topics[0] == SYNC_TOPIC:
            r0, r1 = decode_result(["uint112", "uint112"], entry.data)
            last_sync[pair] = (int(r0), int(r1))
        elif entry.topics[0] == SWAP_TOPIC and pair in last_sync and pair not in out:
            a0_in, a1_in, a0_out, a1_out = decode_result(["uint256"] * 4, entry.data)
            after0, after1 = last_sync[pair]
            out[pair] = (after0 - int(a0_in) + int(a0_out), after1 - int(a1_in) + int(a1_out))
    return out
