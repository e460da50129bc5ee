"""Per-trade records for live summaries (predicted vs realized) and on-chain balance reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.execution.evm_types import TxReport
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.wallet import balance_of, native_balance


async def chain_balances(rpc: RpcClient, owner: str, tokens: Iterable[Token]) -> dict[Token, int]:
    """``owner``'s balance of each token on chain (a token without an address is the native
    one)."""
    out: dict[Token, int] = {}
    for token in tokens:
        if token.address:
            out[token] = await balance_of(rpc, token.address, owner)
        else:
            out[token] = await native_balance(rpc, owner)
    return out


def trade_record(intent: OrderIntent, fill: Fill, report: TxReport | None) -> dict[str, Any]:
    """One line of the summary: what the engine predicted, what the simulation said, what the
    receipt shows (profits in the profit token's base units; USD as decimal strings)."""
    record: dict[str, Any] = {
        "intent": intent.intent_id,
        "route": fill.route.value,
        "status": fill.status.value,
        "profit_token": intent.token_in.symbol,
        "predicted_profit_usd": str(intent.expected_profit_usd),
        "predicted_network_usd": str(intent.expected_costs.network),
        "realized_pnl_usd": str(fill.pnl_usd),
        "gas_usd": str(fill.costs.gas),
        "priority_fee_usd": str(fill.costs.priority_fee),
        "reason": fill.failure_reason,
    }
    if report is not None:
        record.update(
            {
                "tx": report.tx_hash,
                "block": report.block_number,
                "gas_used": report.gas_used,
                "predicted_profit_units": report.predicted_profit,
                "simulated_profit_units": report.simulated_profit,
                "realized_profit_units": report.realized_profit,
                "min_profit_units": report.min_profit,
            }
        )
    return record
