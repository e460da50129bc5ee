"""Errors the ledger raises. A rejected operation never changes the database."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every ledger error."""


class SchemaMismatch(LedgerError):
    """The database was created by another schema version or with another cash-token set."""


class UnknownVault(LedgerError):
    """An operation names an engine that has no vault."""


class UnknownIntent(LedgerError):
    """A fill or a resolution names an intent that was never journaled."""


class DuplicateIntent(LedgerError):
    """An intent id was journaled twice."""


class DuplicateFill(LedgerError):
    """A fill repeats a fill id, or is a second fill for the same intent."""


class IntentClosed(LedgerError):
    """The intent already has an outcome (rejected or abandoned) and accepts no other."""


class FillMismatch(LedgerError):
    """A fill does not belong to its intent (another engine)."""


class InsufficientBalance(LedgerError):
    """Booking the operation would make a vault balance negative."""


class InsufficientCapital(LedgerError):
    """A reservation asks for more than a vault has free."""


class MissingPrice(LedgerError):
    """A USD price needed for position accounting or marking was not given."""


class TokenConflict(LedgerError):
    """Two tokens share (chain, symbol) but differ in decimals or address."""


class CodecError(LedgerError, ValueError):
    """A stored record does not decode, or a value cannot be encoded exactly."""
