"""The admins' list of held payments (``risk_holds.review``, /risk): each held payment with the
rules of the decision that held it, oldest first; an ended hold leaves the list."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.wallet.helpers import PIN, make_person, set_now
from tests.wallet.risk.cases import SETTINGS as S
from wallet.services import risk_holds, transfers

ADMIN, ALICE, BOB = 900, 1, 2
HOLDING = S.model_copy(update={"thresholds": S.thresholds.model_copy(
    update={"ask": 25, "hold": S.velocity.count.weight, "freeze": 10_000})})


async def test_review_lists_what_is_held_with_why(ctx):
    for uid in (ALICE, BOB, ADMIN):
        await make_person(ctx, uid, balance=100_000)
    ctx.admin_ids = (ADMIN,)
    set_now(ctx, datetime(2026, 12, 3, 4, 0, tzinfo=timezone.utc))
    assert await risk_holds.review(ctx) == []
    ctx.risk = HOLDING
    for i in range(S.velocity.count.over):
        await transfers.send(ctx, key=f"ok{i}", sender_id=ALICE, recipient_id=BOB, amount=100, pin=PIN)
        ctx.clock.advance(seconds=5)
    first = await transfers.send(ctx, key="h1", sender_id=ALICE, recipient_id=BOB, amount=7_000, pin=PIN)
    second = await transfers.send(ctx, key="h2", sender_id=ALICE, recipient_id=BOB, amount=3_000, pin=PIN)
    listed = await risk_holds.review(ctx)
    assert [h["hold_id"] for h in listed] == [first["hold_id"], second["hold_id"]]
    assert all(h["rules"] == ["velocity_count"] and h["status"] == "held" for h in listed)
    assert {k: v for k, v in listed[0].items() if k != "rules"} == {k: v for k, v in first.items() if k != "held"}
    assert len(await risk_holds.review(ctx, limit=1)) == 1
    await risk_holds.give_back(ctx, key="back", hold_id=first["hold_id"], by_id=ADMIN)
    assert [h["hold_id"] for h in await risk_holds.review(ctx)] == [second["hold_id"]]
