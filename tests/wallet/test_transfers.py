"""Transfers: escrow until accepted, return, refund at expiry, delayed arrival with revoke."""
from __future__ import annotations

import pytest

from tests.wallet.helpers import PIN, make_person, wallet_balance
from wallet import errors
from wallet.services import transfers


@pytest.fixture
async def alice_bob(ctx):
    await make_person(ctx, 1, balance=10_000)
    await make_person(ctx, 2)
    return 1, 2


async def test_send_then_accept_moves_money_through_escrow(ctx, alice_bob):
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=2_500, pin=PIN, note="lunch")
    assert t["status"] == "pending" and t["amount"] == 2_500
    assert await wallet_balance(ctx, 1) == 7_500
    assert await wallet_balance(ctx, 2) == 0
    done = await transfers.accept(ctx, key="a1", user_id=2, transfer_id=t["transfer_id"])
    assert done["status"] == "accepted"
    assert await wallet_balance(ctx, 2) == 2_500


async def test_only_the_recipient_may_accept(ctx, alice_bob):
    await make_person(ctx, 3)
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=100, pin=PIN)
    for who in (1, 3):
        with pytest.raises(errors.NotYourTransfer):
            await transfers.accept(ctx, key=f"a{who}", user_id=who, transfer_id=t["transfer_id"])


async def test_accept_twice_is_refused_and_replay_is_harmless(ctx, alice_bob):
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=100, pin=PIN)
    first = await transfers.accept(ctx, key="a1", user_id=2, transfer_id=t["transfer_id"])
    assert await transfers.accept(ctx, key="a1", user_id=2, transfer_id=t["transfer_id"]) == first
    with pytest.raises(errors.TransferNotPending) as e:
        await transfers.accept(ctx, key="a2", user_id=2, transfer_id=t["transfer_id"])
    assert e.value.status == "accepted"
    assert await wallet_balance(ctx, 2) == 100


async def test_return_gives_the_money_back(ctx, alice_bob):
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=300, pin=PIN)
    await transfers.give_back(ctx, key="r1", user_id=2, transfer_id=t["transfer_id"])
    assert await wallet_balance(ctx, 1) == 10_000
    with pytest.raises(errors.TransferNotPending):
        await transfers.accept(ctx, key="a1", user_id=2, transfer_id=t["transfer_id"])


async def test_expiry_refunds_exactly_once_even_with_two_sweeps(ctx, alice_bob):
    import asyncio

    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=400, pin=PIN)
    ctx.clock.advance(hours=23, minutes=59)
    assert await transfers.expire_due(ctx) == []
    ctx.clock.advance(minutes=1)
    with pytest.raises(errors.TransferNotPending):
        await transfers.accept(ctx, key="late", user_id=2, transfer_id=t["transfer_id"])
    results = await asyncio.gather(transfers.expire_due(ctx), transfers.expire_due(ctx))
    assert sum(len(r) for r in results) == 1
    assert await wallet_balance(ctx, 1) == 10_000


async def test_delayed_arrival_and_revoke(ctx, alice_bob):
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=500, pin=PIN, delay_seconds=7200)
    with pytest.raises(errors.TransferNotArrived):
        await transfers.accept(ctx, key="a1", user_id=2, transfer_id=t["transfer_id"])
    with pytest.raises(errors.NotYourTransfer):
        await transfers.revoke(ctx, key="x", user_id=2, transfer_id=t["transfer_id"])
    await transfers.revoke(ctx, key="r1", user_id=1, transfer_id=t["transfer_id"])
    assert await wallet_balance(ctx, 1) == 10_000
    t2 = await transfers.send(ctx, key="t2", sender_id=1, recipient_id=2, amount=500, pin=PIN, delay_seconds=7200)
    ctx.clock.advance(hours=2)
    with pytest.raises(errors.TransferNotPending):
        await transfers.revoke(ctx, key="r2", user_id=1, transfer_id=t2["transfer_id"])
    await transfers.accept(ctx, key="a2", user_id=2, transfer_id=t2["transfer_id"])
    assert await wallet_balance(ctx, 2) == 500


async def test_refusals(ctx, alice_bob):
    await make_person(ctx, 9, verified=False)
    with pytest.raises(errors.TransferToSelf):
        await transfers.send(ctx, key="s", sender_id=1, recipient_id=1, amount=1, pin=PIN)
    with pytest.raises(errors.InsufficientBalance) as e:
        await transfers.send(ctx, key="big", sender_id=1, recipient_id=2, amount=10_001, pin=PIN)
    assert (e.value.needed, e.value.available) == (10_001, 10_000)
    with pytest.raises(errors.NotVerified):
        await transfers.send(ctx, key="unv", sender_id=1, recipient_id=9, amount=1, pin=PIN)
    with pytest.raises(errors.PinWrong):
        await transfers.send(ctx, key="pin", sender_id=1, recipient_id=2, amount=1, pin="000111")
    with pytest.raises(errors.InvalidDelay):
        await transfers.send(ctx, key="d", sender_id=1, recipient_id=2, amount=1, pin=PIN, delay_seconds=60)
    with pytest.raises(errors.WalletNotOpen):
        await transfers.send(ctx, key="nobody", sender_id=1, recipient_id=424242, amount=1, pin=PIN)
    assert await wallet_balance(ctx, 1) == 10_000


async def test_frozen_sender_cannot_send_but_frozen_recipient_receives(ctx, alice_bob):
    from wallet.services import people

    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=100, pin=PIN)
    await people.freeze(ctx, key="f2", user_id=2)
    await transfers.accept(ctx, key="a1", user_id=2, transfer_id=t["transfer_id"])
    await people.freeze(ctx, key="f1", user_id=1)
    with pytest.raises(errors.AccountFrozen):
        await transfers.send(ctx, key="t2", sender_id=1, recipient_id=2, amount=100, pin=PIN)


async def test_same_key_other_payload_is_refused(ctx, alice_bob):
    await transfers.send(ctx, key="k", sender_id=1, recipient_id=2, amount=100, pin=PIN)
    with pytest.raises(errors.IdempotencyConflict):
        await transfers.send(ctx, key="k", sender_id=1, recipient_id=2, amount=200, pin=PIN)
    assert await wallet_balance(ctx, 1) == 9_900
