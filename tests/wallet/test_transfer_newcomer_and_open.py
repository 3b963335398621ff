"""Transfers to someone without a wallet yet (the money waits for them) and transfers for
whoever accepts first (inline cards): the rules in wallet.services.transfers, on the real DB."""
from __future__ import annotations

import asyncio

import pytest

from tests.wallet.helpers import PIN, audit_failures, make_person, wallet_balance
from wallet import errors
from wallet.services import people, transfers


@pytest.fixture
async def alice(ctx):
    await make_person(ctx, 1, balance=10_000)
    return 1


async def test_newcomer_accepts_once_the_wallet_is_open(ctx, alice):
    with pytest.raises(errors.WalletNotOpen):  # without to_newcomer: refused as before
        await transfers.send(ctx, key="t0", sender_id=1, recipient_id=7, amount=500, pin=PIN)
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=7, amount=500, pin=PIN,
                             to_newcomer=True, recipient_name="Newbie")
    assert t["recipient_waiting"] is True and t["status"] == "pending"
    assert await wallet_balance(ctx, 1) == 9_500
    profile = await people.profile(ctx, 7)
    assert profile["first_name"] == "Newbie" and not profile["verified"] and not profile["pin_set"]
    with pytest.raises(errors.NotVerified):  # not before the wallet is open
        await transfers.accept(ctx, key="a0", user_id=7, transfer_id=t["transfer_id"])
    again = await transfers.send(ctx, key="t2", sender_id=1, recipient_id=7, amount=100, pin=PIN,
                                 to_newcomer=True, recipient_name="Newbie")  # the placeholder is reused
    assert again["recipient_waiting"] is True
    await make_person(ctx, 7)  # opens the wallet: the placeholder becomes the person
    done = await transfers.accept(ctx, key="a1", user_id=7, transfer_id=t["transfer_id"])
    assert done["status"] == "accepted" and await wallet_balance(ctx, 7) == 500
    ok = await transfers.send(ctx, key="t3", sender_id=1, recipient_id=7, amount=100, pin=PIN, to_newcomer=True)
    assert "recipient_waiting" not in ok  # an open wallet: nothing waits
    assert await audit_failures(ctx) == ""


async def test_newcomer_never_opens_and_is_refunded_once(ctx, alice):
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=8, amount=700, pin=PIN, to_newcomer=True)
    ctx.clock.advance(seconds=ctx.rules.transfer_expiry_seconds + 1)
    first, second = await transfers.expire_due(ctx), await transfers.expire_due(ctx)
    assert [r["transfer_id"] for r in first] == [t["transfer_id"]] and second == []
    assert await wallet_balance(ctx, 1) == 10_000
    assert await audit_failures(ctx) == ""


async def test_open_transfer_goes_to_the_first_taker_only(ctx, alice):
    for uid in (2, 3, 4):
        await make_person(ctx, uid)
    await make_person(ctx, 5, verified=False)
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=None, amount=2_000, pin=PIN, note="for you")
    tid = t["transfer_id"]
    assert t["recipient_id"] is None and await wallet_balance(ctx, 1) == 8_000
    with pytest.raises(errors.NotYourTransfer):  # not the sender
        await transfers.take(ctx, key="s", user_id=1, transfer_id=tid)
    with pytest.raises(errors.NotVerified):  # nor someone whose wallet is not open; it stays untaken
        await transfers.take(ctx, key="n", user_id=5, transfer_id=tid)
    with pytest.raises(errors.WalletNotOpen):
        await transfers.take(ctx, key="x", user_id=99, transfer_id=tid)
    results = await asyncio.gather(*(transfers.take(ctx, key=f"k{u}", user_id=u, transfer_id=tid)
                                     for u in (2, 3, 4)), return_exceptions=True)
    won = [r for r in results if isinstance(r, dict)]
    assert len(won) == 1 and all(isinstance(r, errors.NotYourTransfer) for r in results if r not in won)
    winner = won[0]["recipient_id"]
    assert won[0]["status"] == "accepted" and await wallet_balance(ctx, winner) == 2_000
    assert sum([await wallet_balance(ctx, u) for u in (2, 3, 4)]) == 2_000
    # the winner's press delivered twice replays; the sender cannot revoke it any more
    assert await transfers.take(ctx, key=f"k{winner}", user_id=winner, transfer_id=tid) == won[0]
    with pytest.raises(errors.TransferNotPending):
        await transfers.revoke(ctx, key="r", user_id=1, transfer_id=tid)
    seen = await transfers.get(ctx, tid, viewer_id=winner)
    assert seen["recipient_id"] == winner
    assert await audit_failures(ctx) == ""


async def test_open_transfer_revoked_by_its_sender_or_refunded(ctx, alice):
    await make_person(ctx, 2)
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=None, amount=300, pin=PIN)
    with pytest.raises(errors.NotYourTransfer):
        await transfers.revoke(ctx, key="r2", user_id=2, transfer_id=t["transfer_id"])
    done = await transfers.revoke(ctx, key="r1", user_id=1, transfer_id=t["transfer_id"])
    assert done["status"] == "revoked" and await wallet_balance(ctx, 1) == 10_000
    with pytest.raises(errors.TransferNotPending):
        await transfers.take(ctx, key="k2", user_id=2, transfer_id=t["transfer_id"])
    left = await transfers.send(ctx, key="t2", sender_id=1, recipient_id=None, amount=400, pin=PIN)
    ctx.clock.advance(seconds=ctx.rules.transfer_expiry_seconds + 1)
    assert [r["transfer_id"] for r in await transfers.expire_due(ctx)] == [left["transfer_id"]]
    assert await wallet_balance(ctx, 1) == 10_000
    assert await audit_failures(ctx) == ""


async def test_delayed_open_transfer_cannot_be_taken_early(ctx, alice):
    await make_person(ctx, 2)
    delay = ctx.rules.transfer_delay_choices_seconds[0]
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=None, amount=300, pin=PIN, delay_seconds=delay)
    with pytest.raises(errors.TransferNotArrived):
        await transfers.take(ctx, key="k", user_id=2, transfer_id=t["transfer_id"])
    ctx.clock.advance(seconds=delay + 1)
    assert (await transfers.take(ctx, key="k2", user_id=2, transfer_id=t["transfer_id"]))["status"] == "accepted"
