"""Pydantic models of RPC payloads: accept real shapes, reject malformed data clearly."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from phantom.venues.evm.models import WIRE, BlockHeader, FeeHistory, Log, Receipt, Transaction

H = "0x" + "ab" * 32
A = "0x" + "cd" * 20


def receipt(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "transactionHash": H,
        "transactionIndex": "0x0",
        "blockHash": H,
        "blockNumber": "0x10",
        "from": A,
        "to": A,
        "cumulativeGasUsed": "0x5208",
        "gasUsed": "0x5208",
        "effectiveGasPrice": "0x3b9aca00",
        "contractAddress": None,
        "logs": [
            {
                "address": A,
                "topics": [H],
                "data": "0x" + "00" * 64,
                "blockNumber": "0x10",
                "transactionHash": H,
                "logIndex": "0x0",
                "removed": False,
            }
        ],
        "status": "0x1",
        "type": "0x2",
        "logsBloom": "0x00",
    }
    base.update(over)
    return base


def test_receipt_parses_hex_to_ints() -> None:
    r = Receipt.model_validate(receipt())
    assert (r.block_number, r.gas_used, r.status, r.type) == (16, 21000, 1, 2)
    assert r.fee_wei == 21000 * 10**9
    assert r.from_ == r.to and r.from_.startswith("0x") and r.from_ != A  # checksummed
    assert r.logs[0].log_index == 0 and len(r.logs[0].data) == 64
    assert Receipt.model_validate(receipt(status="0x0")).status == 0


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("status", "0x2", "status"),
        ("gasUsed", 21000.5, "gasUsed"),
        ("gasUsed", "21000", "gasUsed"),
        ("from", "0x1234", "from"),
        ("transactionHash", "0xabc", "transactionHash"),
        ("logs", None, "logs"),
    ],
)
def test_receipt_rejects_malformed(field: str, value: Any, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        Receipt.model_validate(receipt(**{field: value}))
    assert needle in str(info.value)


def test_receipt_missing_field() -> None:
    data = receipt()
    del data["effectiveGasPrice"]
    with pytest.raises(ValidationError, match="effectiveGasPrice"):
        Receipt.model_validate(data)


def test_log_rejects_odd_data() -> None:
    with pytest.raises(ValidationError, match="even length"):
        Log.model_validate({"address": A, "topics": [], "data": "0xabc"})


def test_fee_history() -> None:
    fh = FeeHistory.model_validate(
        {
            "oldestBlock": "0x1",
            "baseFeePerGas": ["0x3b9aca00", "0x3b9aca01"],
            "gasUsedRatio": [0.5],
            "reward": [["0x1"]],
        }
    )
    assert fh.next_base_fee == 10**9 + 1 and fh.reward == [[1]]
    with pytest.raises(ValidationError):
        FeeHistory.model_validate({"oldestBlock": "0x1", "baseFeePerGas": [], "gasUsedRatio": []})


def test_block_and_transaction() -> None:
    head = BlockHeader.model_validate(
        {
            "number": "0x2",
            "hash": H,
            "parentHash": H,
            "timestamp": "0x5",
            "gasLimit": "0x1c9c380",
            "gasUsed": "0x0",
            "baseFeePerGas": "0x7",
        }
    )
    assert head.number == 2 and head.base_fee_per_gas == 7
    tx = Transaction.model_validate(
        {
            "hash": H,
            "nonce": "0x3",
            "from": A,
            "to": None,
            "value": "0x0",
            "input": "0x",
            "gas": "0x5208",
        }
    )
    assert tx.nonce == 3 and tx.to is None and tx.input == b""


def test_wire_payloads_require_hex_quantities() -> None:
    assert Receipt.model_validate(receipt(gasUsed=21000)).gas_used == 21000  # built in code
    with pytest.raises(ValidationError, match="0x-hex quantity"):
        Receipt.model_validate(receipt(gasUsed=21000), context=WIRE)
    with pytest.raises(ValidationError, match="status"):
        Receipt.model_validate(receipt(status=1), context=WIRE)
    assert Receipt.model_validate(receipt(), context=WIRE).status == 1
