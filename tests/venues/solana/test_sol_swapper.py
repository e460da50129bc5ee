"""The swapper on the local LiteSVM world: tiers, trading disabled, landing, Jito."""

from __future__ import annotations

from sol_support import USDC_START, StackFactory, run

from phantom.venues.solana.swapper import SwapResult, maybe_refuel


def swap(stack_factory: StackFactory, **kw: object) -> tuple[SwapResult, object]:
    stack = stack_factory(**kw)

    async def go() -> SwapResult:
        try:
            return await stack.swapper.execute_swap(stack.order())
        finally:
            await stack.close()

    return run(go()), stack


def test_swap_lands_with_realized_amounts_from_balances(make_stack: StackFactory) -> None:
    result, stack = swap(make_stack)
    assert result.status == "landed", result.error
    assert result.tier_bps == 100 and result.tiers_tried == [100]
    world, owner = stack.world, stack.signer.pubkey  # type: ignore[attr-defined]
    assert result.in_amount == 100 * 10**6
    assert result.out_amount == world.token_balance(owner, "JUP") > 0
    assert world.token_balance(owner, "USDC") == USDC_START - 100 * 10**6
    # 2 signatures (wallet + pool authority) x 5000 + priority 10_000 µlamports x 100_000 CU
    assert result.priority_fee_lamports == 1000
    assert result.fee_lamports == 2 * 5000 + 1000


def test_trading_disabled_sends_nothing(make_stack: StackFactory) -> None:
    stack = make_stack(enable_trading=False)
    world = stack.world
    landed_before = len(world.chain.landed)
    result = run(_go(stack))
    assert result.status == "disabled" and result.attempts == []
    assert world.chain.deliveries() == 0 and len(world.chain.landed) == landed_before
    assert world.token_balance(stack.signer.pubkey, "USDC") == USDC_START


def test_gas_refuel_swaps_only_below_the_critical_level(make_stack: StackFactory) -> None:
    stack = make_stack()
    usdc, jup = str(stack.world.mints["USDC"]), str(stack.world.mints["JUP"])

    async def go(critical: int) -> object:
        return await maybe_refuel(
            stack.swapper,
            stack.rpc,
            critical_lamports=critical,
            replenish_atoms=5 * 10**6,
            usdc_mint=usdc,
            sol_mint=jup,  # the local world has no wSOL pool: refuel into a stand-in token
        )

    async def both() -> tuple[object, object]:
        try:
            return await go(10**6), await go(10**12)
        finally:
            await stack.close()

    above, below = run(both())
    assert above is None
    assert below is not None and below.status == "landed"  # type: ignore[attr-defined]
    assert below.order.reason == "Gas Refuel" and below.in_amount == 5 * 10**6  # type: ignore[attr-defined]


def test_escalates_through_tiers_on_slippage_in_simulation(make_stack: StackFactory) -> None:
    stack = make_stack()
    stack.world.faults.price_moves_bps = [150, 350, 0]
    result = run(_go(stack))
    assert result.status == "landed", result.error
    assert result.tiers_tried == [100, 300, 500] and result.tier_bps == 500
    assert [a.outcome for a in result.attempts] == ["simulation_failed"] * 2 + ["confirmed"]
    assert stack.world.token_balance(stack.signer.pubkey, "USDC") == USDC_START - 100 * 10**6


def test_gives_up_after_the_last_tier_and_sends_nothing(make_stack: StackFactory) -> None:
    stack = make_stack()
    stack.world.faults.price_moves_bps = [200, 400, 600, 1200]
    result = run(_go(stack))
    assert result.status == "slippage_exhausted"
    assert result.tiers_tried == [100, 300, 500, 1000]
    assert "every tier" in result.error
    assert stack.world.token_balance(stack.signer.pubkey, "USDC") == USDC_START
    assert all(a.signature not in stack.world.chain.landed for a in result.attempts)


def test_landed_6001_escalates_and_pays_the_failed_fee(make_stack: StackFactory) -> None:
    stack = make_stack(simulate_first=False)
    world = stack.world
    world.faults.price_move_timing = "before_landing"  # queued ahead of the user's transaction
    world.faults.price_moves_bps = [150, 0]
    before = world.sol_balance(stack.signer.pubkey)
    result = run(_go(stack))
    assert result.status == "landed", result.error
    assert result.tiers_tried == [100, 300]
    failed = world.chain.landed[result.attempts[0].signature or ""]
    assert failed.err == {"InstructionError": [3, {"Custom": 6001}]}
    assert any("0x1771" in line for line in failed.meta["logMessages"])
    spent = before - world.sol_balance(stack.signer.pubkey)
    assert spent >= 2 * (2 * 5000 + 1000)  # both transactions paid their fees


def test_other_errors_stop_at_once(make_stack: StackFactory) -> None:
    stack = make_stack()
    result = run(_go(stack, amount=USDC_START * 2))  # more USDC than the wallet holds
    assert result.status == "failed"
    assert result.tiers_tried == [100]
    assert "simulation failed" in result.error and "Custom" in result.error

    stack = make_stack()
    order = stack.order()
    bad = type(order)(order.input_mint, str(stack.signer.pubkey), order.amount, "no route")

    async def no_route() -> object:
        try:
            return await stack.swapper.execute_swap(bad)
        finally:
            await stack.close()

    result2 = run(no_route())
    assert result2.status == "failed" and "NO_ROUTES_FOUND" in result2.error  # type: ignore[attr-defined]
    assert result2.tiers_tried == [100]  # type: ignore[attr-defined]


def test_dropped_transaction_is_rebroadcast_and_lands_once(make_stack: StackFactory) -> None:
    stack = make_stack()
    world = stack.world
    world.faults.drop_first_sends = 2
    result = run(_go(stack))
    assert result.status == "landed", result.error
    assert result.rebroadcasts >= 2 and result.resigns == 0
    assert world.chain.sends_of(result.signature or "") >= 3
    assert world.token_balance(stack.signer.pubkey, "USDC") == USDC_START - 100 * 10**6
    mine = [r for r in world.chain.landed.values() if r.signature == result.signature]
    assert len(mine) == 1


def test_expired_blockhash_resigns_and_never_executes_twice(make_stack: StackFactory) -> None:
    stack = make_stack()
    world = stack.world
    world.faults.blackhole_first_txs = 1  # the first signed transaction never lands
    journal: list[tuple[str, int]] = []

    async def before_send(sig: str, last_valid: int, tier: int) -> None:
        journal.append((sig, last_valid))

    stack.swapper.before_send = before_send
    result = run(_go(stack))
    assert result.status == "landed", result.error
    assert result.resigns == 1 and len(journal) == 2
    first_sig, first_valid = journal[0]
    assert first_sig != result.signature
    assert world.chain.height > first_valid  # re-signed only after the window passed
    # the expired bytes delivered again can no longer execute
    first_raw = next(a for a in result.attempts if a.signature == first_sig)
    assert first_raw.outcome == "expired"
    world.faults.blackhole_first_txs = 0
    assert first_sig not in world.chain.landed
    assert world.token_balance(stack.signer.pubkey, "USDC") == USDC_START - 100 * 10**6


async def _go(stack: object, amount: int = 100 * 10**6) -> SwapResult:
    try:
        return await stack.swapper.execute_swap(stack.order(amount))  # type: ignore[attr-defined]
    finally:
        await stack.close()  # type: ignore[attr-defined]
