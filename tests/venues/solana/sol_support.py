"""Shared helpers of the Solana venue tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.jito import JitoClient
from phantom.venues.solana.jupiter import JupiterClient
from phantom.venues.solana.keystore import SolanaSigner
from phantom.venues.solana.router import SmartRouter
from phantom.venues.solana.rpc import SolanaRpc
from phantom.venues.solana.swapper import JupiterSwapper, SwapOrder

T = TypeVar("T")
USDC_START = 10_000 * 10**6


def run(coro: Awaitable[T]) -> T:
    async def wrap() -> T:
        return await coro

    return asyncio.run(wrap())


@dataclass
class Stack:
    world: LocalSolanaWorld
    signer: SolanaSigner
    swapper: JupiterSwapper
    router: SmartRouter
    rpc: SolanaRpc
    jito: JitoClient
    jupiter: JupiterClient

    def order(self, amount: int = 100 * 10**6) -> SwapOrder:
        return SwapOrder(
            str(self.world.mints["USDC"]), str(self.world.mints["JUP"]), amount, "test"
        )

    async def close(self) -> None:
        await self.router.aclose()
        await self.jito.aclose()
        await self.jupiter.aclose()


StackFactory = Callable[..., Stack]


StackFactory = Callable[..., Stack]
