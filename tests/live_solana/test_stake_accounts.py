"""The LSTs' rate accounts: the encoders round-trip through the decoders of
``venues/solana_accounts``; the local world writes them into LiteSVM, they read back over RPC
as the world's rates, and every epoch makes them grow; a de-peg and a re-peg are real trades."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from phantom.app.live_solana_rates import RateAccount, StakeRateFollower
from phantom.app.live_solana_world import describe
from phantom.engines.lst.engine import StakeRate
from phantom.localsolana.staking import depeg, pool_ratio, repeg
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.b58 import b58encode
from phantom.venues.solana.router import EndpointConfig, SmartRouter
from phantom.venues.solana_accounts import (
    MSOL_MINT,
    AccountDecodeError,
    MarinadeState,
    MarinadeStateHead,
    StakePoolState,
    decode_marinade_head,
    decode_marinade_state,
    decode_stake_pool,
    encode_marinade_state,
    encode_stake_pool,
    msol_price_of,
)
from phantom.venues.solana_accounts.marinade import STATE_LEN

JITOSOL_MINT = "J1toso1uCk3RLmjorhTtrVwY9HJ7X8V9yYac6Y7kGCPn"


def _key(n: int) -> str:
    return b58encode(bytes([n]) * 32)


def test_a_stake_pool_round_trips_through_its_decoder() -> None:
    state = StakePoolState(
        manager=_key(1), staker=_key(2), stake_deposit_authority=_key(3),
        stake_withdraw_bump_seed=254, validator_list=_key(4), reserve_stake=_key(5),
        pool_mint=JITOSOL_MINT, manager_fee_account=_key(6), token_program_id=_key(7),
        total_lamports=6639028734407647, pool_token_supply=6189948258688516,
        last_update_epoch=537,
    )  # fmt: skip
    data = encode_stake_pool(state)
    assert data[0] == 1 and len(data) == 611
    assert decode_stake_pool(data, expected_mint=JITOSOL_MINT) == state
    assert float(decode_stake_pool(data).rate) == pytest.approx(1.07255, abs=5e-6)
    with pytest.raises(AccountDecodeError, match="pool_mint"):
        decode_stake_pool(data, expected_mint=MSOL_MINT)


def test_a_marinade_state_round_trips_through_its_decoders() -> None:
    head = MarinadeStateHead(
        msol_mint=MSOL_MINT, admin_authority=_key(2), operational_sol_account=_key(3),
        treasury_msol_account=_key(4), reserve_bump_seed=255, msol_mint_authority_bump_seed=253,
        rent_exempt_for_token_acc=2_039_280, reward_fee_bps=600,
    )  # fmt: skip
    staked, supply = 9_000_000 * 10**9, 7_800_000 * 10**9
    state = MarinadeState(
        head=head, delayed_unstake_cooling_down=10**12, total_active_balance=staked,
        available_reserve_balance=5 * 10**13, msol_supply=supply,
        msol_price=msol_price_of(staked + 10**12 + 5 * 10**13 - 3 * 10**11, supply),
        circulating_ticket_count=12, circulating_ticket_balance=3 * 10**11,
        emergency_cooling_down=0,
    )  # fmt: skip
    data = encode_marinade_state(state)
    assert len(data) == STATE_LEN
    assert decode_marinade_state(data, expected_mint=MSOL_MINT) == state
    assert decode_marinade_head(data) == head
    # the published price and the exact rate from the totals agree to the price's 2^-32 step
    assert abs(state.rate - state.exact_rate) < Decimal(2) ** -32
    assert state.rate == Decimal(state.msol_price) / 2**32
    with pytest.raises(AccountDecodeError, match="msol_mint"):
        decode_marinade_state(data, expected_mint=JITOSOL_MINT)
    with pytest.raises(AccountDecodeError, match="bytes"):
        decode_marinade_state(data[:575])


def test_the_world_serves_its_rates_over_rpc_and_grows_them_each_epoch(
    world: LocalSolanaWorld,
) -> None:
    world.staking.epoch_blocks = None  # epochs by hand only
    info = describe(world, "w")
    accounts = [
        RateAccount(sym, a.address, a.layout, a.mint) for sym, a in info.stake_accounts.items()
    ]
    assert {a.symbol: a.layout for a in accounts} == {
        "jitoSOL": "spl_stake_pool", "mSOL": "marinade"
    }  # fmt: skip
    sink: list[StakeRate] = []

    async def reads() -> tuple[list[StakeRate], list[StakeRate], list[StakeRate]]:
        router = SmartRouter([EndpointConfig(url=world.rpc_url)])
        follower = StakeRateFollower(router, accounts, sink.append, 1.0)
        try:
            first = await follower.read_all()
            same = await follower.read_all()
            world.staking.advance_epoch()
            return first, same, await follower.read_all()
        finally:
            await router.aclose()

    before = {s: world.staking.rate(s) for s in ("jitoSOL", "mSOL")}
    first, same, grown = asyncio.run(reads())
    assert {r.symbol: r.rate for r in first} == {s: float(v) for s, v in before.items()}
    assert before["jitoSOL"] == Decimal("1.07")
    assert same == []  # unchanged: nothing to hand over
    for event in grown:  # 200 ppm per epoch
        assert event.rate == pytest.approx(float(before[event.symbol]) * 1.0002, rel=1e-9)
    assert {r.symbol for r in grown} == {"jitoSOL", "mSOL"} and sink == []


def test_a_depeg_and_a_repeg_are_trades_through_the_pool(world: LocalSolanaWorld) -> None:
    fair = float(world.staking.rate("jitoSOL"))
    assert pool_ratio(world, "jitoSOL") == pytest.approx(fair, rel=1e-9)
    assert depeg(world, "jitoSOL", 300) > 0
    assert pool_ratio(world, "jitoSOL") == pytest.approx(fair * 0.97, rel=2e-4)
    assert depeg(world, "jitoSOL", 100) == 0  # already further under
    assert repeg(world, "jitoSOL", 0.5) > 0
    assert pool_ratio(world, "jitoSOL") == pytest.approx(fair * 0.985, rel=2e-4)
    repeg(world, "jitoSOL")
    assert pool_ratio(world, "jitoSOL") == pytest.approx(fair, rel=2e-4)
