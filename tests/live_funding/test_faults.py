"""When the venue misbehaves mid-order: an order it refused outright (503) never traded and is
rejected; an order whose reply is lost is found by its client id and booked once; one the venue
cannot even be asked about stays pending (the engine waits) and is booked at the next poll that
can ask; the ledger matches the venue throughout."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from phantom.core.token import Token
from phantom.engines.funding.events import PerpIntent, PerpSide
from phantom.localsolana.world import LocalSolanaWorld
from phantom.portfolio.models import IntentStatus
from phantom.venues.solana.keystore import SolanaSigner

from .funding_support import start_exchange
from .test_restart import _open, _perp_units_booked

WSOL = Token("WSOL", 9)


def _order(intent_id: str, side: PerpSide, reduce_only: bool) -> PerpIntent:
    return PerpIntent(intent_id, "funding", 0.0, "SOL/USDC:USDC", WSOL, side, 10**9, reduce_only,
                      Decimal(150), Decimal(150), Decimal("0.075"), "fault test")  # fmt: skip


def test_a_lost_reply_is_found_by_client_id_and_an_unreachable_venue_waits(
    world: LocalSolanaWorld, tmp_path: Path, signer: SolanaSigner
) -> None:
    server = start_exchange(world, "0")
    run = _open(world, tmp_path, signer, server.url)
    try:
        server.faults.lost_order_replies = 1  # the venue trades, the reply never arrives
        opened = run.book.perp(_order("funding-live-s1-lost-1", PerpSide.SELL, False))
        assert opened.ok and opened.filled == 10**9 and server.exchange.position() == -(10**9)
        assert run.ledger.intent(opened.intent_id).status is IntentStatus.FILLED  # type: ignore[union-attr]
        assert _perp_units_booked(run) == 0

        server.faults.unavailable = 1  # refused before the matching engine saw it
        refused = run.book.perp(_order("funding-live-s1-503", PerpSide.SELL, False))
        assert not refused.ok and server.exchange.position() == -(10**9)
        assert run.ledger.intent(refused.intent_id).status is IntentStatus.REJECTED  # type: ignore[union-attr]

        server.faults.lost_order_replies = 1
        server.faults.outage_after_lost_reply = 1  # ...and it cannot be asked right away
        intent = _order("funding-live-s1-lost-2", PerpSide.BUY, True)
        closing = run.book.perp(intent)
        assert closing.reason.startswith("unresolved") and server.exchange.position() == 0
        assert run.ledger.intent(intent.intent_id).status is IntentStatus.PENDING  # type: ignore[union-attr]
        run.leg.unresolved[intent.intent_id] = intent
        (resolved,) = run.leg.retry_unresolved()
        assert resolved.ok and resolved.filled == 10**9 and not run.leg.unresolved
        assert run.ledger.intent(intent.intent_id).status is IntentStatus.FILLED  # type: ignore[union-attr]
        assert _perp_units_booked(run) == 0 and run.ledger.verify().ok
        fills = [f.intent_id for f in run.ledger.fills("funding")]
        assert fills.count(intent.intent_id) == fills.count(opened.intent_id) == 1
    finally:
        run.close()
        server.stop()
