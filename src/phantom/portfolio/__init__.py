"""The ledger (SQLite journal of intents and fills, per-engine vaults) and the capital manager.

Import from the submodules (``phantom.portfolio.ledger``, ``.capital``, ``.models``, ``.errors``,
``.codec``); this package module stays empty so importing one part never loads the others.
"""
