"""Building the ccxt exchange object a :class:`CcxtVenueConfig` describes.

ccxt ships no type information, so it is imported dynamically (``load_ccxt``) and handled as
``Any`` here; :mod:`phantom.venues.perps.ccxt_adapter` validates everything it returns.
"""

from __future__ import annotations

import importlib
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


def _rehost_tree(node: Any, base: str) -> Any:
    if isinstance(node, str):
        return rehost(node, base) if node.startswith("http") else node
    if isinstance(node, dict):
        return {k: _rehost_tree(v, base) for k, v in node.items()}
    return node


def make_exchange(config: CcxtVenueConfig, ccxt: Any | None = None) -> Any:
    """Build the ccxt exchange object the configuration names."""
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
        exchange.urls["api"] = _rehost_tree(exchange.urls["api"], config.api_url)
    return exchange
