"""``phantom devnet demo``: four scenarios on a fresh devnet, each measured from receipts.

a. **arbitrage**: a trader dumps WETH on dexB; the arbitrage engine (gas-aware costs) sees the gap
   in the pools read from chain, and the live client sends ``PhantomArb.execute``: predicted vs
   simulated vs realized profit (Transfer logs), gas used and its cost; the fill is booked in a
   ledger that then verifies.
b. **public swap, sandwiched**: with mining paused, the ``user`` account swaps 20 WETH for USDC on
   dexB through the router with a loose 5 % slippage bound, publicly. The sandwich bot (its own
   process, watching ``newPendingTransactions``) front- and back-runs it; the victim's loss is the
   router's quote at send time minus what its receipt shows it received.
c. **the same swap, private**: from the same chain state (``evm_revert``), the same signed-by-user
   swap goes through the devnet relay (``eth_sendPrivateTransaction``); the bot runs again but
   cannot get ahead of it: the loss is 0.
d. **refused arbitrage**: the arbitrage of (a), replayed once the gap is closed: ``eth_call``
   reverts (``PhantomArb: profit below minimum``), nothing is signed or sent: 0 gas, same nonce.

Everything runs on 127.0.0.1; the devnet is started for the demo and stopped at the end.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from phantom.core.events import PoolUpdate
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.devnet.deploy import FAR_DEADLINE
from phantom.devnet.deployment import write_deployment
from phantom.devnet.relay import DevnetRelay
from phantom.devnet.world import DevnetWorld
from phantom.engines.arb.engine import ArbEngine
from phantom.engines.arb.params import ArbParams
from phantom.engines.base import EngineContext
from phantom.execution.evm_arb import owner_token_deltas
from phantom.execution.evm_bridge import AsyncBridge
from phantom.execution.evm_devnet import NATIVE_SYMBOLS, DevnetVenue, devnet_venue
from phantom.execution.evm_journal import EvmTxJournal
from phantom.execution.evm_live import EvmLiveClient
from phantom.market.evm_source import EvmPoolSource
from phantom.market.state import MarketState
from phantom.portfolio.ledger import DEFAULT_NATIVE_SYMBOLS, Ledger
from phantom.signals.evm_costs import EvmGasModel
from phantom.venues.evm.abi import encode_call
from phantom.venues.evm.fees import FeePolicy, fetch_fees
from phantom.venues.evm.relay import RelayClient
from phantom.venues.evm.rpc import RpcClient, redact_url
from phantom.venues.evm.signer import SecretKey, Signer
from phantom.venues.evm.txmanager import TxManager
from phantom.venues.evm.txtypes import TxRequest

ETH = 10**18
POLICY = FeePolicy.from_gwei(100, 5)
SWAP = "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"
VICTIM_WETH = 20 * ETH
VICTIM_SLIPPAGE_BPS = 500
SWAP_GAS = 250_000
Progress = Callable[[str], None]


def _usd(token: Token, units: int, market: MarketState) -> Decimal:
    return (token.to_decimal(units) * Decimal(repr(market.price_usd(token)))).quantize(
        Decimal("0.000001")
    )


class _Desk:
    """The arbitrageur's side: market from chain, engine, live client, ledger."""

    def __init__(self, world: DevnetWorld, venue: DevnetVenue, workdir: Path) -> None:
        self.world, self.venue = world, venue
        self.bridge = AsyncBridge().start()
        self.market = MarketState()
        dep = world.deployment
        key = SecretKey.from_hex(dep.account("arbitrageur").private_key.get_secret_value())
        self.journal = EvmTxJournal(workdir / "evm_txs.sqlite")
        self.client = EvmLiveClient(
            venue.venue_config(POLICY, receipt_timeout_s=20),
            Signer(key),
            self.journal,
            self.bridge,
            market=self.market,
        )
        self.ledger = Ledger(
            workdir / "ledger.sqlite", native_symbols={**DEFAULT_NATIVE_SYMBOLS, **NATIVE_SYMBOLS}
        )
        self.gas = EvmGasModel(venue.native)

    def read_market(self) -> list[Any]:
        events: list[Any] = []
        source = EvmPoolSource(self.client.rpc, "", self.venue.pools, events.append,
                               prices=self.venue.prices)  # fmt: skip
        pools = self.bridge.run(source.snapshot())
        for event in events:
            self.market.apply(event)
        quote = self.bridge.run(fetch_fees(self.client.rpc, POLICY))
        self.gas.update_fees(quote.base_fee_wei, quote.max_priority_fee_per_gas)
        return pools

    def execute(self, intent: OrderIntent) -> Any:
        self.ledger.journal_intent(intent)  # write ahead, then act
        self.client.submit(intent, time.time())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for outcome in self.client.due(time.time(), self.market):
                fill = outcome.fill
                prices = {
                    t.symbol: Decimal(repr(self.market.price_usd(t)))
                    for t in (*self.venue.tokens.values(), self.venue.native)
                }
                self.ledger.record_fill(fill, prices)
                return fill
            time.sleep(0.005)
        raise TimeoutError(f"no outcome for {intent.intent_id}")

    def close(self) -> None:
        self.bridge.run(self.client.aclose())
        self.bridge.stop()
        self.ledger.close()
        self.journal.close()


def arbitrage(world: DevnetWorld, desk: _Desk) -> tuple[dict[str, Any], OrderIntent]:
    """(a) a profitable atomic arbitrage, end to end."""
    dep, v = world.deployment, desk.venue
    trader = world.account("trader")
    route = [dep.address("WETH"), dep.address("USDC")]
    router = dep.address("dexB.router")
    fn = "swapExactTokensForTokens"
    args = (20 * ETH, 0, route, trader, FAR_DEADLINE)
    world.transact(trader, "UniswapV2Router02", router, fn, *args, gas=SWAP_GAS)
    pools = desk.read_market()
    tokens = (v.token("USDC"), v.token("WETH"))
    params = ArbParams(tokens, v.native, SolanaFeeSchedule(), Decimal(100_000), 50,
                       max_hops=2, cost_estimator=desk.gas)  # fmt: skip
    engine = ArbEngine(params, pools, id_prefix="demo-arb")
    desk.ledger.open_vault(
        "arb", [(v.native, 10 * ETH, Decimal(repr(desk.market.price_usd(v.native))))]
    )
    ctx = EngineContext(time.time(), desk.market, {t: 10**30 for t in tokens})
    intents = [i for p in pools for i in engine.on_event(PoolUpdate(time.time(), p), ctx)]
    if not intents:
        raise RuntimeError("the engine found no arbitrage after the dump on dexB")
    intent = intents[0]
    fill = desk.execute(intent)
    report = desk.client.reports[intent.intent_id]
    base = intent.token_in
    gas_wei = (report.gas_used or 0) * (report.effective_gas_price or 0)
    predicted_units = intent.expected_amount_out - intent.amount_in
    return {
        "tx": report.tx_hash,
        "block": report.block_number,
        "route": fill.route.value,
        "status": fill.status.value,
        "cycle": " -> ".join(f"{leg.token_in.symbol}@{leg.pool_id}" for leg in intent.legs),
        "profit_token": base.symbol,
        "predicted_profit_units": predicted_units,
        "predicted_profit_usd": str(_usd(base, predicted_units, desk.market)),
        "predicted_net_usd": str(intent.expected_profit_usd.quantize(Decimal("0.000001"))),
        "predicted_gas_usd": str(intent.expected_costs.network.quantize(Decimal("0.000001"))),
        "simulated_profit_units": report.simulated_profit,
        "realized_profit_units": report.realized_profit,
        "realized_profit_usd": str(_usd(base, report.realized_profit or 0, desk.market)),
        "gas_used": report.gas_used,
        "gas_cost_wei": gas_wei,
        "gas_cost_usd": str(_usd(v.native, gas_wei, desk.market)),
        "realized_net_usd": str(fill.pnl_usd.quantize(Decimal("0.000001"))),
        "ledger_ok": desk.ledger.verify().ok,
    }, intent


def refused(world: DevnetWorld, desk: _Desk, stale: OrderIntent) -> dict[str, Any]:
    """(d) the arbitrage of (a) replayed after the gap closed: refused by simulation."""
    owner = desk.client.owner
    eth_before, nonce_before = world.rpc.balance(owner), world.rpc.nonce(owner)
    intent = replace(stale, intent_id="demo-arb-stale", reason="replayed after the gap closed")
    fill = desk.execute(intent)
    gas_paid = eth_before - world.rpc.balance(owner)
    return {
        "status": fill.status.value,
        "reason": fill.failure_reason,
        "sent": desk.client.reports[intent.intent_id].tx_hash is not None,
        "gas_paid_wei": gas_paid,
        "cost_usd": str(fill.costs.total),
        "nonce_unchanged": world.rpc.nonce(owner) == nonce_before,
        "ledger_ok": desk.ledger.verify().ok,
    }


class _Bot:
    """The sandwich bot in its own process; its JSON lines collected by a reader thread."""

    def __init__(self, deployment_file: Path) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "phantom.devnet.sandwich", "--deployment", str(deployment_file)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.next_event(30)
        if ready is None or ready.get("event") != "ready":
            self.stop()
            raise RuntimeError("the sandwich bot did not start")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def victim_swap(world: DevnetWorld, deployment_file: Path, private: bool) -> dict[str, Any]:
    """(b) / (c): the user's loose-slippage WETH -> USDC swap on dexB, public or private."""
    dep, rpc = world.deployment, world.rpc
    user = dep.account("user")
    router = dep.address("dexB.router")
    path = [dep.address("WETH"), dep.address("USDC")]
    (amounts,) = world.call("UniswapV2Router02", router, "getAmountsOut", VICTIM_WETH, path)
    quote = int(amounts[1])
    min_out = quote * (10_000 - VICTIM_SLIPPAGE_BPS) // 10_000
    data = encode_call(SWAP, [VICTIM_WETH, min_out, path, user.address, FAR_DEADLINE])
    signer = Signer(SecretKey.from_hex(user.private_key.get_secret_value()))
    rpc.set_automine(False)  # a public mempool: the bot gets to see pending transactions
    bot = _Bot(deployment_file)
    relay = DevnetRelay(dep.rpc_url).start() if private else None
    bot_events: list[dict[str, Any]] = []
    try:
        with AsyncBridge() as bridge:
            tx_hash = bridge.run(_send_victim(dep.rpc_url, dep.chain_id, signer, router, data,
                                              relay.url if relay else None))  # fmt: skip
            wait_s = 1.0 if private else 15.0
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                event = bot.next_event(max(0.0, deadline - time.monotonic()))
                if event is None:
                    break
                bot_events.append(event)
                if event.get("event") == "sandwich":
                    break
        rpc.mine()
        receipt = rpc.wait(tx_hash, check=False)
    finally:
        bot.stop()
        if relay is not None:
            relay.stop()
        rpc.set_automine(True)
    received = _received(receipt, user.address, dep.address("USDC"))
    sandwich = next((e for e in bot_events if e.get("event") == "sandwich"), None)
    usdc = Token("USDC", dep.token("USDC").decimals, "devnet")
    loss = quote - received
    out: dict[str, Any] = {
        "route": "private (relay)" if private else "public mempool",
        "tx": tx_hash,
        "block": int(str(receipt["blockNumber"]), 16),
        "quote_out_units": quote,
        "min_out_units": min_out,
        "received_out_units": received,
        "victim_loss_units": loss,
        "victim_loss_usd": str(usdc.to_decimal(loss)),
        "sandwiched": False,  # decided from the receipts below, not from the bot's word
        "bot_events": [e.get("event") for e in bot_events],
    }
    if sandwich is not None and sandwich.get("victim") == tx_hash:
        front = rpc.wait(sandwich["front"], check=False)
        back = rpc.wait(sandwich["back"], check=False)
        order = [int(str(r["transactionIndex"]), 16) for r in (front, receipt, back)]
        same_block = front["blockNumber"] == receipt["blockNumber"] == back["blockNumber"]
        out["sandwiched"] = same_block and order == sorted(order)
        out["front_victim_back_indexes"] = order
        out["bot_expected_profit_weth_units"] = sandwich.get("expected_profit")
    return out


async def _send_victim(
    rpc_url: str, chain_id: int, signer: Signer, router: str, data: bytes, relay_url: str | None
) -> str:
    async with RpcClient(rpc_url) as rpc:
        txm = TxManager(rpc, signer, chain_id, POLICY, poll_interval_s=0.02, sim_block="pending")
        # An explicit limit, as the bot and the noise traders use (anvil's estimate at ``latest``
        # misses a pair's first price-accumulator writes; see execution/evm_live).
        request = TxRequest(to=router, data=data, gas_limit=SWAP_GAS)
        if relay_url is None:
            return (await txm.submit(request)).tx_hash
        sent = await txm.prepare(request)  # signed, not broadcast
        relay = RelayClient(relay_url, Signer(SecretKey.generate()))  # auth key holds nothing
        try:
            return await relay.send_private_transaction(sent.raw)
        finally:
            await relay.aclose()


def _received(receipt: dict[str, Any], owner: str, token: str) -> int:
    from phantom.venues.evm.models import Receipt

    model = Receipt.model_validate(receipt, context={"wire": True})
    tok = Token("X", 0, "devnet", token)
    return owner_token_deltas(model, owner, {token.lower(): tok}).get(tok, 0)


def run_demo(workdir: Path | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Start a devnet, run the four scenarios, stop it; returns the numbers (JSON-ready)."""
    say = progress or (lambda _msg: None)
    with tempfile.TemporaryDirectory(prefix="phantom-demo-") as tmp:
        work = workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        say("starting a fresh devnet (anvil + Uniswap V2 + PhantomArb) ...")
        with DevnetWorld() as world:
            dep = world.deployment
            deployment_file = work / "deployment.json"
            write_deployment(dep, deployment_file)
            desk = _Desk(world, devnet_venue(dep), work)
            try:
                say("(a) profitable atomic arbitrage ...")
                arb, intent = arbitrage(world, desk)
                say("(d) the same arbitrage once the gap is closed ...")
                stale = refused(world, desk, intent)
            finally:
                desk.close()
            snapshot = world.rpc.snapshot()
            say("(b) public swap with loose slippage, sandwich bot watching ...")
            public = victim_swap(world, deployment_file, private=False)
            world.rpc.call("anvil_dropAllTransactions")
            world.rpc.revert(snapshot)
            say("(c) the same swap through the private relay ...")
            private = victim_swap(world, deployment_file, private=True)
            deployment_file.unlink(missing_ok=True)  # it holds the (public) devnet keys
        return {
            "devnet": {"chain_id": dep.chain_id, "rpc": redact_url(dep.rpc_url)},
            "arbitrage": arb,
            "sandwich_public": public,
            "sandwich_private": private,
            "refused_arbitrage": stale,
        }
