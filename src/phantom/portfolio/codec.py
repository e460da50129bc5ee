"""Exact JSON codec for what the ledger stores: tokens, order intents, fills, price maps.

Rules: every ``int`` is a decimal string (wei exceeds 64 bits), every ``Decimal`` is its ``str``
(which round-trips exactly, exponent included), enums are their values, floats (timestamps) are
JSON numbers and must be finite. Keys are sorted, so equal records encode to equal bytes.
Decoding is strict: a missing or unexpected key, or a value of the wrong type, is a
``CodecError`` naming the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

import orjson

from phantom.core.costs import COST_KINDS, CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import IntentKind, OrderIntent, Route, SwapLeg
from phantom.core.token import Token
from phantom.portfolio.errors import CodecError

FORMAT_VERSION = 1
_INT = re.compile(r"-?[0-9]+")
E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")
Obj = dict[str, object]


# --- encoding scalars -------------------------------------------------------------------------


def enc_int(value: int, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CodecError(f"{name}: expected int, got {type(value).__name__}")
    return str(value)


def enc_dec(value: Decimal, name: str) -> str:
    if not isinstance(value, Decimal):
        raise CodecError(f"{name}: expected Decimal, got {type(value).__name__}")
    return str(value)


def _enc_float(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CodecError(f"{name}: expected a finite float, got {value!r}")
    return float(value)


# --- decoding scalars -------------------------------------------------------------------------


def _fields(value: object, what: str, keys: frozenset[str]) -> Obj:
    if not isinstance(value, dict):
        raise CodecError(f"{what}: expected an object, got {type(value).__name__}")
    obj: Obj = value
    missing = keys - obj.keys()
    extra = obj.keys() - keys
    if missing or extra:
        raise CodecError(f"{what}: missing keys {sorted(missing)}, unexpected keys {sorted(extra)}")
    return obj


def _str(obj: Obj, key: str, what: str) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise CodecError(f"{what}.{key}: expected a string, got {type(value).__name__}")
    return value


def dec_int(text: object, name: str) -> int:
    if not isinstance(text, str) or not _INT.fullmatch(text):
        raise CodecError(f"{name}: expected an integer string, got {text!r}")
    return int(text)


def dec_dec(text: object, name: str) -> Decimal:
    if not isinstance(text, str):
        raise CodecError(f"{name}: expected a decimal string, got {text!r}")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CodecError(f"{name}: not a decimal: {text!r}") from None


def _int(obj: Obj, key: str, what: str) -> int:
    return dec_int(obj[key], f"{what}.{key}")


def _dec(obj: Obj, key: str, what: str) -> Decimal:
    return dec_dec(obj[key], f"{what}.{key}")


def _float(obj: Obj, key: str, what: str) -> float:
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CodecError(f"{what}.{key}: expected a number, got {value!r}")
    return float(value)


def _bool(obj: Obj, key: str, what: str) -> bool:
    value = obj[key]
    if not isinstance(value, bool):
        raise CodecError(f"{what}.{key}: expected a bool, got {value!r}")
    return value


def _enum(cls: type[E], obj: Obj, key: str, what: str) -> E:
    value = _str(obj, key, what)
    try:
        return cls(value)
    except ValueError:
        raise CodecError(f"{what}.{key}: not a {cls.__name__}: {value!r}") from None


def _list(obj: Obj, key: str, what: str) -> list[object]:
    value = obj[key]
    if not isinstance(value, list):
        raise CodecError(f"{what}.{key}: expected a list, got {type(value).__name__}")
    return value


def _strs(obj: Obj, key: str, what: str) -> tuple[str, ...]:
    items = _list(obj, key, what)
    if not all(isinstance(i, str) for i in items):
        raise CodecError(f"{what}.{key}: expected a list of strings")
    return tuple(str(i) for i in items)


def _version(obj: Obj, what: str) -> None:
    if obj["v"] != FORMAT_VERSION:
        raise CodecError(f"{what}: unsupported format version {obj['v']!r}")


def _build(what: str, factory: Callable[..., T], **kwargs: object) -> T:
    """Construct a core type, turning its validation errors into a CodecError."""
    try:
        return factory(**kwargs)
    except (TypeError, ValueError) as exc:
        raise CodecError(f"{what}: {exc}") from None


# --- tokens, costs ----------------------------------------------------------------------------

_TOKEN_KEYS = frozenset({"symbol", "decimals", "chain", "address"})


def token_to_obj(token: Token) -> Obj:
    return {
        "symbol": token.symbol,
        "decimals": enc_int(token.decimals, "token.decimals"),
        "chain": token.chain,
        "address": token.address,
    }


def token_from_obj(value: object, what: str = "token") -> Token:
    obj = _fields(value, what, _TOKEN_KEYS)
    return _build(
        what,
        Token,
        symbol=_str(obj, "symbol", what),
        decimals=_int(obj, "decimals", what),
        chain=_str(obj, "chain", what),
        address=_str(obj, "address", what),
    )


def costs_to_obj(costs: CostBreakdown) -> Obj:
    return {k: enc_dec(v, f"costs.{k}") for k, v in costs.as_dict().items()}


def costs_from_obj(value: object, what: str = "costs") -> CostBreakdown:
    obj = _fields(value, what, frozenset(COST_KINDS))
    return CostBreakdown(**{k: _dec(obj, k, what) for k in COST_KINDS})


# --- intents ----------------------------------------------------------------------------------

_LEG_KEYS = frozenset({"pool_id", "token_in", "token_out"})
_INTENT_KEYS = frozenset(
    {
        "v",
        "intent_id",
        "engine",
        "kind",
        "created_at",
        "legs",
        "amount_in",
        "min_amount_out",
        "expected_amount_out",
        "expected_profit_usd",
        "expected_costs",
        "notional_usd",
        "slippage_bps",
        "route",
        "reason",
        "signatures",
        "tags",
    }
)


def intent_to_obj(intent: OrderIntent) -> Obj:
    return {
        "v": FORMAT_VERSION,
        "intent_id": intent.intent_id,
        "engine": intent.engine,
        "kind": intent.kind.value,
        "created_at": _enc_float(intent.created_at, "intent.created_at"),
        "legs": [
            {
                "pool_id": leg.pool_id,
                "token_in": token_to_obj(leg.token_in),
                "token_out": token_to_obj(leg.token_out),
            }
            for leg in intent.legs
        ],
        "amount_in": enc_int(intent.amount_in, "intent.amount_in"),
        "min_amount_out": enc_int(intent.min_amount_out, "intent.min_amount_out"),
        "expected_amount_out": enc_int(intent.expected_amount_out, "intent.expected_amount_out"),
        "expected_profit_usd": enc_dec(intent.expected_profit_usd, "intent.expected_profit_usd"),
        "expected_costs": costs_to_obj(intent.expected_costs),
        "notional_usd": enc_dec(intent.notional_usd, "intent.notional_usd"),
        "slippage_bps": enc_int(intent.slippage_bps, "intent.slippage_bps"),
        "route": intent.route.value,
        "reason": intent.reason,
        "signatures": enc_int(intent.signatures, "intent.signatures"),
        "tags": list(intent.tags),
    }


def _leg_from_obj(value: object, what: str) -> SwapLeg:
    obj = _fields(value, what, _LEG_KEYS)
    return SwapLeg(
        pool_id=_str(obj, "pool_id", what),
        token_in=token_from_obj(obj["token_in"], f"{what}.token_in"),
        token_out=token_from_obj(obj["token_out"], f"{what}.token_out"),
    )


def intent_from_obj(value: object) -> OrderIntent:
    w = "intent"
    obj = _fields(value, w, _INTENT_KEYS)
    _version(obj, w)
    legs = tuple(_leg_from_obj(v, f"{w}.legs[{i}]") for i, v in enumerate(_list(obj, "legs", w)))
    return _build(
        w,
        OrderIntent,
        intent_id=_str(obj, "intent_id", w),
        engine=_str(obj, "engine", w),
        kind=_enum(IntentKind, obj, "kind", w),
        created_at=_float(obj, "created_at", w),
        legs=legs,
        amount_in=_int(obj, "amount_in", w),
        min_amount_out=_int(obj, "min_amount_out", w),
        expected_amount_out=_int(obj, "expected_amount_out", w),
        expected_profit_usd=_dec(obj, "expected_profit_usd", w),
        expected_costs=costs_from_obj(obj["expected_costs"], f"{w}.expected_costs"),
        notional_usd=_dec(obj, "notional_usd", w),
        slippage_bps=_int(obj, "slippage_bps", w),
        route=_enum(Route, obj, "route", w),
        reason=_str(obj, "reason", w),
        signatures=_int(obj, "signatures", w),
        tags=_strs(obj, "tags", w),
    )


# --- fills ------------------------------------------------------------------------------------

_DELTA_KEYS = frozenset({"token", "amount"})
_FILL_KEYS = frozenset(
    {
        "v",
        "fill_id",
        "intent_id",
        "engine",
        "status",
        "route",
        "sent_at",
        "arrived_at",
        "amount_in",
        "amount_out",
        "deltas",
        "costs",
        "pnl_usd",
        "fill_fraction",
        "sandwiched",
        "failure_reason",
        "notes",
    }
)


def fill_to_obj(fill: Fill) -> Obj:
    return {
        "v": FORMAT_VERSION,
        "fill_id": fill.fill_id,
        "intent_id": fill.intent_id,
        "engine": fill.engine,
        "status": fill.status.value,
        "route": fill.route.value,
        "sent_at": _enc_float(fill.sent_at, "fill.sent_at"),
        "arrived_at": _enc_float(fill.arrived_at, "fill.arrived_at"),
        "amount_in": enc_int(fill.amount_in, "fill.amount_in"),
        "amount_out": enc_int(fill.amount_out, "fill.amount_out"),
        "deltas": [
            {"token": token_to_obj(d.token), "amount": enc_int(d.amount, "fill.deltas.amount")}
            for d in fill.deltas
        ],
        "costs": costs_to_obj(fill.costs),
        "pnl_usd": enc_dec(fill.pnl_usd, "fill.pnl_usd"),
        "fill_fraction": enc_dec(fill.fill_fraction, "fill.fill_fraction"),
        "sandwiched": bool(fill.sandwiched),
        "failure_reason": fill.failure_reason,
        "notes": list(fill.notes),
    }


def _delta_from_obj(value: object, what: str) -> BalanceDelta:
    obj = _fields(value, what, _DELTA_KEYS)
    return BalanceDelta(
        token=token_from_obj(obj["token"], f"{what}.token"), amount=_int(obj, "amount", what)
    )


def fill_from_obj(value: object) -> Fill:
    w = "fill"
    obj = _fields(value, w, _FILL_KEYS)
    _version(obj, w)
    deltas = _list(obj, "deltas", w)
    return Fill(
        fill_id=_str(obj, "fill_id", w),
        intent_id=_str(obj, "intent_id", w),
        engine=_str(obj, "engine", w),
        status=_enum(FillStatus, obj, "status", w),
        route=_enum(Route, obj, "route", w),
        sent_at=_float(obj, "sent_at", w),
        arrived_at=_float(obj, "arrived_at", w),
        amount_in=_int(obj, "amount_in", w),
        amount_out=_int(obj, "amount_out", w),
        deltas=tuple(_delta_from_obj(v, f"{w}.deltas[{i}]") for i, v in enumerate(deltas)),
        costs=costs_from_obj(obj["costs"], f"{w}.costs"),
        pnl_usd=_dec(obj, "pnl_usd", w),
        fill_fraction=_dec(obj, "fill_fraction", w),
        sandwiched=_bool(obj, "sandwiched", w),
        failure_reason=_str(obj, "failure_reason", w),
        notes=_strs(obj, "notes", w),
    )


# --- text -------------------------------------------------------------------------------------


def dumps(obj: Obj) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str | bytes, what: str) -> object:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise CodecError(f"{what}: invalid JSON: {exc}") from None


def intent_to_json(intent: OrderIntent) -> str:
    return dumps(intent_to_obj(intent))


def intent_from_json(text: str | bytes) -> OrderIntent:
    return intent_from_obj(loads(text, "intent"))


def fill_to_json(fill: Fill) -> str:
    return dumps(fill_to_obj(fill))


def fill_from_json(text: str | bytes) -> Fill:
    return fill_from_obj(loads(text, "fill"))


def prices_to_json(prices: Mapping[str, Decimal]) -> str:
    return dumps({symbol: enc_dec(p, f"price of {symbol}") for symbol, p in prices.items()})


def prices_from_json(text: str | bytes) -> dict[str, Decimal]:
    value = loads(text, "prices")
    if not isinstance(value, dict):
        raise CodecError("prices: expected an object")
    return {str(k): dec_dec(v, f"price of {k}") for k, v in value.items()}
