"""Noise traders: order flow on the devnet pools that follows a recorded price path.

Each step takes the next price of the path (any sequence of floats; e.g. the ETH closes of the
embedded replay sample, see :func:`load_npz_prices`), rescales it to the pool's starting price,
and on each DEX trades part of the way towards it (``follow``: a deep, well-arbitraged DEX
follows closely, a shallow one lags) plus a seeded random amount. The DEXes drift apart, which
makes the spreads the arbitrage engine looks for, and the swaps go through the routers with a
slippage tolerance, which makes them sandwichable by :mod:`phantom.devnet.sandwich`.

Floats are used for the price maths only; every amount sent is an int in base units.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from phantom.devnet.artifacts import Artifact, artifact
from phantom.devnet.deploy import FAR_DEADLINE
from phantom.devnet.deployment import Deployment
from phantom.devnet.rpc import DevnetRpc
from phantom.devnet.v2math import amount_in, amount_out


def load_npz_prices(path: Path, key: str = "ETH_close") -> list[float]:
    """A price series from a ``.npz`` file (the replay sample stores ``<SYM>_close`` arrays)."""
    import numpy as np

    with np.load(path) as data:
        if key not in data.files:
            raise KeyError(f"{path} has no array {key!r}; it has {sorted(data.files)}")
        values = [float(v) for v in data[key]]
    if not values or any(not math.isfinite(v) or v <= 0 for v in values):
        raise ValueError(f"{path}:{key} must be a non-empty series of positive prices")
    return values


@dataclass(frozen=True)
class PlannedSwap:
    """Sell ``amount_in`` of the base (``sell_base``) or of the quote token into a pool."""

    sell_base: bool
    amount_in: int


def plan_swap(
    reserve_base: int,
    reserve_quote: int,
    target_price: float,
    follow: float,
    noise: float,
) -> PlannedSwap | None:
    """The swap that moves a pool ``follow`` of the way to ``target_price`` (quote base units per
    base base unit), plus ``noise`` (a signed fraction of the base reserve). None if negligible.
    """
    if reserve_base <= 0 or reserve_quote <= 0 or target_price <= 0:
        raise ValueError("reserves and target price must be > 0")
    k = float(reserve_base) * float(reserve_quote)
    base_at_target = math.sqrt(k / target_price)
    # Signed change of the pool's base reserve: > 0 means someone sells base into the pool.
    delta = follow * (base_at_target - reserve_base) + noise * reserve_base
    if delta >= 1:
        return PlannedSwap(sell_base=True, amount_in=int(delta))
    want_base = min(int(-delta), reserve_base // 2)
    if want_base < 1:
        return None
    return PlannedSwap(sell_base=False, amount_in=amount_in(want_base, reserve_quote, reserve_base))


@dataclass
class NoiseTraders:
    """Drive the ``pair`` pools of every DEX along ``prices`` with the noise accounts' swaps."""

    rpc: DevnetRpc
    deployment: Deployment
    prices: Sequence[float]
    pair: str = "WETH/USDC"
    follow: dict[str, float] = field(default_factory=lambda: {"dexA": 0.8, "dexB": 0.3})
    noise: float = 0.002
    slippage_bps: int = 100
    seed: int = 0
    roles: tuple[str, ...] = ("noise1", "noise2", "noise3")
    max_fee_per_gas: int | None = None
    priority_fee_per_gas: int = 2 * 10**9
    wait: bool = True
    step_index: int = 0
    _rng: random.Random = field(init=False, repr=False)
    _start_price: dict[str, float] = field(init=False, repr=False)
    _artifacts: dict[str, Artifact] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.prices or any(p <= 0 for p in self.prices):
            raise ValueError("prices must be a non-empty sequence of positive numbers")
        self._rng = random.Random(self.seed)
        self._artifacts = {n: artifact(n) for n in ("UniswapV2Router02", "UniswapV2Pair")}
        self._start_price = {}
        for dex in self.follow:
            base, quote = self._reserves(dex)
            self._start_price[dex] = quote / base

    def _reserves(self, dex: str) -> tuple[int, int]:
        """(base, quote) reserves of the dex's pool."""
        pool = self.deployment.pool(dex, self.pair)
        abi = self._artifacts["UniswapV2Pair"].abi
        raw = self.rpc.eth_call({"to": pool.address, "data": abi.encode_call_hex("getReserves")})
        r0, r1, _ = abi.decode_result("getReserves", raw)
        base_symbol = self.pair.split("/")[0]
        return (int(r0), int(r1)) if pool.symbol0 == base_symbol else (int(r1), int(r0))

    def done(self) -> bool:
        return self.step_index >= len(self.prices)

    def step(self) -> list[str]:
        """Trade towards the next price on every DEX; returns the transaction hashes."""
        if self.done():
            return []
        ratio = self.prices[self.step_index] / self.prices[0]
        self.step_index += 1
        base_sym, quote_sym = self.pair.split("/")
        hashes: list[str] = []
        for dex, follow in self.follow.items():
            base_r, quote_r = self._reserves(dex)
            target = self._start_price[dex] * ratio
            plan = plan_swap(base_r, quote_r, target, follow, self._rng.gauss(0.0, self.noise))
            if plan is None:
                continue
            sender = self.deployment.account(self._rng.choice(self.roles)).address
            sell, buy = (base_sym, quote_sym) if plan.sell_base else (quote_sym, base_sym)
            r_in, r_out = (base_r, quote_r) if plan.sell_base else (quote_r, base_r)
            quote = amount_out(plan.amount_in, r_in, r_out)
            min_out = quote * (10_000 - self.slippage_bps) // 10_000
            hashes += self._top_up(sender, sell, plan.amount_in)
            hashes.append(self._swap(dex, sender, sell, buy, plan.amount_in, min_out))
        if self.wait:
            for tx in hashes:
                self.rpc.wait(tx, check=False)
        return hashes

    def run(self, steps: int | None = None) -> int:
        """Run ``steps`` steps (all remaining by default); returns how many ran."""
        count = 0
        while not self.done() and (steps is None or count < steps):
            self.step()
            count += 1
        return count

    def _fees(self, extra_priority: int = 0) -> dict[str, int]:
        priority = self.priority_fee_per_gas + extra_priority
        if self.max_fee_per_gas is not None:
            max_fee = self.max_fee_per_gas + extra_priority
        else:
            block = self.rpc.call("eth_getBlockByNumber", "latest", False)
            base_fee = int(block.get("baseFeePerGas", "0x0"), 16)
            max_fee = 2 * base_fee + priority
        return {"maxFeePerGas": max_fee, "maxPriorityFeePerGas": priority}

    def _swap(self, dex: str, sender: str, sell: str, buy: str, size: int, min_out: int) -> str:
        path = [self.deployment.address(sell), self.deployment.address(buy)]
        data = self._artifacts["UniswapV2Router02"].abi.encode_call(
            "swapExactTokensForTokens", size, min_out, path, sender, FAR_DEADLINE
        )
        router = self.deployment.address(f"{dex}.router")
        return self.rpc.send(sender, router, data, gas=250_000, **self._fees())

    def _top_up(self, account: str, symbol: str, need: int) -> list[str]:
        """Make sure ``account`` will hold ``need`` of ``symbol`` (wrap its own ETH, or mint test
        tokens); sent with a higher tip than the swap so they are mined first, not waited for."""
        token = self.deployment.token(symbol)
        erc20 = artifact("TestToken").abi
        raw = self.rpc.eth_call(
            {"to": token.address, "data": erc20.encode_call_hex("balanceOf", account)}
        )
        have = int(erc20.decode_result("balanceOf", raw)[0])
        if have >= need:
            return []
        missing = need - have
        fees = self._fees(extra_priority=10**9)
        if symbol == "WETH":
            data = artifact("WETH9").abi.encode_call("deposit")
            return [self.rpc.send(account, token.address, data, value=missing, gas=100_000, **fees)]
        minter = self.deployment.account("deployer").address
        data = erc20.encode_call("mint", account, missing)
        return [self.rpc.send(minter, token.address, data, gas=100_000, **fees)]


def main(argv: list[str] | None = None) -> int:
    """``python -m phantom.devnet.agents``: run noise traders against a running devnet."""
    import argparse
    import time

    from phantom.devnet.deployment import load_deployment

    parser = argparse.ArgumentParser(prog="python -m phantom.devnet.agents")
    parser.add_argument("--deployment", type=Path, default=Path("var/devnet/deployment.json"))
    parser.add_argument("--prices", type=Path, required=True, help=".npz with a price array")
    parser.add_argument("--key", default="ETH_close", help="array name in the .npz")
    parser.add_argument("--steps", type=int, default=None, help="default: the whole path")
    parser.add_argument("--interval", type=float, default=1.0, help="wall seconds per step")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-wait", action="store_true", help="do not wait for receipts")
    args = parser.parse_args(argv)
    deployment = load_deployment(args.deployment)
    prices = load_npz_prices(args.prices, args.key)
    with DevnetRpc(deployment.rpc_url) as rpc:
        traders = NoiseTraders(rpc, deployment, prices, seed=args.seed, wait=not args.no_wait)
        count = 0
        while not traders.done() and (args.steps is None or count < args.steps):
            hashes = traders.step()
            count += 1
            print(f"step {traders.step_index}/{len(prices)}: {len(hashes)} tx", flush=True)
            time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
