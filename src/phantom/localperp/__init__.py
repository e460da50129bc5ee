"""A local perpetual-futures exchange for tests and demos: Binance USD-M's REST API (the subset
ccxt uses) on 127.0.0.1, with HMAC-signed requests, one market and one account whose positions,
margin, funding and liquidations are :class:`~phantom.venues.perps.paper.PaperPerpVenue`'s.

``python -m phantom.localperp --help`` runs one on its own (see ``docs/perp-venues.md``).
"""
