"""Jito bundles (tip, atomicity) and RPC failover under 429s, on the local world."""

from __future__ import annotations

import pytest
from sol_support import USDC_START, StackFactory, run
from solders import system_program as sp
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from phantom.localsolana.guard import guard_data
from phantom.localsolana.http import LocalServer
from phantom.localsolana.rpc_server import RpcService
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.errors import JitoError
from phantom.venues.solana.jito import JitoClient
from phantom.venues.solana.swapper import SwapResult


async def _go(stack: object) -> SwapResult:
    try:
        return await stack.swapper.execute_swap(stack.order())  # type: ignore[attr-defined]
    finally:
        await stack.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", ["jito", "jito_bundle"])
def test_jito_swap_pays_its_tip_in_the_same_transaction(
    make_stack: StackFactory, route: str
) -> None:
    stack = make_stack(use_jito=True, route=route, jito_tip_lamports=2500)
    world = stack.world
    tips_before = {t: world.sol_balance(t) for t in world.tip_accounts}
    result = run(_go(stack))
    assert result.status == "landed", result.error
    assert result.tip_lamports == 2500
    paid = {t: world.sol_balance(t) - b for t, b in tips_before.items()}
    assert sorted(paid.values())[-1] == 2500 and sum(paid.values()) == 2500
    landed = world.chain.landed[result.signature or ""]
    assert landed.err is None
    assert world.token_balance(stack.signer.pubkey, "USDC") == USDC_START - 100 * 10**6
    bundles = [b for b in world.chain.bundles.values() if result.signature in b.signatures]
    assert len(bundles) == 1 and bundles[0].landed


def _tx(world: LocalSolanaWorld, payer: Keypair, ixs: list[Instruction]) -> VersionedTransaction:
    msg = MessageV0.try_compile(payer.pubkey(), ixs, [], world.chain.blockhash)
    return VersionedTransaction(msg, [payer])


def test_bundle_is_atomic_and_must_tip(world: LocalSolanaWorld) -> None:
    payer, friend = Keypair(), Keypair().pubkey()
    world.fund(payer.pubkey(), 10**9)
    tip_account = world.tip_accounts[0]
    pay = sp.transfer(
        sp.TransferParams(from_pubkey=payer.pubkey(), to_pubkey=friend, lamports=10**6)
    )
    tip = sp.transfer(
        sp.TransferParams(from_pubkey=payer.pubkey(), to_pubkey=tip_account, lamports=1000)
    )
    pool = world.pools[0]
    impossible = Instruction(  # the guard asks for more than the pool can pay: custom 6001
        world.guard_id,
        guard_data(1, 2**63),
        [AccountMeta(pool.vault_a, False, False), AccountMeta(pool.vault_b, False, False)],
    )
    first = _tx(world, payer, [pay, tip])
    second = _tx(world, payer, [impossible])
    client = JitoClient(world.jito_url)

    async def scenario() -> tuple[str, list[object], str, list[object]]:
        try:
            with pytest.raises(JitoError, match="tip"):
                await client.send_bundle([bytes(_tx(world, payer, [pay]))])
            failing = await client.send_bundle([bytes(first), bytes(second)])
            await _wait_blocks(world, 3)
            failed_status = await client.get_bundle_statuses([failing])
            lone = await client.send_bundle([bytes(first)])
            await _wait_blocks(world, 3)
            return failing, failed_status, lone, await client.get_bundle_statuses([lone])
        finally:
            await client.aclose()

    balance_before = world.sol_balance(payer.pubkey())
    failing, failed_status, _lone, ok_status = run(scenario())
    assert failed_status == [None]
    assert world.chain.bundles[failing].err == {"InstructionError": [0, {"Custom": 6001}]}
    assert ok_status[0] is not None and ok_status[0].transactions == [str(first.signatures[0])]  # type: ignore[attr-defined]
    # the reverted bundle moved nothing; the lone bundle moved exactly once
    assert world.sol_balance(friend) == 10**6
    assert world.sol_balance(payer.pubkey()) == balance_before - 10**6 - 1000 - 5000


async def _wait_blocks(world: LocalSolanaWorld, n: int) -> None:
    import asyncio

    target = world.chain.height + n
    while world.chain.height < target:
        await asyncio.sleep(0.01)


def test_429_endpoint_is_blacklisted_and_the_swap_fails_over(
    world: LocalSolanaWorld, make_stack: StackFactory
) -> None:
    limited = LocalServer(RpcService(world.chain, rate_limit_first=10**6)).start()
    try:
        stack = make_stack(rpc_urls=[limited.url, world.rpc_url])
        result = run(_go(stack))
        stats = stack.router.stats()
    finally:
        limited.stop()
    assert result.status == "landed", result.error
    assert stats[0]["rate_limited"] >= 1 and stats[0]["successes"] == 0
    assert stats[1]["successes"] >= 4  # simulate, send, statuses, getTransaction


def test_unknown_tip_account_is_refused_before_signing(make_stack: StackFactory) -> None:
    stack = make_stack(use_jito=True)
    real = stack.jito.get_tip_accounts

    async def fake_tips() -> list[str]:
        await real()
        return [str(Pubkey.new_unique())]

    stack.jito.get_tip_accounts = fake_tips  # type: ignore[method-assign]
    result = run(_go(stack))
    assert result.status == "failed" and "tip" in result.error
    assert stack.world.token_balance(stack.signer.pubkey, "USDC") == USDC_START
