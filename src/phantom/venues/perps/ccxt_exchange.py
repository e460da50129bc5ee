"""Building the ccxt exchange object a :class:`CcxtVenueConfig` describes.

ccxt ships no type information, so it is imported dynamically (``load_ccxt``) and handled as
``Any`` here; :mod:`phantom.venues.perps.ccxt_adapter` validates everything it returns.
"""

from __future__ import annotations

import decimal
import functools
import importlib
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from phantom.venues.perps.base import PerpVenueError
from phantom.venues.perps.ccxt_models import CcxtVenueConfig


def load_ccxt() -> Any:
    """The ccxt module (untyped: see the module docstring)."""
    return importlib.import_module("ccxt")


def rehost(url: str, base: str) -> str:
    """``url`` with its scheme and host replaced by ``base``'s (the path is kept)."""
    b, u = urlsplit(base), urlsplit(url)
    return urlunsplit((b.scheme, b.netloc, (b.path.rstrip("/") + u.path), u.query, u.fragment))


def _urls(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node] if node.startswith("http") else []
    if isinstance(node, dict):
        return [u for v in node.values() for u in _urls(v)]
    return []


def _keep_error_mapping(exchange: Any, base: str) -> None:
    """ccxt picks some venues' error tables by the request URL's host (Binance: ``fapi.`` for
    USD-M futures, so ``-2019`` is ``InsufficientFunds``); a rehosted URL would fall back to the
    generic table. Map each rehosted URL back to the original it replaces before the lookup."""
    lookup = getattr(exchange, "get_exceptions_by_url", None)
    if lookup is None:
        return
    pairs = sorted(
        {(rehost(u, base), u) for u in _urls(exchange.urls["api"])},
        key=lambda p: len(p[0]),
        reverse=True,
    )

    def by_original_url(url: str | None, exact_or_broad: str) -> Any:
        for local, original in pairs:
            if url is not None and url.startswith(local):
                return lookup(original + url[len(local) :], exact_or_broad)
        return lookup(url, exact_or_broad)

    exchange.get_exceptions_by_url = by_original_url


def _rehost_tree(node: Any, base: str) -> Any:
    if isinstance(node, str):
        return rehost(node, base) if node.startswith("http") else node
    if isinstance(node, dict):
        return {k: _rehost_tree(v, base) for k, v in node.items()}
    return node


def quiet_ccxt_logs() -> None:
    """ccxt logs every request and response at DEBUG with its headers (an exchange API key
    rides in one): never let that reach a log, whatever the root level."""
    ccxt_log = logging.getLogger("ccxt")
    if ccxt_log.getEffectiveLevel() < logging.INFO:
        ccxt_log.setLevel(logging.INFO)


def make_exchange(config: CcxtVenueConfig, ccxt: Any | None = None) -> Any:
    """Build the ccxt exchange object the configuration names."""
    quiet_ccxt_logs()
    module = ccxt if ccxt is not None else load_ccxt()
    cls = getattr(module, config.exchange_id, None)
    if cls is None:
        raise PerpVenueError(f"setting exchange_id: ccxt has no exchange {config.exchange_id!r}")
    options: dict[str, Any] = {"defaultType": "swap"}
    if config.exchange_id == "hyperliquid":
        options["fetchMarkets"] = {"types": ["swap"]}
        options["builderFee"] = config.builder_fee
        options["refSet"] = True  # never send ccxt's referral code
    params: dict[str, Any] = {"enableRateLimit": config.rate_limit, "timeout": config.timeout_ms}
    params["options"] = options
    for name, key in (("api_key", "apiKey"), ("secret", "secret"), ("password", "password")):
        value = getattr(config, name)
        if value is not None:
            params[key] = value.get_secret_value()
    if config.private_key is not None:
        params["privateKey"] = config.private_key.get_secret_value()
    if config.wallet_address is not None:
        params["walletAddress"] = config.wallet_address
    exchange = cls(params)
    if config.sandbox:
        exchange.set_sandbox_mode(True)
    if config.api_url is not None:
        _keep_error_mapping(exchange, config.api_url)
        exchange.urls["api"] = _rehost_tree(exchange.urls["api"], config.api_url)
    return exchange


class DecimalGuard:
    """A ccxt exchange whose every method runs in a private copy of the thread's ``Decimal``
    context. ccxt sets the context's rounding (``ROUND_HALF_UP``) and an ``Underflow`` trap while
    it formats amounts, for the whole thread: without the guard every later ``Decimal``
    operation of the process (the ledger's and the fill builder's USD figures, the notes) would
    round differently after the first order. Attributes pass through unchanged."""

    def __init__(self, exchange: Any) -> None:
        object.__setattr__(self, "_exchange", exchange)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._exchange, name)
        if not callable(value) or isinstance(value, type):
            return value

        @functools.wraps(value)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            with decimal.localcontext():
                return value(*args, **kwargs)

        return guarded

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._exchange, name, value)
