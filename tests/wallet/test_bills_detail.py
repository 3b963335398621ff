"""What the bills' detail screens read beyond the lines: the balance right after a line
(``bills.balance_after``) and the transfers waiting for the recipient
(``bills.waiting_transfers``: pending, arrived and not expired ones sent to the person, newest
first; not a bill line of theirs until accepted)."""
from __future__ import annotations

import pytest

from tests.wallet.helpers import PIN, make_person, wallet_balance
from tests.wallet.mixed import ALICE as MIXED_ALICE, BOB as MIXED_BOB, mixed_bills
from wallet import errors
from wallet.services import bills, transfers

ALICE, BOB, CAROL = 301, 302, 303


async def send(ctx, key, sender, recipient, amount, **kw):
    return await transfers.send(ctx, key=key, sender_id=sender, recipient_id=recipient, amount=amount, pin=PIN, **kw)


async def test_only_pending_arrived_unexpired_transfers_to_me_newest_first(ctx):
    await make_person(ctx, ALICE, balance=10_000)
    await make_person(ctx, BOB)
    await make_person(ctx, CAROL, balance=10_000)
    first = await send(ctx, "a1", ALICE, BOB, 100, note="早饭")
    ctx.clock.advance(minutes=1)
    second = await send(ctx, "c1", CAROL, BOB, 200)
    ctx.clock.advance(minutes=1)
    await send(ctx, "a2", ALICE, BOB, 300, delay_seconds=2 * 3600)  # not arrived: Bob does not see it yet
    returned = await send(ctx, "a3", ALICE, BOB, 400)
    await transfers.give_back(ctx, key="g3", user_id=BOB, transfer_id=returned["transfer_id"])
    await send(ctx, "b1", ALICE, CAROL, 500)  # someone else's

    waiting = await bills.waiting_transfers(ctx, BOB)
    assert [(w["transfer_id"], w["amount"], w["sender_id"]) for w in waiting] == [
        (second["transfer_id"], 200, CAROL), (first["transfer_id"], 100, ALICE)]
    assert waiting[1]["note"] == "早饭" and waiting[1]["sender_name"] == f"User{ALICE}"
    assert waiting[1]["time"].endswith("+08:00")
    assert (await bills.bills(ctx, BOB))["total"] == 0  # none of it is Bob's bill yet

    ctx.clock.advance(hours=3)  # the delayed one has arrived
    assert [w["amount"] for w in await bills.waiting_transfers(ctx, BOB)] == [300, 200, 100]
    await transfers.accept(ctx, key="acc", user_id=BOB, transfer_id=first["transfer_id"])
    assert [w["amount"] for w in await bills.waiting_transfers(ctx, BOB)] == [300, 200]
    ctx.clock.advance(hours=24)  # expired (the sweep has not run yet): no longer offered
    assert await bills.waiting_transfers(ctx, BOB) == []
    await transfers.expire_due(ctx)


async def test_someone_without_a_wallet_has_nothing_waiting(ctx):
    with pytest.raises(errors.WalletNotOpen):
        await bills.waiting_transfers(ctx, 999)


async def test_balance_after_each_line_runs_from_zero_to_the_balance(ctx):
    await mixed_bills(ctx)
    lines = (await bills.bills(ctx, MIXED_ALICE, per_page=100))["items"][::-1]  # oldest first
    running = 0
    for line in lines:
        running += line["amount"]
        assert await bills.balance_after(ctx, MIXED_ALICE, line["journal_id"]) == running
    assert running == await wallet_balance(ctx, MIXED_ALICE)
    bob_only = next(ln for ln in (await bills.bills(ctx, MIXED_BOB, per_page=100))["items"]
                    if ln["kind"] == "transfer_accept")
    with pytest.raises(errors.BillNotFound):  # not Alice's
        await bills.balance_after(ctx, MIXED_ALICE, bob_only["journal_id"])
