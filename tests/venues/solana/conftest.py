"""Solana venue fixtures: the local LiteSVM world on 127.0.0.1 and a funded wallet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sol_support import USDC_START, Stack, StackFactory

from phantom.localsolana.faults import Faults
from phantom.localsolana.world import LocalSolanaWorld, WorldConfig
from phantom.venues.solana.jito import JitoClient
from phantom.venues.solana.jupiter import JupiterClient
from phantom.venues.solana.keystore import SolanaSigner
from phantom.venues.solana.router import EndpointConfig, RouterPolicy, SmartRouter
from phantom.venues.solana.rpc import SolanaRpc
from phantom.venues.solana.sender import SendPolicy, TransactionSender
from phantom.venues.solana.swapper import BeforeSend, JupiterSwapper, SwapperSettings


@pytest.fixture
def world() -> Iterator[LocalSolanaWorld]:
    """A local world producing a block every 20 ms, with a short blockhash window (40 blocks)."""
    faults = Faults(blockhash_validity_blocks=40)
    with LocalSolanaWorld(WorldConfig(block_interval_s=0.02), faults) as w:
        yield w


@pytest.fixture
def signer(world: LocalSolanaWorld) -> SolanaSigner:
    s = SolanaSigner.generate()
    world.fund(s.pubkey, 2 * 10**9, {"USDC": USDC_START, "JUP": 0})
    return s


@pytest.fixture
def make_stack(world: LocalSolanaWorld, signer: SolanaSigner) -> StackFactory:
    def make(
        *,
        use_jito: bool = False,
        route: str | None = None,
        enable_trading: bool = True,
        before_send: BeforeSend | None = None,
        rpc_urls: list[str] | None = None,
        **settings: Any,
    ) -> Stack:
        urls = rpc_urls or [world.rpc_url]
        router = SmartRouter(
            [EndpointConfig(url=u) for u in urls], RouterPolicy(timeout_s=5, cooldown_s=5)
        )
        rpc = SolanaRpc(router)
        jito = JitoClient(world.jito_url)
        jupiter = JupiterClient(world.jupiter_url)
        policy = SendPolicy(
            route=route or ("jito" if use_jito else "rpc"),  # type: ignore[arg-type]
            rebroadcast_interval_s=0.1,
            poll_interval_s=0.02,
        )
        sender = TransactionSender(rpc, policy, jito=jito)
        swapper = JupiterSwapper(
            SwapperSettings(enable_trading=enable_trading, use_jito=use_jito, **settings),
            jupiter=jupiter,
            rpc=rpc,
            sender=sender,
            signer=signer,
            jito=jito,
            before_send=before_send,
        )
        return Stack(world, signer, swapper, router, rpc, jito, jupiter)

    return make
