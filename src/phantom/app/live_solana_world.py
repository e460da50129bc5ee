"""The local Solana world as live mode trades it: its layout, its state file, its devnet key and
its noise trader; ``python -m phantom.app.live_solana_world`` runs one on its own.

**Layout.** Three constant-product pools forming a triangle, USDC-JUP, JUP-BONK and BONK-USDC
(10 bps each, about 1M USD deep), so the arbitrage engine finds three-leg cycles through USDC.
The local Jupiter API routes single-hop only and finds one pool per pair, so a pair appears once
and a cycle is one swap per leg, sent as one Jito bundle (``execution/solana_live``). Beside it:
``WSOL`` (an SPL stand-in for wrapped SOL, 9 decimals) in a deep WSOL-USDC pool (10 bps, about
3M USD a side, at ``sol_usd``), and two LSTs, ``jitoSOL`` and ``mSOL`` (9 decimals), each in a
pool against WSOL at its stake rate (5 bps, 50,000 LST deep), with their rate accounts in real
layouts (an SPL stake pool for jitoSOL, Marinade's ``State`` for mSOL) that grow every
``epoch_blocks`` blocks (``localsolana/staking.py``). No cycle runs through the new pools: the
arbitrage engine sees the same cycles as before.

**State file** (``<state_dir>/solana-local/world.json``): the URLs of the three servers, the
mints, the pools and their vaults, the LSTs' rate accounts, a world id, and the path of the
devnet key file. Live mode connects to the world it names; without one it starts an embedded
world of its own.

**Devnet key.** A world run on its own writes a Solana CLI keypair file
(``<state_dir>/solana-local/devnet-key.json``, 0600, a throwaway key for the local world only) and
funds it; the embedded world funds an in-memory key instead. Neither is ever printed or logged.

**Noise trader.** A thread that moves a random pool (not an LST's: those move by de-pegs,
``localsolana.staking.DepegTrader``) by a random number of bps in a random direction every
``interval_s`` (a real trade through the pool, seeded), so gaps open.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path
from types import FrameType

import httpx
from pydantic import BaseModel, ConfigDict
from solders.keypair import Keypair

from phantom.core.token import Token
from phantom.localsolana.background import BackgroundTrader
from phantom.localsolana.faults import Faults
from phantom.localsolana.pools import LocalPool
from phantom.localsolana.staking import DepegTrader, Layout, StakeAccountSpec
from phantom.localsolana.world import LAMPORTS_PER_SOL, LocalSolanaWorld, PoolSpec, WorldConfig
from phantom.market.solana_source import SolanaPoolSpec, SolanaVenue
from phantom.venues.solana.keystore import SolanaSigner

CHAIN_NAMES = frozenset({"solana-local", "solana_local", "localsolana", "local-solana"})
SOL_MINT = "So11111111111111111111111111111111111111112"
SOL = Token("SOL", 9, "solana", SOL_MINT)
POOL_FEE_BPS = 10
LST_POOL_FEE_BPS = 5
TOKENS = {"USDC": 6, "JUP": 6, "BONK": 5, "WSOL": 9, "jitoSOL": 9, "mSOL": 9}
# the LSTs: rate account layout and genesis rate (SOL per LST)
LSTS: dict[str, tuple[Layout, Decimal]] = {
    "jitoSOL": ("spl_stake_pool", Decimal("1.07")),
    "mSOL": ("marinade", Decimal("1.15")),
}
LST_POOL_DEPTH = 50_000  # LST per pool at genesis
WSOL_POOL_DEPTH = 20_000  # WSOL in WSOL-USDC at genesis
# the devnet key's funding: gas, cycle capital and intermediate inventory (simulation needs it),
# the lst engine's WSOL and some inventory of each LST
FUNDING_LAMPORTS = 10 * LAMPORTS_PER_SOL
FUNDING = {
    "USDC": 20_000 * 10**6, "JUP": 40_000 * 10**6, "BONK": 800_000_000 * 10**5,
    "WSOL": 200 * 10**9, "jitoSOL": 20 * 10**9, "mSOL": 20 * 10**9,
}  # fmt: skip


def world_config(
    block_interval_s: float | None,
    seed: int = 7,
    *,
    sol_usd: float = 150.0,
    epoch_blocks: int | None = 150,
    stake_growth_ppm: int = 200,
) -> WorldConfig:
    """The triangle: USDC 1.00, JUP 0.50, BONK 0.000025 USD; about 1M USD per side. WSOL at
    ``sol_usd``; the LSTs at their rates, which grow ``stake_growth_ppm`` every
    ``epoch_blocks`` blocks."""
    usdc_per_wsol = Decimal(repr(sol_usd))
    lst_pools = [
        PoolSpec(
            f"{symbol}-WSOL", symbol, "WSOL", LST_POOL_DEPTH * 10**9,
            int(LST_POOL_DEPTH * rate * 10**9), LST_POOL_FEE_BPS,
        )
        for symbol, (_, rate) in LSTS.items()
    ]  # fmt: skip
    stakes = [
        StakeAccountSpec(symbol, layout, rate, growth_ppm=stake_growth_ppm)
        for symbol, (layout, rate) in LSTS.items()
    ]
    pools = [
        PoolSpec("USDC-JUP", "USDC", "JUP", 1_000_000 * 10**6, 2_000_000 * 10**6, POOL_FEE_BPS),
        PoolSpec(
            "JUP-BONK", "JUP", "BONK", 2_000_000 * 10**6, 40_000_000_000 * 10**5, POOL_FEE_BPS
        ),
        PoolSpec(
            "BONK-USDC", "BONK", "USDC", 40_000_000_000 * 10**5, 1_000_000 * 10**6, POOL_FEE_BPS
        ),
        PoolSpec(
            "WSOL-USDC", "WSOL", "USDC", WSOL_POOL_DEPTH * 10**9,
            int(WSOL_POOL_DEPTH * usdc_per_wsol * 10**6), POOL_FEE_BPS,
        ),
        *lst_pools,
    ]  # fmt: skip
    return WorldConfig(
        tokens=dict(TOKENS), pools=pools, block_interval_s=block_interval_s, seed=seed,
        stake_accounts=stakes, epoch_blocks=epoch_blocks,
    )  # fmt: skip


def non_lst_pools(world: LocalSolanaWorld) -> list[LocalPool]:
    """The pools that trade no LST (the noise trader's)."""
    lsts = {world.mints[s] for s in world.staking.specs}
    return [p for p in world.pools if not {p.mint_a, p.mint_b} & lsts]


class TokenInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    mint: str
    decimals: int


class PoolInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    pool_id: str
    symbol_a: str
    symbol_b: str
    vault_a: str
    vault_b: str
    fee_bps: int
    amm_key: str


class StakeInfo(BaseModel):
    """An LST's rate account: its address and layout (``spl_stake_pool`` | ``marinade``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    address: str
    layout: Layout
    mint: str


class WorldInfo(BaseModel):
    """What live mode needs to know about a running local world (its state file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    world_id: str
    rpc_url: str
    jupiter_url: str
    jito_url: str
    tokens: dict[str, TokenInfo]
    pools: list[PoolInfo]
    stake_accounts: dict[str, StakeInfo] = {}
    key_file: str | None = None

    def token(self, symbol: str) -> Token:
        info = self.tokens[symbol]
        return Token(symbol, info.decimals, "solana", info.mint)

    def venue(self) -> SolanaVenue:
        specs = tuple(
            SolanaPoolSpec(
                p.pool_id, "local", self.token(p.symbol_a), self.token(p.symbol_b),
                p.vault_a, p.vault_b, p.fee_bps, p.amm_key,
            )
            for p in self.pools
        )  # fmt: skip
        return SolanaVenue((self.rpc_url,), self.jupiter_url, self.jito_url, specs, SOL)


def describe(world: LocalSolanaWorld, world_id: str, key_file: Path | None = None) -> WorldInfo:
    symbols = {str(mint): sym for sym, mint in world.mints.items()}
    return WorldInfo(
        world_id=world_id,
        rpc_url=world.rpc_url,
        jupiter_url=world.jupiter_url,
        jito_url=world.jito_url,
        tokens={
            sym: TokenInfo(mint=str(mint), decimals=world.config.tokens[sym])
            for sym, mint in world.mints.items()
        },
        pools=[
            PoolInfo(
                pool_id=p.name,
                symbol_a=symbols[str(p.mint_a)],
                symbol_b=symbols[str(p.mint_b)],
                vault_a=str(p.vault_a),
                vault_b=str(p.vault_b),
                fee_bps=p.fee_bps,
                amm_key=p.key,
            )
            for p in world.pools
        ],
        stake_accounts={
            sym: StakeInfo(
                address=world.staking.address_of(sym),
                layout=world.staking.layout(sym),
                mint=str(world.mints[sym]),
            )
            for sym in world.staking.specs
        },
        key_file=str(key_file) if key_file is not None else None,
    )


def world_file(state_dir: Path) -> Path:
    return state_dir / "solana-local" / "world.json"


def key_file(state_dir: Path) -> Path:
    return state_dir / "solana-local" / "devnet-key.json"


def write_world_file(info: WorldInfo, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(info.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_world_file(path: Path) -> WorldInfo:
    return WorldInfo.model_validate_json(path.read_text(encoding="utf-8"))


def reachable(rpc_url: str, timeout_s: float = 2.0) -> bool:
    body = {"jsonrpc": "2.0", "id": 1, "method": "getHealth", "params": []}
    try:
        return httpx.post(rpc_url, json=body, timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def ensure_key_file(path: Path) -> SolanaSigner:
    """The devnet key in a Solana CLI keypair file (created 0600 when missing)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        raw = json.dumps(list(bytes(Keypair())))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(raw)
    return SolanaSigner.from_json_file(path)


def fund(world: LocalSolanaWorld, signer: SolanaSigner) -> None:
    world.fund(signer.pubkey, FUNDING_LAMPORTS, dict(FUNDING))


class NoiseTrader(BackgroundTrader):
    """Moves a random pool by ``min_bps..max_bps`` in a random direction every ``interval_s``
    (``pools``: the ones it may move; default the pools of no LST)."""

    def __init__(
        self,
        world: LocalSolanaWorld,
        *,
        interval_s: float,
        min_bps: int = 20,
        max_bps: int = 150,
        seed: int = 0,
        pools: list[LocalPool] | None = None,
    ) -> None:
        if interval_s <= 0 or not 0 < min_bps <= max_bps < 10_000:
            raise ValueError("noise: interval_s > 0 and 0 < min_bps <= max_bps < 10000")
        super().__init__("solana-noise")
        self.pools = pools if pools is not None else non_lst_pools(world)
        self.world, self.interval_s = world, interval_s
        self.min_bps, self.max_bps = min_bps, max_bps
        self.rng = random.Random(seed)
        self.moves = 0

    def move_once(self) -> None:
        pool = self.rng.choice(self.pools)
        mint = self.rng.choice([pool.mint_a, pool.mint_b])
        self.world.move_pool(pool, mint, self.rng.randint(self.min_bps, self.max_bps))
        self.moves += 1

    def _main(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.move_once()
            except RuntimeError:  # a move can fail while the world stops
                return


def main(argv: list[str] | None = None) -> int:
    """Run a local world on its own until SIGTERM/SIGINT; write its state file and devnet key."""
    parser = argparse.ArgumentParser(prog="python -m phantom.app.live_solana_world")
    parser.add_argument("--state-dir", type=Path, default=Path("var"))
    parser.add_argument("--block-interval", type=float, default=0.4, help="seconds per block")
    parser.add_argument("--noise-interval", type=float, default=0.0, help="0: no noise trader")
    parser.add_argument("--noise-max-bps", type=int, default=150)
    parser.add_argument("--confirm-after-blocks", type=int, default=1)
    parser.add_argument("--sol-usd", type=float, default=150.0, help="WSOL-USDC at genesis")
    parser.add_argument("--epoch-blocks", type=int, default=150, help="LST rates grow each")
    parser.add_argument("--depeg-interval", type=float, default=0.0, help="0: no de-pegs")
    parser.add_argument("--depeg-bps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    faults = Faults(confirm_after_blocks=args.confirm_after_blocks)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    path = world_file(args.state_dir)
    config = world_config(
        args.block_interval, args.seed, sol_usd=args.sol_usd, epoch_blocks=args.epoch_blocks
    )
    with LocalSolanaWorld(config, faults) as world:
        signer = ensure_key_file(key_file(args.state_dir))
        fund(world, signer)
        info = describe(world, f"{time.time_ns():x}", key_file(args.state_dir).resolve())
        write_world_file(info, path)
        agents: list[NoiseTrader | DepegTrader] = []
        if args.noise_interval > 0:
            agents.append(NoiseTrader(
                world, interval_s=args.noise_interval, max_bps=args.noise_max_bps, seed=args.seed
            ).start())  # fmt: skip
        if args.depeg_interval > 0:
            agents.append(
                DepegTrader(world, interval_s=args.depeg_interval, bps=args.depeg_bps).start()
            )
        print(f"local Solana world up: rpc {world.rpc_url}; state file {path}", flush=True)
        try:
            stop.wait()
        finally:
            for agent in agents:
                agent.stop()
            path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
