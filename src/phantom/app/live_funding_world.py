"""The embedded local Solana world of a live funding run (when no world file names a running
one): the live Solana layout (``live_solana_world.world_config``, whose ``WSOL-USDC`` pool is the
spot leg), started here, its key funded with ``wallet_sol`` SOL and ``wallet_usdc`` USDC, and
stopped on exit. A perp venue cannot follow its prices (it starts after the venue): run the world
on its own (``python -m phantom.app.live_solana_world``) for a local perp exchange to read it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from phantom.app.live_funding_config import LiveFundingOptions
from phantom.app.live_run import LiveRefused
from phantom.app.live_solana import SolanaKey
from phantom.app.live_solana_world import WorldInfo, describe, world_config
from phantom.localsolana.faults import Faults
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.keystore import SolanaSigner


@contextlib.contextmanager
def embedded_world(
    key: SolanaKey | None, options: LiveFundingOptions, seed: int
) -> Iterator[tuple[WorldInfo, SolanaKey]]:
    sol = options.solana
    faults = Faults(
        **{
            "blockhash_validity_blocks": sol.blockhash_validity_blocks,
            "confirm_after_blocks": sol.confirm_after_blocks,
            **sol.world_faults,
        }
    )
    config = world_config(sol.block_interval_s, seed=7 + seed)
    if options.spot_pool not in {p.name for p in config.pools}:
        raise LiveRefused(f"the embedded world has no {options.spot_pool} pool (the spot leg)")
    world = LocalSolanaWorld(config, faults)
    world.start()
    try:
        key = key or SolanaKey(SolanaSigner.generate(), "embedded local world devnet key (fresh)")
        usdc = world.config.tokens["USDC"]
        lamports = int(options.wallet_sol.scaleb(9))
        world.fund(key.signer.pubkey, lamports, {"USDC": int(options.wallet_usdc.scaleb(usdc))})
        yield describe(world, f"embedded{time.time_ns():x}"), key
    finally:
        world.stop()
