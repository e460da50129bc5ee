"""ABI helpers and revert decoding."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from phantom.venues.evm.abi import (
    arg_types,
    checksum,
    decode_result,
    encode_call,
    event_topic,
    from_hex,
    selector,
)
from phantom.venues.evm.revert import (
    ERROR_SELECTOR,
    PANIC_SELECTOR,
    decode_revert,
    reason_from_error,
    revert_data_from_error,
)

ADDR = "0x000000000000000000000000000000000000dEaD"


def test_known_selectors_and_topics() -> None:
    assert selector("transfer(address,uint256)").hex() == "a9059cbb"
    assert selector("approve(address,uint256)").hex() == "095ea7b3"
    assert selector("Error(string)") == ERROR_SELECTOR
    assert selector("Panic(uint256)") == PANIC_SELECTOR
    assert (
        event_topic("Sync(uint112,uint112)")
        == "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
    )


def test_arg_types_keeps_tuples_whole() -> None:
    assert arg_types("f()") == []
    assert arg_types("f(uint256,(address,uint8),bytes)") == ["uint256", "(address,uint8)", "bytes"]


def test_encode_call_and_decode() -> None:
    data = encode_call("transfer(address,uint256)", [ADDR, 5])
    assert data[:4].hex() == "a9059cbb" and len(data) == 4 + 64
    assert decode_result(["address", "uint256"], data[4:]) == (ADDR.lower(), 5)
    with pytest.raises(ValueError, match="takes 2 argument"):
        encode_call("transfer(address,uint256)", [ADDR])
    with pytest.raises(ValueError, match="canonical signature"):
        selector("transfer(address to, uint256)")


def test_address_and_hex_helpers() -> None:
    assert checksum(ADDR.lower()) == ADDR
    with pytest.raises(ValueError, match="20-byte"):
        checksum("0x1234")
    assert from_hex("0xdead") == b"\xde\xad" and from_hex("dead") == b"\xde\xad"
    with pytest.raises(ValueError, match="hex"):
        from_hex("0xabc")


def test_decode_error_string() -> None:
    data = ERROR_SELECTOR + encode(["string"], ["UniswapV2Router: EXPIRED"])
    reason = decode_revert(data)
    assert (reason.kind, reason.message, str(reason)) == (
        "error",
        "UniswapV2Router: EXPIRED",
        "UniswapV2Router: EXPIRED",
    )


@pytest.mark.parametrize(
    ("code", "text"), [(0x11, "overflow"), (0x12, "division"), (0x01, "assert"), (0x99, "unknown")]
)
def test_decode_panic(code: int, text: str) -> None:
    reason = decode_revert(PANIC_SELECTOR + encode(["uint256"], [code]))
    assert reason.kind == "panic" and reason.panic_code == code and text in reason.message


def test_decode_custom_empty_and_malformed() -> None:
    custom = selector("InsufficientOutput(uint256)") + encode(["uint256"], [7])
    assert decode_revert(custom).kind == "custom"
    assert custom.hex() in decode_revert(custom).message
    assert decode_revert(b"").kind == "empty"
    assert decode_revert(ERROR_SELECTOR + b"\x00" * 5).message.startswith("malformed Error")
    assert decode_revert(PANIC_SELECTOR + b"\x01").message.startswith("malformed Panic")


def test_revert_data_locations() -> None:
    raw = ERROR_SELECTOR + encode(["string"], ["nope"])
    hexed = "0x" + raw.hex()
    assert revert_data_from_error(hexed) == raw
    assert revert_data_from_error({"data": hexed}) == raw
    assert revert_data_from_error(f"Reverted {hexed}") == raw
    assert revert_data_from_error(None, "execution reverted") == b""
    assert revert_data_from_error(None, "insufficient funds for gas") is None
    assert reason_from_error(None, "execution reverted: EXPIRED") is not None
    assert str(reason_from_error(None, "execution reverted: EXPIRED")) == "EXPIRED"
    assert reason_from_error(None, "nonce too low") is None


def test_empty_error_string_is_an_empty_reason() -> None:
    assert decode_revert(ERROR_SELECTOR + encode(["string"], [""])).kind == "empty"
