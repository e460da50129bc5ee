"""The codec round-trips intents and fills exactly and refuses what it cannot store exactly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from itertools import pairwise

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import ETH, SOL, USDC, make_fill, make_intent

from phantom.core.costs import COST_KINDS, CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import IntentKind, OrderIntent, Route, SwapLeg
from phantom.core.token import Token
from phantom.portfolio.codec import (
    fill_from_json,
    fill_to_json,
    intent_from_json,
    intent_to_json,
    prices_from_json,
    prices_to_json,
    token_from_obj,
    token_to_obj,
)
from phantom.portfolio.errors import CodecError

# --- strategies -------------------------------------------------------------------------------

texts = st.text(max_size=12)
tokens = st.builds(
    Token,
    symbol=st.text(min_size=1, max_size=8),
    decimals=st.integers(0, 36),
    chain=st.sampled_from(["solana", "ethereum", "base"]),
    address=texts,
)
amounts = st.integers(-(2**256), 2**256)
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None)
times = st.floats(allow_nan=False, allow_infinity=False)
costs = st.builds(CostBreakdown, **{k: decimals for k in COST_KINDS})


@st.composite
def intents(draw: st.DrawFn) -> OrderIntent:
    path = draw(st.lists(tokens, min_size=2, max_size=4))
    legs = tuple(SwapLeg(draw(texts), a, b) for a, b in pairwise(path))
    return OrderIntent(
        intent_id=draw(texts),
        engine=draw(texts),
        kind=draw(st.sampled_from(IntentKind)),
        created_at=draw(times),
        legs=legs,
        amount_in=draw(st.integers(1, 2**256)),
        min_amount_out=draw(st.integers(0, 2**256)),
        expected_amount_out=draw(amounts),
        expected_profit_usd=draw(decimals),
        expected_costs=draw(costs),
        notional_usd=draw(decimals),
        slippage_bps=draw(st.integers(0, 10_000)),
        route=draw(st.sampled_from(Route)),
        reason=draw(texts),
        signatures=draw(st.integers(0, 64)),
        tags=tuple(draw(st.lists(texts, max_size=3))),
    )


fills = st.builds(
    Fill,
    fill_id=texts,
    intent_id=texts,
    engine=texts,
    status=st.sampled_from(FillStatus),
    route=st.sampled_from(Route),
    sent_at=times,
    arrived_at=times,
    amount_in=amounts,
    amount_out=amounts,
    deltas=st.lists(st.builds(BalanceDelta, token=tokens, amount=amounts), max_size=4).map(tuple),
    costs=costs,
    pnl_usd=decimals,
    fill_fraction=decimals,
    sandwiched=st.booleans(),
    failure_reason=texts,
    notes=st.lists(texts, max_size=3).map(tuple),
)


# --- round trips ------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(intents())
def test_intents_round_trip_exactly(intent: OrderIntent) -> None:
    text = intent_to_json(intent)
    back = intent_from_json(text)
    assert back == intent
    assert intent_to_json(back) == text  # exact: Decimal exponents and float bits survive


@settings(max_examples=150, deadline=None)
@given(fills)
def test_fills_round_trip_exactly(fill: Fill) -> None:
    text = fill_to_json(fill)
    back = fill_from_json(text)
    assert back == fill
    assert fill_to_json(back) == text


@given(tokens)
def test_tokens_round_trip(token: Token) -> None:
    assert token_from_obj(token_to_obj(token)) == token


def test_wei_amounts_beyond_64_bits_are_strings() -> None:
    big = 2**200 + 12345
    intent = make_intent("i-wei", token_in=ETH, token_out=Token("X", 18, chain="ethereum"))
    fill = make_fill(intent, (BalanceDelta(ETH, -big), BalanceDelta(ETH, big - 1)))
    obj = orjson.loads(fill_to_json(fill))
    assert obj["deltas"][0]["amount"] == str(-big)
    assert fill_from_json(fill_to_json(fill)).deltas[0].amount == -big


def test_decimal_forms_are_kept_verbatim() -> None:
    odd = [Decimal("1E+3"), Decimal("-0.000"), Decimal("0.10"), Decimal("123456789.123456789123")]
    for value in odd:
        fill = make_fill(make_intent("i"), (), costs=CostBreakdown(mev=value))
        back = fill_from_json(fill_to_json(fill))
        assert str(back.costs.mev) == str(value)
    prices = {"SOL": Decimal("101.2500"), "JUP": Decimal("1E-7")}
    assert {k: str(v) for k, v in prices_from_json(prices_to_json(prices)).items()} == {
        "SOL": "101.2500",
        "JUP": "1E-7",
    }


def test_enums_are_stored_as_values() -> None:
    intent = make_intent("i-enum", kind=IntentKind.REFUEL)
    obj = orjson.loads(intent_to_json(intent))
    assert obj["kind"] == "refuel" and obj["route"] == "public"
    fill = make_fill(intent, (), status=FillStatus.PARTIAL)
    assert orjson.loads(fill_to_json(fill))["status"] == "partial"


def test_token_identity_survives_in_legs() -> None:
    intent = make_intent("i-tok", token_in=USDC, token_out=SOL)
    back = intent_from_json(intent_to_json(intent))
    assert back.legs[0].token_in.address == USDC.address
    assert back.token_out == SOL


# --- refusals ---------------------------------------------------------------------------------


def _fill_obj() -> dict[str, object]:
    fill = make_fill(make_intent("i"), (BalanceDelta(SOL, -5000),))
    obj = orjson.loads(fill_to_json(fill))
    assert isinstance(obj, dict)
    return obj


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o.pop("costs"), "missing keys"),
        (lambda o: o.update(extra=1), "unexpected keys"),
        (lambda o: o.update(amount_in="1_000"), "integer string"),
        (lambda o: o.update(amount_in=1000), "integer string"),
        (lambda o: o.update(pnl_usd="abc"), "not a decimal"),
        (lambda o: o.update(pnl_usd=1.5), "decimal string"),
        (lambda o: o.update(status="landed"), "FillStatus"),
        (lambda o: o.update(sandwiched="no"), "bool"),
        (lambda o: o.update(v=2), "version"),
        (lambda o: o.update(deltas=[{"token": {"symbol": "SOL"}, "amount": "1"}]), "missing"),
    ],
)
def test_decoding_is_strict(mutate: Callable[[dict[str, object]], object], message: str) -> None:
    obj = _fill_obj()
    mutate(obj)
    with pytest.raises(CodecError, match=message):
        fill_from_json(orjson.dumps(obj))


def test_invalid_json_and_invalid_token_are_codec_errors() -> None:
    with pytest.raises(CodecError, match="invalid JSON"):
        fill_from_json(b"{not json")
    bad = {"symbol": "X", "decimals": "99", "chain": "solana", "address": ""}
    with pytest.raises(CodecError, match="decimals"):
        token_from_obj(bad)


def test_encoding_refuses_inexact_values() -> None:
    intent = make_intent("i")
    with pytest.raises(CodecError, match="expected Decimal"):
        fill_to_json(make_fill(intent, (), costs=CostBreakdown(fee=0.3)))  # type: ignore[arg-type]
    with pytest.raises(CodecError, match="finite"):
        intent_to_json(replace(intent, created_at=float("nan")))
    with pytest.raises(CodecError, match="expected int"):
        fill_to_json(make_fill(intent, (BalanceDelta(SOL, 1.0),)))  # type: ignore[arg-type]
