"""The local Solana world: a LiteSVM chain, its RPC, a Jupiter-compatible API and a Jito engine.

:class:`LocalSolanaWorld` builds genesis with real transactions (mints, pool vaults owned by a pool
authority, liquidity, funded Jito tip accounts, the slippage guard program), starts the three
servers on 127.0.0.1 (free ports) and the block ticker, and stops them all. Tests and demos fund a
wallet with :meth:`fund` and move prices with :meth:`move_pool` (a real trade through the pool).
LSTs' rate accounts (``stake_accounts``) live in :attr:`LocalSolanaWorld.staking`
(``localsolana/staking.py``): real layouts, advanced every ``epoch_blocks`` blocks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from solders import system_program as sp
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from phantom.localsolana.chain import LocalChain
from phantom.localsolana.faults import Faults
from phantom.localsolana.guard import guard_program
from phantom.localsolana.http import LocalServer
from phantom.localsolana.pools import LocalPool, adverse_move
from phantom.localsolana.staking import LocalStaking, StakeAccountSpec
from phantom.venues.solana import spl

LAMPORTS_PER_SOL = 1_000_000_000


@dataclass(frozen=True)
class PoolSpec:
    name: str
    symbol_a: str
    symbol_b: str
    reserve_a: int
    reserve_b: int
    fee_bps: int = 30


@dataclass
class WorldConfig:
    """Genesis and service settings of the local world."""

    tokens: dict[str, int] = field(default_factory=lambda: {"USDC": 6, "JUP": 6, "BONK": 5})
    pools: list[PoolSpec] = field(
        default_factory=lambda: [
            PoolSpec("USDC-JUP", "USDC", "JUP", 1_000_000 * 10**6, 2_000_000 * 10**6),
            PoolSpec("USDC-BONK", "USDC", "BONK", 500_000 * 10**6, 20_000_000_000 * 10**5),
        ]
    )
    block_interval_s: float | None = 0.4  # None: blocks only when produce_block() is called
    tip_accounts: int = 8
    min_tip_lamports: int = 1000
    compute_unit_limit: int = 100_000  # what the local Jupiter puts in its transactions
    seed: int = 7
    # LSTs' rate accounts (their symbols must be tokens) and the epoch length in blocks
    # (None: the rates only move when ``staking.advance_epoch()`` is called)
    stake_accounts: list[StakeAccountSpec] = field(default_factory=list)
    epoch_blocks: int | None = None


class LocalSolanaWorld:
    """Start with ``with LocalSolanaWorld() as world:`` (or :meth:`start` / :meth:`stop`)."""

    def __init__(self, config: WorldConfig | None = None, faults: Faults | None = None) -> None:
        self.config = config or WorldConfig()
        self.chain = LocalChain(faults or Faults(), seed=self.config.seed)
        self.rng = random.Random(self.config.seed)
        self.guard_id = Pubkey.from_string("PhGuard111111111111111111111111111111111111")
        self.mint_authority = Keypair()
        self.mints: dict[str, Pubkey] = {}
        self.pools: list[LocalPool] = []
        self.tip_accounts: list[Pubkey] = []
        self.servers: list[LocalServer] = []
        self.rpc_url = self.jupiter_url = self.jito_url = ""
        self._genesis()
        self.staking = LocalStaking(self, self.config.stake_accounts, self.config.epoch_blocks)
        self.chain.block_listeners.append(self.staking.on_block)

    @property
    def faults(self) -> Faults:
        return self.chain.faults

    def __repr__(self) -> str:
        return f"LocalSolanaWorld(rpc={self.rpc_url or '-'}, height={self.chain.height})"

    # -- genesis ----------------------------------------------------------------------------------

    def _genesis(self) -> None:
        svm = self.chain.svm
        svm.add_program(self.guard_id, guard_program())
        payer = self.mint_authority
        self._airdrop(payer.pubkey(), 10_000 * LAMPORTS_PER_SOL)
        for symbol, decimals in self.config.tokens.items():
            mint = Keypair()
            rent = svm.minimum_balance_for_rent_exemption(spl.MINT_LEN)
            self.run(
                [
                    sp.create_account(
                        sp.CreateAccountParams(
                            from_pubkey=payer.pubkey(),
                            to_pubkey=mint.pubkey(),
                            lamports=rent,
                            space=spl.MINT_LEN,
                            owner=spl.TOKEN_PROGRAM_ID,
                        )
                    ),
                    spl.initialize_mint2_ix(mint.pubkey(), decimals, payer.pubkey()),
                ],
                [mint],
            )
            self.mints[symbol] = mint.pubkey()
        for spec in self.config.pools:
            self.pools.append(self._make_pool(spec))
        rent0 = svm.minimum_balance_for_rent_exemption(0)
        for _ in range(self.config.tip_accounts):
            tip = Keypair().pubkey()
            self._airdrop(tip, rent0)
            self.tip_accounts.append(tip)

    def _make_pool(self, spec: PoolSpec) -> LocalPool:
        authority = Keypair()
        self._airdrop(authority.pubkey(), LAMPORTS_PER_SOL)
        vaults: list[Pubkey] = []
        for symbol, reserve in ((spec.symbol_a, spec.reserve_a), (spec.symbol_b, spec.reserve_b)):
            vault = Keypair()
            mint = self.mints[symbol]
            rent = self.chain.svm.minimum_balance_for_rent_exemption(spl.TOKEN_ACCOUNT_LEN)
            payer = self.mint_authority.pubkey()
            self.run(
                [
                    sp.create_account(
                        sp.CreateAccountParams(
                            from_pubkey=payer,
                            to_pubkey=vault.pubkey(),
                            lamports=rent,
                            space=spl.TOKEN_ACCOUNT_LEN,
                            owner=spl.TOKEN_PROGRAM_ID,
                        )
                    ),
                    spl.initialize_account3_ix(vault.pubkey(), mint, authority.pubkey()),
                    spl.mint_to_ix(mint, vault.pubkey(), payer, reserve),
                ],
                [vault],
            )
            vaults.append(vault.pubkey())
        return LocalPool(
            spec.name,
            self.mints[spec.symbol_a],
            self.mints[spec.symbol_b],
            vaults[0],
            vaults[1],
            spec.fee_bps,
            authority,
        )

    def _airdrop(self, owner: Pubkey, lamports: int) -> None:
        result = self.chain.svm.airdrop(owner, lamports)
        if isinstance(result, FailedTransactionMetadata):
            raise RuntimeError(f"local world: airdrop of {lamports} lamports failed")

    def transaction(self, ixs: list[Instruction], signers: list[Keypair]) -> VersionedTransaction:
        """A v0 transaction paid by the mint authority, on the current blockhash."""
        payer = self.mint_authority
        blockhash = self.chain.blockhash
        msg = MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash)
        return VersionedTransaction(msg, [payer, *signers])

    def run(self, ixs: list[Instruction], signers: list[Keypair]) -> None:
        """Execute a setup transaction now; raises if it fails."""
        landed = self.chain.execute_now(self.transaction(ixs, signers))
        if landed is None or landed.err is not None:
            logs = landed.meta["logMessages"][-3:] if landed else []
            raise RuntimeError(
                f"local world setup failed: {landed.err if landed else 'dropped'} {logs}"
            )

    # -- helpers for tests and demos ------------------------------------------------------------

    def fund(self, owner: Pubkey, lamports: int = 0, tokens: dict[str, int] | None = None) -> None:
        """Airdrop SOL and mint tokens into ``owner``'s associated token accounts."""
        with self.chain.lock:
            if lamports:
                self._airdrop(owner, lamports)
            for symbol, amount in (tokens or {}).items():
                mint = self.mints[symbol]
                payer = self.mint_authority.pubkey()
                ixs = [spl.create_ata_idempotent_ix(payer, owner, mint)]
                if amount:
                    ixs.append(spl.mint_to_ix(mint, spl.ata(owner, mint), payer, amount))
                self.run(ixs, [])

    def pool_for(self, mint_x: Pubkey, mint_y: Pubkey) -> LocalPool | None:
        for pool in self.pools:
            if {pool.mint_a, pool.mint_b} == {mint_x, mint_y}:
                return pool
        return None

    def reserves(self, pool: LocalPool, input_mint: Pubkey) -> tuple[int, int]:
        """``(R_in, R_out)`` read from the vaults now."""
        vault_in, vault_out = pool.vaults(input_mint)
        amounts: list[int] = []
        with self.chain.lock:
            for vault in (vault_in, vault_out):
                account = self.chain.svm.get_account(vault)
                if account is None:
                    raise RuntimeError(f"local world: pool {pool.name} has no vault account")
                amounts.append(spl.parse_token_account(bytes(account.data)).amount)
        return amounts[0], amounts[1]

    def move_pool(
        self, pool: LocalPool, input_mint: Pubkey, bps: int, *, queue: bool = False
    ) -> None:
        """A real trade selling ``input_mint`` into ``pool`` that worsens its price by ``bps``.

        ``queue=False`` executes it now; ``queue=True`` queues it for the next block, ahead of any
        transaction sent after this call.
        """
        r_in, r_out = self.reserves(pool, input_mint)
        trade_in, trade_out = adverse_move(r_in, r_out, bps)
        if trade_in <= 0:
            return
        whale = self.mint_authority.pubkey()
        output_mint = pool.other(input_mint)
        vault_in, vault_out = pool.vaults(input_mint)
        ixs = [
            spl.create_ata_idempotent_ix(whale, whale, input_mint),
            spl.create_ata_idempotent_ix(whale, whale, output_mint),
            spl.mint_to_ix(input_mint, spl.ata(whale, input_mint), whale, trade_in),
            spl.transfer_ix(spl.ata(whale, input_mint), vault_in, whale, trade_in),
            spl.transfer_ix(
                vault_out, spl.ata(whale, output_mint), pool.authority.pubkey(), trade_out
            ),
        ]
        with self.chain.lock:
            tx = self.transaction(ixs, [pool.authority])
            if queue:
                self.chain.submit(tx, bytes(tx))
            else:
                landed = self.chain.execute_now(tx)
                if landed is None or landed.err is not None:
                    raise RuntimeError("local world: the price move failed")

    def token_balance(self, owner: Pubkey, symbol: str) -> int:
        with self.chain.lock:
            account = self.chain.svm.get_account(spl.ata(owner, self.mints[symbol]))
        return spl.parse_token_account(bytes(account.data)).amount if account else 0

    def sol_balance(self, owner: Pubkey) -> int:
        with self.chain.lock:
            return int(self.chain.svm.get_balance(owner) or 0)

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> LocalSolanaWorld:
        from phantom.localsolana.jito_server import JitoService
        from phantom.localsolana.jupiter_server import JupiterService
        from phantom.localsolana.rpc_server import RpcService

        rpc = LocalServer(RpcService(self.chain)).start()
        jup = LocalServer(JupiterService(self)).start()
        jito = LocalServer(JitoService(self)).start()
        self.servers = [rpc, jup, jito]
        self.rpc_url, self.jupiter_url, self.jito_url = rpc.url, jup.url + "/swap/v1", jito.url
        if self.config.block_interval_s is not None:
            self.chain.start(self.config.block_interval_s)
        return self

    def stop(self) -> None:
        self.chain.stop()
        for server in self.servers:
            server.stop()
        self.servers = []

    def __enter__(self) -> LocalSolanaWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
