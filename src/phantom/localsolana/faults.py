"""Fault injection for the local Solana world, set by configuration (and changeable at runtime).

Every fault is off by default; the world then behaves like a healthy cluster.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Faults(BaseModel):
    """What the local world does wrong, on purpose."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    # transport: HTTP 429 from a server, for its first N requests and/or every Nth request
    rpc_rate_limit_first: int = Field(default=0, ge=0)
    rpc_rate_limit_every: int = Field(default=0, ge=0)
    jupiter_rate_limit_first: int = Field(default=0, ge=0)
    jito_rate_limit_first: int = Field(default=0, ge=0)
    # landing: the first N deliveries of every signature vanish (the RPC still answers with the
    # signature, as a real node does); the first N distinct signatures never land at all
    drop_first_sends: int = Field(default=0, ge=0)
    blackhole_first_txs: int = Field(default=0, ge=0)
    # timing: blocks a transaction waits before inclusion; blocks from inclusion to confirmed
    inclusion_delay_blocks: int = Field(default=0, ge=0)
    confirm_after_blocks: int = Field(default=1, ge=0)
    finalize_after_blocks: int = Field(default=32, ge=1)
    # expiry: how many blocks a blockhash stays valid (mainnet: 150)
    blockhash_validity_blocks: int = Field(default=150, ge=1)
    # market: adverse pool moves (in bps of price), one consumed per /swap the Jupiter API builds;
    # "before_send" moves the pool at once (simulation/preflight sees it), "before_landing"
    # queues the move so it lands in the next block just ahead of the user's transaction
    price_moves_bps: list[int] = Field(default_factory=list)
    price_move_timing: Literal["before_send", "before_landing"] = "before_send"

    def next_price_move(self) -> int:
        if not self.price_moves_bps:
            return 0
        moves = list(self.price_moves_bps)
        first = moves.pop(0)
        self.price_moves_bps = moves
        return first
