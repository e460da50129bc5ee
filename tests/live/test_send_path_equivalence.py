"""The send path's fast routes give exactly what the general routes give.

- ``amm.sandwich``: the constant-product searches evaluate front-runs with integer arithmetic
  instead of ``swap()`` objects; every result must equal the ``swap()``-based algorithm's
  (reproduced here as the reference).
- ``venues.evm.signer``: type-2 transactions and EIP-191 messages signed with a cached
  libsecp256k1 key must be byte-identical to eth_account's; other shapes go through eth_account.
"""

from __future__ import annotations

import contextlib
import os
import random
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from phantom.amm import sandwich
from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.sizing import ternary_max
from phantom.amm.swap import quote
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token
from phantom.venues.evm.errors import SigningError
from phantom.venues.evm.signer import SecretKey, Signer

X = Token("X", 18, chain="ethereum")
Y = Token("Y", 6, chain="ethereum")
FEES = (0, 1, 500, 3000, 10_000, 999_999)


def reference_front_run(x: int, y: int, v: int, min_out: int, fee_ppm: int) -> int:
    """``optimal_front_run_cp`` with the checked ``get_amount_out`` predicate (the original)."""
    if sandwich._cp_victim_out(x, y, v, 0, fee_ppm) < min_out:
        return 0
    guess = sandwich.optimal_front_run_cp(x, y, v, min_out, fee_ppm)  # a start point only
    return sandwich._largest_true(
        lambda a: sandwich._cp_victim_out(x, y, v, a, fee_ppm) >= min_out, guess, 1
    )


def reference_best_sandwich(
    pool: ConstantProductPool, token_in: Token, victim_in: int, victim_min_out: int
) -> sandwich.Sandwich | None:
    """``best_sandwich`` as it was: every candidate simulated through ``swap()``."""
    if victim_in <= 0:
        raise ValueError(f"victim_in must be positive, got {victim_in}")
    clean = sandwich._simulate(pool, token_in, victim_in, 0)
    if clean is None or clean.victim_out <= victim_min_out:
        return None
    floor_out = max(victim_min_out, 0)
    x, y = pool.reserves_for(token_in)
    bound = sandwich.optimal_front_run_cp(x, y, victim_in, max(floor_out, 1), pool.fee_ppm)
    if bound == 0:
        return None

    def profit(a: int) -> int:
        outcome = sandwich._simulate(pool, token_in, victim_in, a)
        return outcome.profit if outcome is not None else -(1 << 255)

    delta = max(1, bound >> 20)
    if bound <= sandwich._SCAN_LIMIT:
        front = max(range(bound + 1), key=lambda a: (profit(a), -a))
    elif profit(bound) >= profit(bound - delta):
        front = bound
    else:
        front = ternary_max(profit, 0, bound)[0]
    best = sandwich._simulate(pool, token_in, victim_in, front)
    if best is None or best.profit <= 0:
        return None
    return sandwich.Sandwich(front, best.profit, best.victim_out, clean.victim_out, best.pool_after)


def _random_case(rng: random.Random) -> tuple[ConstantProductPool, Token, int, int]:
    scale = rng.choice([10, 1000, 10**6, 10**12, 10**18, 10**24])
    x = rng.randint(0, 50) if rng.random() < 0.05 else rng.randint(1, scale)
    y = rng.randint(0, 50) if rng.random() < 0.05 else rng.randint(1, scale)
    pool = ConstantProductPool("p", "v", X, Y, x, y, rng.choice(FEES))
    token_in = rng.choice([X, Y])
    v = rng.randint(1, max(1, scale // rng.choice([1, 10, 100, 10**4])))
    try:
        clean = quote(pool, token_in, v)
    except InsufficientLiquidity:
        clean = 0
    min_out = rng.choice(
        [0, -5, clean, max(0, clean - 1), clean * 99 // 100,
         clean * rng.randint(1, 9999) // 10_000, rng.randint(0, max(1, clean))]
    )  # fmt: skip
    return pool, token_in, v, min_out


def _outcome(fn: Any, *args: Any) -> tuple[Any, ...]:
    try:
        found = fn(*args)
    except Exception as exc:
        return ("raises", type(exc), str(exc))
    if found is None:
        return ("none",)
    return (found.front_in, found.attacker_profit, found.victim_out, found.victim_out_clean,
            found.pool_after)  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_best_sandwich_equals_the_swap_based_search(seed: int) -> None:
    rng = random.Random(seed)
    found = 0
    for _ in range(250):
        pool, token_in, v, min_out = _random_case(rng)
        ours = _outcome(sandwich.best_sandwich, pool, token_in, v, min_out)
        assert ours == _outcome(reference_best_sandwich, pool, token_in, v, min_out), (
            pool, token_in.symbol, v, min_out,
        )  # fmt: skip
        found += len(ours) > 3
    assert found > 50  # the comparison covered real sandwiches, not only refusals


def test_cp_profit_equals_simulate_including_degenerate_pools() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        pool, token_in, v, _ = _random_case(rng)
        x, y = pool.reserves_for(token_in)
        profit = sandwich._cp_profit_fn(x, y, v, pool.fee_ppm)
        for a in {
            0,
            1,
            2,
            rng.randint(0, 100),
            rng.randint(0, max(1, x)),
            rng.randint(0, 4 * x + 9),
        }:
            outcome = sandwich._simulate(pool, token_in, v, a)
            assert outcome is not None and profit(a) == outcome.profit, (pool, v, a)


def test_front_run_bound_equals_the_checked_predicate() -> None:
    rng = random.Random(5)
    for _ in range(1500):
        pool, token_in, v, min_out = _random_case(rng)
        x, y = pool.reserves_for(token_in)
        if min(x, y) <= 0 or min_out < 1:
            continue
        ours = sandwich.optimal_front_run_cp(x, y, v, min_out, pool.fee_ppm)
        assert ours == reference_front_run(x, y, v, min_out, pool.fee_ppm)
        victim_out = sandwich._cp_victim_out_fn(x, y, v, pool.fee_ppm)
        for a in (0, ours, ours + 1):
            assert victim_out(a) == sandwich._cp_victim_out(x, y, v, a, pool.fee_ppm)


# -- signing ------------------------------------------------------------------------------------


def _big(rng: random.Random) -> int:
    return rng.choice(
        [0, 1, 127, 128, 255, 256, 2**55, 2**56, rng.randint(0, 2**64), rng.randint(0, 2**256 - 1)]
    )


def test_direct_type2_signatures_are_eth_accounts_bytes() -> None:
    rng = random.Random(3)
    to = [Account.create().address for _ in range(4)]
    for i in range(300):
        raw_key = os.urandom(32)
        signer = Signer(SecretKey(raw_key))
        assert signer._ecdsa is not None  # coincurve is a dependency of the live path
        data = os.urandom(rng.choice([0, 1, 55, 56, 57, 200, 1000])) if i % 7 else bytes([i % 256])
        tx: dict[str, Any] = {
            "type": 2, "chainId": rng.choice([1, 31337, 0, 2**40]), "nonce": _big(rng),
            "value": _big(rng), "data": data, "gas": _big(rng), "maxFeePerGas": _big(rng),
            "maxPriorityFeePerGas": _big(rng), "accessList": [],
        }  # fmt: skip
        if i % 10:
            tx["to"] = rng.choice(to)
        ref = Account.sign_transaction(tx, raw_key)
        signed = signer.sign_transaction(tx)
        assert signed.raw == bytes(ref.raw_transaction)
        assert signed.tx_hash == "0x" + bytes(ref.hash).hex()
        message: str | bytes = rng.choice(["", "hello", "é" * i, os.urandom(i % 97)])
        signable = (
            encode_defunct(text=message)
            if isinstance(message, str)
            else encode_defunct(primitive=message)
        )
        ref_msg = Account.sign_message(signable, raw_key)
        sig = signer.sign_message(message)
        assert sig.signature == bytes(ref_msg.signature)
        assert sig.message_hash == bytes(ref_msg.message_hash)


def test_other_shapes_go_through_eth_account() -> None:
    raw_key = os.urandom(32)
    signer = Signer(SecretKey(raw_key))
    to = Account.create().address
    base: dict[str, Any] = {
        "type": 2, "chainId": 1, "nonce": 3, "value": 0, "data": b"\x01", "gas": 50_000,
        "maxFeePerGas": 10, "maxPriorityFeePerGas": 1, "accessList": [], "to": to,
    }  # fmt: skip
    variants: list[dict[str, Any]] = [
        {**base, "to": to.lower()},
        {**base, "data": "0x01"},
        {**base, "nonce": "0x3"},
        {**base, "from": signer.address},
        {**base, "accessList": [{"address": to, "storageKeys": ["0x" + "00" * 32]}]},
    ]
    assert signer.sign_transaction(base).raw == bytes(
        Account.sign_transaction(base, raw_key).raw_transaction
    )
    bad_checksum = to[:-1] + ("a" if to[-1] != "a" else "b") if to[-1].isalpha() else to.upper()
    variants += [
        {**base, "nonce": -1},
        {**base, "to": "0x" + bad_checksum[2:]},
        {**base, "type": True},
        {"nonce": "bad"},
    ]
    accepted = 0
    for tx in variants:
        expected: bytes | None = None
        with contextlib.suppress(Exception):
            expected = bytes(Account.sign_transaction(dict(tx), raw_key).raw_transaction)
        if expected is None:  # eth_account refuses it: so does the signer, without the chain
            with pytest.raises(SigningError) as info:
                signer.sign_transaction(tx)
            assert info.value.__cause__ is None and info.value.__context__ is None
        else:
            assert signer.sign_transaction(tx).raw == expected
            accepted += 1
    assert accepted >= 3
