"""The local world: the on-chain guard, and the RPC server behaving like a validator."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from solders import system_program as sp
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.transaction import VersionedTransaction

from phantom.localsolana.guard import guard_data, guard_program
from phantom.localsolana.pools import adverse_move, cp_out
from phantom.localsolana.sbf import JA, Assembler, elf_so
from phantom.localsolana.world import LocalSolanaWorld


def rpc(world: LocalSolanaWorld, method: str, *params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    out: dict[str, Any] = httpx.post(world.rpc_url, json=body, timeout=5).json()
    return out


def b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


def transfer_tx(world: LocalSolanaWorld, payer: Keypair, lamports: int) -> VersionedTransaction:
    ix = sp.transfer(
        sp.TransferParams(
            from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=lamports
        )
    )
    return VersionedTransaction(
        MessageV0.try_compile(payer.pubkey(), [ix], [], world.chain.blockhash), [payer]
    )


def guard_tx(
    world: LocalSolanaWorld, payer: Keypair, in_net: int, min_out: int
) -> VersionedTransaction:
    pool = world.pools[0]
    ix = Instruction(
        world.guard_id,
        guard_data(in_net, min_out),
        [AccountMeta(pool.vault_a, False, False), AccountMeta(pool.vault_b, False, False)],
    )
    return VersionedTransaction(
        MessageV0.try_compile(payer.pubkey(), [ix], [], world.chain.blockhash), [payer]
    )


@pytest.fixture
def payer(manual_world: LocalSolanaWorld) -> Keypair:
    kp = Keypair()
    manual_world.fund(kp.pubkey(), 10**10)
    return kp


def test_guard_enforces_the_exact_curve_bound(
    manual_world: LocalSolanaWorld, payer: Keypair
) -> None:
    world = manual_world
    r_in, r_out = world.reserves(world.pools[0], world.pools[0].mint_a)
    for amount in (1, 10**6, 10**12, r_in * 50):
        _, out = cp_out(r_in, r_out, amount, 0)
        ok = world.chain.execute_now(guard_tx(world, payer, amount, out))
        assert ok is not None and ok.err is None
        bad = world.chain.execute_now(guard_tx(world, payer, amount, out + 1))
        assert bad is not None and bad.err == {"InstructionError": [0, {"Custom": 6001}]}
        assert bad.meta["logMessages"][-1].endswith("custom program error: 0x1771")


def test_preflight_returns_32002_with_logs_and_skip_preflight_lands_the_failure(
    manual_world: LocalSolanaWorld, payer: Keypair
) -> None:
    world = manual_world
    failing = guard_tx(world, payer, 10**6, 2**62)
    answer = rpc(world, "sendTransaction", b64(failing), {"encoding": "base64"})
    assert answer["error"]["code"] == -32002
    assert "custom program error: 0x1771" in answer["error"]["message"]
    assert any("0x1771" in line for line in answer["error"]["data"]["logs"])
    sim = rpc(world, "simulateTransaction", b64(failing), {"encoding": "base64"})["result"]["value"]
    assert sim["err"] == {"InstructionError": [0, {"Custom": 6001}]}
    sig = rpc(
        world, "sendTransaction", b64(failing), {"encoding": "base64", "skipPreflight": True}
    )["result"]
    world.chain.produce_block()
    status = rpc(world, "getSignatureStatuses", [sig])["result"]["value"][0]
    assert status["err"] == {"InstructionError": [0, {"Custom": 6001}]}
    tx = rpc(world, "getTransaction", sig, {"encoding": "base64"})["result"]
    assert tx["meta"]["fee"] == 5000 and tx["meta"]["err"] == status["err"]


def test_duplicates_execute_once_and_commitment_progresses(
    manual_world: LocalSolanaWorld, payer: Keypair
) -> None:
    world = manual_world
    world.faults.confirm_after_blocks = 2
    world.faults.finalize_after_blocks = 4
    tx = transfer_tx(world, payer, 10**6)
    before = world.sol_balance(payer.pubkey())
    for _ in range(3):
        rpc(
            world,
            "sendTransaction",
            b64(tx),
            {"encoding": "base64", "skipPreflight": True, "maxRetries": 0},
        )
    sig = str(tx.signatures[0])
    assert rpc(world, "getSignatureStatuses", [sig])["result"]["value"] == [None]
    levels = []
    for _ in range(5):
        world.chain.produce_block()
        levels.append(
            rpc(world, "getSignatureStatuses", [sig])["result"]["value"][0]["confirmationStatus"]
        )
    assert levels == ["processed", "processed", "confirmed", "confirmed", "finalized"]
    for _ in range(2):
        rpc(world, "sendTransaction", b64(tx), {"encoding": "base64", "skipPreflight": True})
        world.chain.produce_block()
    assert world.sol_balance(payer.pubkey()) == before - 10**6 - 5000


def test_blockhash_expires_after_the_window(manual_world: LocalSolanaWorld, payer: Keypair) -> None:
    world = manual_world
    value = rpc(world, "getLatestBlockhash", {"commitment": "confirmed"})["result"]["value"]
    assert value["lastValidBlockHeight"] == rpc(world, "getBlockHeight")["result"] + 10
    world.faults.inclusion_delay_blocks = 12  # slow inclusion: the hash dies in the queue
    tx = transfer_tx(world, payer, 10**6)
    sig = rpc(world, "sendTransaction", b64(tx), {"encoding": "base64"})["result"]
    for _ in range(13):
        world.chain.produce_block()
    assert rpc(world, "getBlockHeight")["result"] > value["lastValidBlockHeight"]
    assert rpc(world, "getSignatureStatuses", [sig], {"searchTransactionHistory": True})["result"][
        "value"
    ] == [None]
    late = rpc(world, "sendTransaction", b64(tx), {"encoding": "base64"})
    assert late["error"]["code"] == -32002 and "BlockhashNotFound" in late["error"]["message"]


def test_token_reads_and_rent(manual_world: LocalSolanaWorld) -> None:
    world = manual_world
    owner = Keypair().pubkey()
    world.fund(owner, 0, {"USDC": 5_000_000})
    rows = rpc(
        world,
        "getTokenAccountsByOwner",
        str(owner),
        {"mint": str(world.mints["USDC"])},
        {"encoding": "jsonParsed"},
    )
    info = rows["result"]["value"][0]["account"]["data"]["parsed"]["info"]
    assert (
        info["tokenAmount"]["amount"] == "5000000" and info["tokenAmount"]["uiAmountString"] == "5"
    )
    assert rpc(world, "getMinimumBalanceForRentExemption", 165)["result"] == 2_039_280
    assert rpc(world, "getBalance", str(owner))["result"]["value"] == 0
    assert rpc(world, "noSuchMethod")["error"]["code"] == -32601


def test_rate_limit_fault_and_price_moves(manual_world: LocalSolanaWorld) -> None:
    world = manual_world
    world.faults.rpc_rate_limit_first = 2
    codes = [
        httpx.post(world.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "getSlot"}).status_code
        for _ in range(3)
    ]
    assert codes == [429, 429, 200]
    pool = world.pools[0]
    r_in, r_out = world.reserves(pool, pool.mint_a)
    world.move_pool(pool, pool.mint_a, 200)
    n_in, n_out = world.reserves(pool, pool.mint_a)
    moved = 1 - (n_out / n_in) / (r_out / r_in)
    assert 0.0199 < moved < 0.0202
    assert adverse_move(1000, 1000, 0) == (0, 0)


def test_partially_signed_swap_leaves_the_user_slot(manual_world: LocalSolanaWorld) -> None:
    world = manual_world
    user = Keypair()
    world.fund(user.pubkey(), 10**9, {"USDC": 10**9})
    q = httpx.get(
        world.jupiter_url + "/quote",
        params={
            "inputMint": str(world.mints["USDC"]),
            "outputMint": str(world.mints["JUP"]),
            "amount": "1000000",
            "slippageBps": "100",
        },
    ).json()
    s = httpx.post(
        world.jupiter_url + "/swap", json={"quoteResponse": q, "userPublicKey": str(user.pubkey())}
    ).json()
    tx = VersionedTransaction.from_bytes(base64.b64decode(s["swapTransaction"]))
    assert tx.message.account_keys[0] == user.pubkey()
    assert [
        sig.verify(k, to_bytes_versioned(tx.message))
        for sig, k in zip(tx.signatures, tx.message.account_keys, strict=False)
    ] == [False, True]
    bad = httpx.get(world.jupiter_url + "/quote", params={"inputMint": "x", "amount": "1"})
    assert bad.status_code == 400 and "Mint" in bad.json()["error"]


def test_assembler_rejects_bad_programs() -> None:
    asm = Assembler()
    asm.jump(JA, "nowhere")
    with pytest.raises(ValueError, match="unknown label"):
        asm.assemble()
    with pytest.raises(ValueError):
        elf_so(b"")
    assert guard_program()[:4] == b"\x7fELF"
