"""A sandwich bot for the devnet, meant to run in its own process.

It subscribes to ``newPendingTransactions`` over anvil's WebSocket, decodes router
``swapExactTokensForTokens`` calls on the devnet DEXes, sizes the front-run with the closed form
of domain-facts §6 (the largest that still lets the victim's ``amountOutMin`` hold), and sends a
front-run with a higher ``maxFeePerGas`` than the victim's and a back-run with a lower one (anvil
orders its pool by fee), both signed locally with the bot's devnet key.

Run: ``python -m phantom.devnet.sandwich --deployment var/devnet/deployment.json``. It prints one
JSON line per event (``ready``, ``sandwich``, and ``missed`` for a router swap that was already
mined when the bot saw it, e.g. one landed by the private relay); it never prints a key.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_abi.abi import decode
from eth_account import Account
from websockets.asyncio.client import connect

from phantom.devnet.abi import checksum
from phantom.devnet.artifacts import artifact
from phantom.devnet.deployment import Deployment, PoolInfo, load_deployment
from phantom.devnet.v2math import amount_out, sandwich_front_run

SWAP_FN = "swapExactTokensForTokens"
SWAP_GAS = 250_000


@dataclass(frozen=True)
class VictimSwap:
    tx_hash: str
    sender: str
    dex: str
    router: str
    token_in: str
    token_out: str
    amount_in: int
    min_out: int
    max_fee: int
    priority_fee: int


@dataclass(frozen=True)
class SandwichPlan:
    pool: str
    token_in: str
    token_out: str
    front_in: int
    front_out: int
    victim_out: int
    back_out: int

    @property
    def profit(self) -> int:
        """Expected profit in ``token_in`` base units, before gas."""
        return self.back_out - self.front_in


def plan_sandwich(
    amount_in: int,
    min_out: int,
    reserve_in: int,
    reserve_out: int,
    budget: int,
    min_profit: int = 0,
) -> tuple[int, int, int, int] | None:
    """(front_in, front_out, victim_out, back_out) of the best sandwich within ``budget``, or None
    when the victim leaves no room or the profit would not exceed ``min_profit``."""
    front = min(sandwich_front_run(amount_in, min_out, reserve_in, reserve_out), budget)
    if front <= 0:
        return None
    front_out = amount_out(front, reserve_in, reserve_out)
    victim_out = amount_out(amount_in, reserve_in + front, reserve_out - front_out)
    if victim_out < min_out or front_out <= 0:
        return None
    back_out = amount_out(
        front_out, reserve_out - front_out - victim_out, reserve_in + front + amount_in
    )
    if back_out - front <= min_profit:
        return None
    return front, front_out, victim_out, back_out


class SandwichBot:
    """Watches the mempool and sandwiches router swaps on the deployment's DEXes."""

    def __init__(
        self,
        deployment: Deployment,
        *,
        role: str = "sandwich",
        min_profit: int = 0,
        fee_bump: int = 10**9,
        max_sandwiches: int | None = None,
        emit: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.deployment = deployment
        acct = deployment.account(role)
        self.address = acct.address
        self._key = acct.private_key
        self.min_profit = min_profit
        self.fee_bump = fee_bump
        self.max_sandwiches = max_sandwiches
        self.sent = 0
        self._emit = emit or (lambda event: None)
        self._router_abi = artifact("UniswapV2Router02").abi
        self._pair_abi = artifact("UniswapV2Pair").abi
        self._erc20_abi = artifact("TestToken").abi
        self._routers = {d.router.lower(): name for name, d in deployment.dexes.items()}
        self._selector = self._router_abi.encode_call(SWAP_FN, 0, 0, [], self.address, 0)[:4]
        self._nonce: int | None = None
        self._http: httpx.AsyncClient | None = None

    async def _rpc(self, method: str, *params: Any) -> Any:
        assert self._http is not None
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        resp = (await self._http.post(self.deployment.rpc_url, json=body)).json()
        if "error" in resp:
            raise RuntimeError(f"{method}: {resp['error'].get('message')}")
        return resp["result"]

    def decode(self, tx: dict[str, Any]) -> VictimSwap | None:
        """A pending router swap worth looking at, or None."""
        to = str(tx.get("to") or "").lower()
        dex = self._routers.get(to)
        sender = str(tx.get("from", ""))
        data = bytes.fromhex(str(tx.get("input", "0x"))[2:])
        if dex is None or sender.lower() == self.address.lower() or data[:4] != self._selector:
            return None
        fn = self._router_abi.function(SWAP_FN)
        types = [p["type"] for p in fn["inputs"]]
        amount, min_out, path, _to, _deadline = decode(types, data[4:])
        if len(path) != 2:
            return None
        max_fee = int(tx.get("maxFeePerGas") or tx.get("gasPrice") or "0x0", 16)
        priority = int(tx.get("maxPriorityFeePerGas") or tx.get("gasPrice") or "0x0", 16)
        return VictimSwap(
            tx_hash=str(tx["hash"]),
            sender=sender,
            dex=dex,
            router=checksum(str(tx["to"])),
            token_in=checksum(str(path[0])),
            token_out=checksum(str(path[1])),
            amount_in=int(amount),
            min_out=int(min_out),
            max_fee=max_fee,
            priority_fee=priority,
        )

    def _pool(self, victim: VictimSwap) -> PoolInfo | None:
        want = {victim.token_in.lower(), victim.token_out.lower()}
        for pool in self.deployment.pools.get(victim.dex, {}).values():
            if {pool.token0.lower(), pool.token1.lower()} == want:
                return pool
        return None

    async def _call(self, to: str, data: bytes) -> bytes:
        result = await self._rpc("eth_call", {"to": to, "data": "0x" + data.hex()}, "latest")
        return bytes.fromhex(str(result)[2:])

    async def plan(self, victim: VictimSwap) -> SandwichPlan | None:
        pool = self._pool(victim)
        if pool is None:
            return None
        raw = await self._call(pool.address, self._pair_abi.encode_call("getReserves"))
        r0, r1, _ = self._pair_abi.decode_result("getReserves", raw)
        in_is_0 = pool.token0.lower() == victim.token_in.lower()
        r_in, r_out = (int(r0), int(r1)) if in_is_0 else (int(r1), int(r0))
        raw = await self._call(
            victim.token_in, self._erc20_abi.encode_call("balanceOf", self.address)
        )
        budget = int(self._erc20_abi.decode_result("balanceOf", raw)[0])
        sized = plan_sandwich(
            victim.amount_in, victim.min_out, r_in, r_out, budget, self.min_profit
        )
        if sized is None:
            return None
        front, front_out, victim_out, back_out = sized
        return SandwichPlan(
            pool.address, victim.token_in, victim.token_out, front, front_out, victim_out, back_out
        )

    async def _send_swap(
        self, router: str, amount: int, min_out: int, path: list[str], max_fee: int, priority: int
    ) -> str:
        if self._nonce is None:
            self._nonce = int(
                await self._rpc("eth_getTransactionCount", self.address, "pending"), 16
            )
        data = self._router_abi.encode_call(SWAP_FN, amount, min_out, path, self.address, 2**63)
        tx = {
            "type": 2,
            "chainId": self.deployment.chain_id,
            "nonce": self._nonce,
            "to": router,
            "value": 0,
            "gas": SWAP_GAS,
            "data": data,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": min(priority, max_fee),
        }
        signed = Account.sign_transaction(tx, self._key.get_secret_value())
        self._nonce += 1
        return str(await self._rpc("eth_sendRawTransaction", "0x" + signed.raw_transaction.hex()))

    async def attack(self, victim: VictimSwap) -> dict[str, Any] | None:
        """Plan and send the sandwich around ``victim``; returns the event sent, or None."""
        plan = await self.plan(victim)
        if plan is None:
            return None
        block = await self._rpc("eth_getBlockByNumber", "latest", False)
        base_fee = int(block.get("baseFeePerGas", "0x0"), 16)
        back_fee = victim.max_fee - 1
        if back_fee < base_fee * 9 // 8 + 1:
            return None  # no room under the victim's fee for a back-run that still lands
        front_fee = victim.max_fee + self.fee_bump
        front = await self._send_swap(
            victim.router,
            plan.front_in,
            plan.front_out,
            [plan.token_in, plan.token_out],
            front_fee,
            victim.priority_fee + self.fee_bump,
        )
        back = await self._send_swap(
            victim.router,
            plan.front_out,
            plan.front_in,
            [plan.token_out, plan.token_in],
            back_fee,
            min(victim.priority_fee, back_fee),
        )
        self.sent += 1
        event = {
            "event": "sandwich",
            "victim": victim.tx_hash,
            "front": front,
            "back": back,
            **asdict(plan),
            "expected_profit": plan.profit,
        }
        self._emit(event)
        return event

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Subscribe and sandwich until ``stop`` is set or ``max_sandwiches`` were sent."""
        stop = stop or asyncio.Event()
        async with httpx.AsyncClient(timeout=10.0) as http, connect(self.deployment.ws_url) as ws:
            self._http = http
            sub = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "eth_subscribe",
                "params": ["newPendingTransactions"],
            }
            await ws.send(json.dumps(sub))
            json.loads(await ws.recv())  # the subscription id
            self._emit({"event": "ready", "address": self.address})
            while not stop.is_set():
                if self.max_sandwiches is not None and self.sent >= self.max_sandwiches:
                    return
                try:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.2))
                except TimeoutError:
                    continue
                tx_hash = msg.get("params", {}).get("result")
                if not isinstance(tx_hash, str):
                    continue
                tx = await self._rpc("eth_getTransactionByHash", tx_hash)
                victim = self.decode(tx) if isinstance(tx, dict) else None
                if victim is None:
                    continue
                if isinstance(tx, dict) and tx.get("blockNumber") is not None:
                    # Already in a block when seen (e.g. landed by the private relay): too late.
                    self._emit({"event": "missed", "victim": victim.tx_hash, "why": "mined"})
                    continue
                try:
                    await self.attack(victim)
                except (RuntimeError, ValueError, TypeError, httpx.HTTPError) as exc:
                    # Keep watching; report what failed (never the key: it is not in messages).
                    self._emit({"event": "error", "victim": victim.tx_hash, "error": repr(exc)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phantom.devnet.sandwich")
    parser.add_argument("--deployment", type=Path, default=Path("var/devnet/deployment.json"))
    parser.add_argument("--role", default="sandwich")
    parser.add_argument("--min-profit", type=int, default=0, help="in the input token's units")
    parser.add_argument("--max-sandwiches", type=int, default=None)
    args = parser.parse_args(argv)
    deployment = load_deployment(args.deployment)

    def emit(event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    bot = SandwichBot(
        deployment,
        role=args.role,
        min_profit=args.min_profit,
        max_sandwiches=args.max_sandwiches,
        emit=emit,
    )

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await bot.run(stop)

    asyncio.run(runner())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
