"""Constant-product pools whose reserves are the balances of two SPL token vaults on LiteSVM.

Maths (the guard program enforces the same bound on chain): the pool keeps ``fee_bps`` of the
input, ``in_net = in - floor(in * fee_bps / 10_000)``, and pays
``out = floor(R_out * in_net / (R_in + in_net))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from solders.keypair import Keypair
from solders.pubkey import Pubkey


def cp_out(r_in: int, r_out: int, amount_in: int, fee_bps: int) -> tuple[int, int]:
    """``(in_net, out)`` for an exact-in swap of ``amount_in`` against reserves ``r_in, r_out``."""
    if amount_in <= 0 or r_in <= 0 or r_out <= 0:
        return 0, 0
    in_net = amount_in - amount_in * fee_bps // 10_000
    return in_net, r_out * in_net // (r_in + in_net)


def adverse_move(r_in: int, r_out: int, bps: int) -> tuple[int, int]:
    """A trade (``in``, ``out``) in the user's direction that cuts ``r_out/r_in`` by ``bps``."""
    if bps <= 0:
        return 0, 0
    target_r_in = math.ceil(r_in / math.sqrt(1 - bps / 10_000))
    trade_in = max(1, target_r_in - r_in)
    _, out = cp_out(r_in, r_out, trade_in, 0)
    return trade_in, out


@dataclass
class LocalPool:
    """A pool: two vaults owned by ``authority`` (the server signs the vault side of a swap)."""

    name: str
    mint_a: Pubkey
    mint_b: Pubkey
    vault_a: Pubkey
    vault_b: Pubkey
    fee_bps: int
    authority: Keypair

    def __repr__(self) -> str:
        return f"LocalPool({self.name}, {self.vault_a}, {self.vault_b})"

    @property
    def key(self) -> str:
        """The ``ammKey`` of this pool in quotes (the first vault's address)."""
        return str(self.vault_a)

    def vaults(self, input_mint: Pubkey) -> tuple[Pubkey, Pubkey]:
        """``(vault_in, vault_out)`` for a swap selling ``input_mint``."""
        if input_mint == self.mint_a:
            return self.vault_a, self.vault_b
        if input_mint == self.mint_b:
            return self.vault_b, self.vault_a
        raise KeyError(f"{input_mint} is not traded by pool {self.name}")

    def other(self, mint: Pubkey) -> Pubkey:
        return self.mint_b if mint == self.mint_a else self.mint_a
