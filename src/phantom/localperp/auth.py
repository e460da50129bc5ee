"""Request authentication as Binance USD-M futures does it (HMAC SHA256 keys).

A signed request carries the API key in the ``X-MBX-APIKEY`` header and, as its last parameter,
``signature = hex(HMAC_SHA256(secret, totalParams))`` where ``totalParams`` is the query string
followed by the request body (both without the signature), plus a ``timestamp`` (ms) that must be
within ``recvWindow`` (default 5000 ms, at most 60000) of the server's clock and not more than
1000 ms ahead of it. Errors are Binance's codes and messages; nothing here ever echoes a key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import parse_qsl

_SIGNATURE = re.compile(r"(?:^|&)signature=([^&]*)")


class ApiError(Exception):
    """A Binance error answer: HTTP ``status`` with ``{"code", "msg"}``."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.status, self.code, self.msg = status, code, msg

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> ApiError:
    return ApiError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def _strip_signature(text: str) -> tuple[str, str | None]:
    match = _SIGNATURE.search(text)
    if match is None:
        return text, None
    return text[: match.start()] + text[match.end() :], match.group(1)


def params_of(query: str, body: str) -> dict[str, str]:
    """Every parameter of the query string and the form body (the body wins on a repeat)."""
    out = dict(parse_qsl(query, keep_blank_values=True))
    out.update(parse_qsl(body, keep_blank_values=True))
    return out


def verify(
    query: str,
    body: str,
    api_key_header: str | None,
    *,
    api_key: str,
    secret: str,
    now_ms: int,
) -> dict[str, str]:
    """The request's parameters once its key, signature and timestamp check out; else the
    :class:`ApiError` the real venue answers."""
    if not api_key_header:
        raise ApiError(401, -2014, "API-key format invalid.")
    if not hmac.compare_digest(api_key_header.encode(), api_key.encode()):
        raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    query_rest, sig_q = _strip_signature(query)
    body_rest, sig_b = _strip_signature(body)
    signature = sig_b if sig_b is not None else sig_q
    if not signature:
        raise mandatory("signature")
    total = query_rest + body_rest
    expected = hmac.new(secret.encode(), total.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise ApiError(400, -1022, "Signature for this request is not valid.")
    params = params_of(query_rest, body_rest)
    stamp = params.get("timestamp", "")
    if not stamp.isdigit():
        raise mandatory("timestamp")
    window = params.get("recvWindow", "5000")
    if not window.isdigit() or not 0 < int(window) <= 60_000:
        raise ApiError(400, -1131, "recvWindow must be less than 60000")
    ts = int(stamp)
    if ts > now_ms + 1000 or now_ms - ts > int(window):
        raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    return params
