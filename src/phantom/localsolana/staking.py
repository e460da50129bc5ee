"""Liquid staking in the local Solana world: the LSTs' rate accounts, their epochs, de-pegs.

- **Rate accounts.** Each LST has one account in a real layout, written into LiteSVM and read
  over RPC (``getAccountInfo``) like on mainnet: an SPL stake-pool ``StakePool`` (``total_lamports
  / pool_token_supply``, jitoSOL's kind) or Marinade's ``State`` (``msol_price / 2^32``, mSOL's),
  encoded by ``venues/solana_accounts``. The accounts are owned by the real programs' ids (the
  programs themselves are not deployed: nothing here stakes).
- **Epochs.** Every ``epoch_blocks`` blocks the world's epoch advances and every rate grows by
  its ``growth_ppm`` (staking rewards: the lamports behind the same supply grow), the accounts are
  rewritten with ``last_update_epoch`` = the new epoch (the pools are updated at once, never
  stale).
- **De-pegs.** :func:`depeg` sells the LST into its pool until the pool's mid is ``bps`` under the
  rate; :func:`repeg` buys it back toward the rate (arbitrageurs closing the gap);
  :class:`DepegTrader` does both on timers (the LSTs in turn), like the noise trader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from phantom.localsolana.background import BackgroundTrader
from phantom.localsolana.pools import LocalPool
from phantom.venues.solana_accounts import (
    MARINADE_PROGRAM,
    STAKE_POOL_PROGRAM,
    MarinadeState,
    MarinadeStateHead,
    StakePoolState,
    encode_marinade_state,
    encode_stake_pool,
    msol_price_of,
)

if TYPE_CHECKING:
    from phantom.localsolana.world import LocalSolanaWorld

Layout = Literal["spl_stake_pool", "marinade"]
FIRST_EPOCH = 700
_PPM = 1_000_000


@dataclass(frozen=True)
class StakeAccountSpec:
    """One LST's rate account: ``rate`` SOL per LST at genesis over ``supply`` LST base units
    (9 decimals, like SOL), growing ``growth_ppm`` per epoch."""

    symbol: str
    layout: Layout
    rate: Decimal
    supply: int = 5_000_000 * 10**9
    growth_ppm: int = 200

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.supply <= 0 or self.growth_ppm < 0:
            raise ValueError(f"stake account {self.symbol}: rate, supply > 0, growth_ppm >= 0")


class LocalStaking:
    """The rate accounts of ``world`` (see the module docstring)."""

    def __init__(
        self, world: LocalSolanaWorld, specs: list[StakeAccountSpec], epoch_blocks: int | None
    ) -> None:
        if epoch_blocks is not None and epoch_blocks <= 0:
            raise ValueError("epoch_blocks must be > 0 (or None: rates never move)")
        self.world, self.epoch_blocks = world, epoch_blocks
        self.specs = {s.symbol: s for s in specs}
        self.epoch = FIRST_EPOCH
        self.addresses: dict[str, Pubkey] = {s.symbol: Keypair().pubkey() for s in specs}
        self.lamports: dict[str, int] = {
            s.symbol: int(s.rate * s.supply) for s in specs
        }  # the lamports behind the supply (exact at genesis to 1 lamport)
        self._blocks = 0
        for symbol in self.specs:
            self._write(symbol)

    def layout(self, symbol: str) -> Layout:
        return self.specs[symbol].layout

    def _owner_key(self) -> str:
        return str(self.world.mint_authority.pubkey())

    def state(self, symbol: str) -> StakePoolState | MarinadeState:
        """The account's decoded content now (what a reader decodes from its bytes)."""
        spec, owner = self.specs[symbol], self._owner_key()
        mint = str(self.world.mints[symbol])
        total = self.lamports[symbol]
        if spec.layout == "spl_stake_pool":
            return StakePoolState(
                manager=owner, staker=owner, stake_deposit_authority=owner,
                stake_withdraw_bump_seed=255, validator_list=owner, reserve_stake=owner,
                pool_mint=mint, manager_fee_account=owner,
                token_program_id="TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
                total_lamports=total, pool_token_supply=spec.supply, last_update_epoch=self.epoch,
            )  # fmt: skip
        head = MarinadeStateHead(
            msol_mint=mint, admin_authority=owner, operational_sol_account=owner,
            treasury_msol_account=owner, reserve_bump_seed=255, msol_mint_authority_bump_seed=254,
            rent_exempt_for_token_acc=2_039_280, reward_fee_bps=600,
        )  # fmt: skip
        return MarinadeState(
            head=head, delayed_unstake_cooling_down=0, total_active_balance=total,
            available_reserve_balance=0, msol_supply=spec.supply,
            msol_price=msol_price_of(total, spec.supply), circulating_ticket_count=0,
            circulating_ticket_balance=0, emergency_cooling_down=0,
        )  # fmt: skip

    def rate(self, symbol: str) -> Decimal:
        """SOL per LST as the account says it (Marinade: its ``msol_price``)."""
        return self.state(symbol).rate

    def _write(self, symbol: str) -> None:
        state = self.state(symbol)
        if isinstance(state, StakePoolState):
            data, owner = encode_stake_pool(state), Pubkey.from_string(STAKE_POOL_PROGRAM)
        else:
            data, owner = encode_marinade_state(state), Pubkey.from_string(MARINADE_PROGRAM)
        chain = self.world.chain
        with chain.lock:
            rent = chain.svm.minimum_balance_for_rent_exemption(len(data))
            chain.svm.set_account(self.addresses[symbol], Account(rent, data, owner, False, 0))

    def advance_epoch(self) -> int:
        """A new epoch: every rate grows by its ``growth_ppm``; returns the epoch."""
        with self.world.chain.lock:
            self.epoch += 1
            for symbol, spec in self.specs.items():
                self.lamports[symbol] += self.lamports[symbol] * spec.growth_ppm // _PPM
                self._write(symbol)
            return self.epoch

    def on_block(self, height: int) -> None:
        """A block listener: advance the epoch every ``epoch_blocks`` blocks."""
        if self.epoch_blocks is None:
            return
        self._blocks += 1
        if self._blocks % self.epoch_blocks == 0:
            self.advance_epoch()

    def address_of(self, symbol: str) -> str:
        return str(self.addresses[symbol])


# --- de-pegs ----------------------------------------------------------------------------------


def lst_pool(world: LocalSolanaWorld, symbol: str, underlying: str = "WSOL") -> LocalPool:
    pool = world.pool_for(world.mints[symbol], world.mints[underlying])
    if pool is None:
        raise KeyError(f"the local world has no {symbol}-{underlying} pool")
    return pool


def pool_ratio(world: LocalSolanaWorld, symbol: str, underlying: str = "WSOL") -> float:
    """The pool's mid price of the LST, in whole ``underlying`` tokens per whole LST."""
    pool = lst_pool(world, symbol, underlying)
    r_lst, r_under = world.reserves(pool, world.mints[symbol])
    decimals = world.config.tokens
    return float(r_under * 10 ** decimals[symbol]) / float(r_lst * 10 ** decimals[underlying])


def depeg(world: LocalSolanaWorld, symbol: str, bps: int, underlying: str = "WSOL") -> int:
    """Sell the LST into its pool (a real trade) until its mid is about ``bps`` under the rate;
    returns the bps the pool moved (0 when it already was that far under)."""
    fair = float(world.staking.rate(symbol))
    target = fair * (1 - bps / 10_000)
    now = pool_ratio(world, symbol, underlying)
    if now <= target:
        return 0
    move = math.ceil((1 - target / now) * 10_000)
    world.move_pool(lst_pool(world, symbol, underlying), world.mints[symbol], move)
    return move


def repeg(
    world: LocalSolanaWorld, symbol: str, fraction: float = 1.0, underlying: str = "WSOL"
) -> int:
    """Buy the LST back (a real trade) to close ``fraction`` of the gap between its mid and its
    rate; returns the bps the pool moved (0 when it was not under the rate)."""
    fair = float(world.staking.rate(symbol))
    now = pool_ratio(world, symbol, underlying)
    if now >= fair:
        return 0
    target = now + (fair - now) * min(1.0, max(0.0, fraction))
    move = math.floor((1 - now / target) * 10_000)
    if move <= 0:
        return 0
    world.move_pool(lst_pool(world, symbol, underlying), world.mints[underlying], move)
    return move


class DepegTrader(BackgroundTrader):
    """Every ``interval_s`` de-pegs the next LST (in turn) by ``bps``; every ``recover_s`` buys
    each LST under its rate back by ``recover_fraction`` of its gap."""

    def __init__(
        self,
        world: LocalSolanaWorld,
        *,
        interval_s: float,
        bps: int,
        recover_s: float = 0.4,
        recover_fraction: float = 0.12,
    ) -> None:
        if interval_s <= 0 or recover_s <= 0 or not 0 < bps < 10_000:
            raise ValueError("depeg: interval_s, recover_s > 0 and 0 < bps < 10000")
        if not 0 < recover_fraction <= 1:
            raise ValueError("depeg: recover_fraction must be in (0, 1]")
        super().__init__("solana-depeg")
        self.world, self.interval_s, self.bps = world, interval_s, bps
        self.recover_s, self.recover_fraction = recover_s, recover_fraction
        self.depegs = self.recoveries = 0

    def _main(self) -> None:
        symbols = sorted(self.world.staking.specs)
        waited = 0.0
        while symbols and not self._stop.wait(self.recover_s):
            waited += self.recover_s
            try:
                for symbol in symbols:
                    self.recoveries += bool(repeg(self.world, symbol, self.recover_fraction))
                if waited >= self.interval_s:
                    waited = 0.0
                    symbol = symbols[self.depegs % len(symbols)]
                    self.depegs += 1
                    depeg(self.world, symbol, self.bps)
            except RuntimeError:  # a move can fail while the world stops
                return
