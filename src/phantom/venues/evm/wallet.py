"""Wallets: several named signers, native and ERC-20 balances, exact token approvals.

Approvals are always for the exact amount a trade needs, never "unlimited": an amount of
``2**255`` or more, or above the token's ``totalSupply``, is refused. Tokens such as USDT revert
when an allowance is changed from one non-zero value to another (they require a reset to 0 in
between, the ERC-20 approve race mitigation); pass ``reset_first=True`` for those, which sends
``approve(spender, 0)`` and then ``approve(spender, amount)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from eth_abi.exceptions import DecodingError

from phantom.venues.evm.abi import checksum, decode_result, encode_call
from phantom.venues.evm.errors import EvmError, MalformedResponse
from phantom.venues.evm.keystore import Keystore, Password
from phantom.venues.evm.rpc import BlockRef, RpcClient, call_object
from phantom.venues.evm.signer import Signer
from phantom.venues.evm.txmanager import TxManager, TxOutcome, TxRequest

log = logging.getLogger(__name__)

UNLIMITED_THRESHOLD = 2**255


@dataclass(frozen=True, slots=True)
class Wallet:
    """A named signer. ``repr`` shows the name and address only."""

    name: str
    signer: Signer

    @property
    def address(self) -> str:
        return self.signer.address


def load_wallets(
    keystore: Keystore, names: Iterable[str], password_for: Callable[[str], Password]
) -> dict[str, Wallet]:
    """Unlock several wallets; ``password_for(name)`` supplies each password (env or prompt)."""
    return {name: Wallet(name, keystore.unlock(name, password_for(name))) for name in names}


# -- reads ----------------------------------------------------------------------------------------


async def native_balance(rpc: RpcClient, owner: str, block: BlockRef = "latest") -> int:
    """Balance in wei of the chain's native token."""
    return await rpc.get_balance(checksum(owner), block)


async def _uint(rpc: RpcClient, token: str, signature: str, args: list[object]) -> int:
    data = await rpc.call(call_object(to=checksum(token), data=encode_call(signature, args)))
    try:
        (value,) = decode_result(["uint256"], data)
    except (DecodingError, ValueError):
        raise MalformedResponse(
            f"{signature} on {token} returned {len(data)} bytes, not a uint256", method="eth_call"
        ) from None
    return int(value)


async def balance_of(rpc: RpcClient, token: str, owner: str) -> int:
    """``token.balanceOf(owner)`` in token atoms."""
    return await _uint(rpc, token, "balanceOf(address)", [checksum(owner)])


async def allowance(rpc: RpcClient, token: str, owner: str, spender: str) -> int:
    """``token.allowance(owner, spender)`` in token atoms."""
    return await _uint(
        rpc, token, "allowance(address,address)", [checksum(owner), checksum(spender)]
    )


async def total_supply(rpc: RpcClient, token: str) -> int:
    return await _uint(rpc, token, "totalSupply()", [])


# -- approvals ------------------------------------------------------------------------------------


async def approve_exact(
    txm: TxManager,
    token: str,
    spender: str,
    amount: int,
    *,
    reset_first: bool = False,
    receipt_timeout_s: float = 120.0,
) -> list[TxOutcome]:
    """Make ``allowance(owner, spender) == amount`` with as few transactions as needed.

    Returns the mined outcomes (empty when the allowance is already exact). Raises
    ``ValueError`` for an unlimited-looking amount and :class:`EvmError` when an approve
    reverts on-chain (simulation reverts raise :class:`SimulationReverted` before sending).
    """
    token, spender = checksum(token), checksum(spender)
    if not 0 <= amount < UNLIMITED_THRESHOLD:
        raise ValueError(f"refusing an unlimited approval ({amount}); approve the exact amount")
    supply = await total_supply(txm.rpc, token)
    if amount > supply:
        raise ValueError(
            f"refusing to approve {amount} > totalSupply {supply} of {token} (looks unlimited)"
        )
    current = await allowance(txm.rpc, token, txm.address, spender)
    if current == amount:
        return []
    steps = [0, amount] if reset_first and current != 0 and amount != 0 else [amount]
    outcomes: list[TxOutcome] = []
    for value in steps:
        data = encode_call("approve(address,uint256)", [spender, value])
        outcome = await txm.send(
            TxRequest(to=token, data=data), receipt_timeout_s=receipt_timeout_s
        )
        outcomes.append(outcome)
        if not outcome.ok:
            raise EvmError(f"approve({spender}, {value}) on {token} reverted: {outcome.reason}")
        log.info("approved %s for %s on %s (tx %s)", value, spender, token, outcome.tx_hash)
    return outcomes
