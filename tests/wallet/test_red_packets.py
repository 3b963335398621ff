"""Red packets on the real database: kinds, refusals, claims, expiry refunds, details."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from tests.wallet.helpers import PIN, make_person, wallet_balance
from wallet import errors
from wallet.models import journal, red_packet_shares
from wallet.services import red_packets as rp
from wallet.uow import read

SENDER, BOB, CAROL, DAVE = 1, 2, 3, 4


async def escrow_total(ctx):
    async def body(conn):
        from wallet.models import accounts
        return (await conn.execute(select(func.coalesce(func.sum(accounts.c.balance), 0))
                                   .where(accounts.c.code == "redpacket_escrow"))).scalar_one()
    return await read(ctx, body)


async def shares_of(ctx, packet_id):
    async def body(conn):
        return list((await conn.execute(select(red_packet_shares.c.amount)
                                        .where(red_packet_shares.c.packet_id == packet_id)
                                        .order_by(red_packet_shares.c.seq))).scalars())
    return await read(ctx, body)


@pytest.fixture
async def group(ctx):
    await make_person(ctx, SENDER, balance=50_000)
    for uid in (BOB, CAROL, DAVE):
        await make_person(ctx, uid)
    return ctx


async def test_lucky_packet_is_split_and_claimed(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="lucky", amount=1_000, shares=3, pin=PIN,
                        chat_id=-100, greeting="恭喜发财")
    assert (p["kind"], p["total"], p["shares"], p["status"], p["per_share"]) == ("lucky", 1_000, 3, "open", None)
    assert p["greeting"] == "恭喜发财" and p["chat_id"] == -100 and p["remaining_amount"] == 1_000
    assert "shares_drawn" not in p  # the split is never shown before it is claimed
    assert await wallet_balance(ctx, SENDER) == 49_000
    assert await escrow_total(ctx) == 1_000
    split = await shares_of(ctx, p["packet_id"])
    assert sum(split) == 1_000 and len(split) == 3 and min(split) >= 1

    got = []
    for i, uid in enumerate((BOB, CAROL, DAVE), 1):
        c = await rp.claim(ctx, key=f"cl{uid}", packet_id=p["packet_id"], user_id=uid)
        assert c["seq"] == i and c["amount"] == split[i - 1] and c["last"] == (i == 3)
        assert c["claimed_count"] == i and c["claimer_id"] == uid
        got.append(c["amount"])
        assert await wallet_balance(ctx, uid) == c["amount"]
    assert c["status"] == "finished" and c["remaining_amount"] == 0 and c["closed_at"] == ctx.now().isoformat()
    assert await escrow_total(ctx) == 0
    with pytest.raises(errors.RedPacketEmpty):
        await rp.claim(ctx, key="late", packet_id=p["packet_id"], user_id=SENDER)


async def test_equal_packet(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="equal", amount=250, shares=4, pin=PIN)
    assert (p["total"], p["per_share"], p["shares"]) == (1_000, 250, 4)
    assert await shares_of(ctx, p["packet_id"]) == [250] * 4
    c = await rp.claim(ctx, key="b", packet_id=p["packet_id"], user_id=BOB)
    assert c["amount"] == 250 and not c["last"] and c["status"] == "open" and c["remaining_count"] == 3
    assert await wallet_balance(ctx, SENDER) == 49_000


async def test_sender_may_claim_own_group_packet(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="equal", amount=100, shares=2, pin=PIN)
    c = await rp.claim(ctx, key="self", packet_id=p["packet_id"], user_id=SENDER)
    assert c["amount"] == 100
    assert await wallet_balance(ctx, SENDER) == 49_900


async def test_exclusive_packet_only_for_its_member(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="exclusive", amount=888, pin=PIN,
                        exclusive_user_id=BOB, chat_id=-100)
    assert (p["shares"], p["total"], p["exclusive_user_id"]) == (1, 888, BOB)
    for who in (CAROL, SENDER):
        with pytest.raises(errors.NotForYou):
            await rp.claim(ctx, key=f"x{who}", packet_id=p["packet_id"], user_id=who)
    c = await rp.claim(ctx, key="b", packet_id=p["packet_id"], user_id=BOB)
    assert c["amount"] == 888 and c["last"] and c["status"] == "finished"
    with pytest.raises(errors.AlreadyClaimed) as e:
        await rp.claim(ctx, key="b2", packet_id=p["packet_id"], user_id=BOB)
    assert e.value.amount == 888


async def test_exclusive_refusals(group):
    ctx = group
    await make_person(ctx, 9, verified=False)
    with pytest.raises(errors.RedPacketInvalid) as e:
        await rp.create(ctx, key="a", sender_id=SENDER, kind="exclusive", amount=100, pin=PIN)
    assert e.value.reason == "exclusive_needs_user"
    with pytest.raises(errors.RedPacketInvalid) as e:
        await rp.create(ctx, key="b", sender_id=SENDER, kind="exclusive", amount=100, pin=PIN,
                        exclusive_user_id=SENDER)
    assert e.value.reason == "exclusive_self"
    with pytest.raises(errors.RedPacketInvalid) as e:
        await rp.create(ctx, key="c", sender_id=SENDER, kind="exclusive", amount=100, shares=2, pin=PIN,
                        exclusive_user_id=BOB)
    assert (e.value.reason, e.value.limit) == ("too_many_shares", 1)
    with pytest.raises(errors.NotVerified):
        await rp.create(ctx, key="d", sender_id=SENDER, kind="exclusive", amount=100, pin=PIN, exclusive_user_id=9)
    with pytest.raises(errors.WalletNotOpen):
        await rp.create(ctx, key="e", sender_id=SENDER, kind="exclusive", amount=100, pin=PIN,
                        exclusive_user_id=424242)
    assert await wallet_balance(ctx, SENDER) == 50_000


@pytest.mark.parametrize("kind, amount, shares, reason, limit", [
    ("lucky", 20_001, 5, "total_too_large", 20_000),
    ("equal", 201, 100, "total_too_large", 20_000),
    ("lucky", 1_000, 101, "too_many_shares", 100),
    ("lucky", 1_000, 0, "too_few_shares", 1),
    ("lucky", 99, 100, "share_too_small", 1),
    ("bogus", 100, 1, "kind", 0),
])
async def test_rule_refusals(group, kind, amount, shares, reason, limit):
    ctx = group
    with pytest.raises(errors.RedPacketInvalid) as e:
        await rp.create(ctx, key="k", sender_id=SENDER, kind=kind, amount=amount, shares=shares, pin=PIN)
    assert (e.value.reason, e.value.limit) == (reason, limit)
    assert await wallet_balance(ctx, SENDER) == 50_000


async def test_rule_edges_are_allowed(group):
    ctx = group
    await rp.create(ctx, key="max", sender_id=SENDER, kind="lucky", amount=20_000, shares=100, pin=PIN)
    await rp.create(ctx, key="min", sender_id=SENDER, kind="lucky", amount=100, shares=100, pin=PIN)
    p = await rp.create(ctx, key="eq", sender_id=SENDER, kind="equal", amount=200, shares=100, pin=PIN)
    assert p["total"] == 20_000
    assert await wallet_balance(ctx, SENDER) == 50_000 - 40_100


async def test_other_refusals(group):
    ctx = group
    await make_person(ctx, 9, verified=False)
    for amount in (0, -5):
        with pytest.raises(errors.InvalidAmount):
            await rp.create(ctx, key="z", sender_id=SENDER, kind="lucky", amount=amount, shares=1, pin=PIN)
    with pytest.raises(errors.RedPacketInvalid) as e:
        await rp.create(ctx, key="k", sender_id=SENDER, kind="lucky", amount=100, shares=1, pin=PIN,
                        exclusive_user_id=BOB)
    assert e.value.reason == "kind"
    with pytest.raises(errors.PinWrong):
        await rp.create(ctx, key="pin", sender_id=SENDER, kind="lucky", amount=100, shares=1, pin="000111")
    with pytest.raises(errors.InsufficientBalance):
        await rp.create(ctx, key="rich", sender_id=BOB, kind="lucky", amount=100, shares=1, pin=PIN)
    with pytest.raises(errors.NotVerified):
        await rp.create(ctx, key="unv", sender_id=9, kind="lucky", amount=100, shares=1, pin="", pin_checked=True)
    # refusals on claim
    p = await rp.create(ctx, key="ok", sender_id=SENDER, kind="lucky", amount=100, shares=2, pin=PIN)
    with pytest.raises(errors.NotVerified):
        await rp.claim(ctx, key="c9", packet_id=p["packet_id"], user_id=9)
    with pytest.raises(errors.WalletNotOpen):
        await rp.claim(ctx, key="cx", packet_id=p["packet_id"], user_id=424242)
    with pytest.raises(errors.RedPacketNotFound):
        await rp.claim(ctx, key="c404", packet_id=999_999, user_id=BOB)
    with pytest.raises(errors.RedPacketNotFound):
        await rp.details(ctx, 999_999)
    assert await wallet_balance(ctx, SENDER) == 49_900


async def test_frozen_sender_cannot_send_but_frozen_claimer_receives(group):
    from wallet.services import people

    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="equal", amount=100, shares=2, pin=PIN)
    await people.freeze(ctx, key="f2", user_id=BOB)
    assert (await rp.claim(ctx, key="b", packet_id=p["packet_id"], user_id=BOB))["amount"] == 100
    await people.freeze(ctx, key="f1", user_id=SENDER)
    with pytest.raises(errors.AccountFrozen):
        await rp.create(ctx, key="c2", sender_id=SENDER, kind="lucky", amount=100, shares=1, pin=PIN)


async def test_daily_cap_applies(ctx):
    from tests.conftest import make_context
    from wallet.bootstrap import bootstrap

    tight = make_context(ctx.engine, daily_cap_verified=1_500)
    tight.clock = ctx.clock
    await bootstrap(tight)
    await make_person(tight, SENDER, balance=5_000)
    await rp.create(tight, key="a", sender_id=SENDER, kind="lucky", amount=1_000, shares=2, pin=PIN)
    with pytest.raises(errors.LimitExceeded) as e:
        await rp.create(tight, key="b", sender_id=SENDER, kind="lucky", amount=600, shares=2, pin=PIN)
    assert (e.value.period, e.value.used, e.value.requested) == ("day", 1_000, 600)


async def test_claim_twice_is_refused_with_the_amount(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="lucky", amount=1_000, shares=3, pin=PIN)
    first = await rp.claim(ctx, key="b1", packet_id=p["packet_id"], user_id=BOB)
    with pytest.raises(errors.AlreadyClaimed) as e:
        await rp.claim(ctx, key="b2", packet_id=p["packet_id"], user_id=BOB)
    assert (e.value.packet_id, e.value.amount) == (p["packet_id"], first["amount"])
    assert await wallet_balance(ctx, BOB) == first["amount"]


async def test_idempotent_replay_of_create_and_claim(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="lucky", amount=1_000, shares=3, pin=PIN)
    again = await rp.create(ctx, key="c1", sender_id=SENDER, kind="lucky", amount=1_000, shares=3, pin=PIN)
    assert again == p
    assert await wallet_balance(ctx, SENDER) == 49_000
    with pytest.raises(errors.IdempotencyConflict):
        await rp.create(ctx, key="c1", sender_id=SENDER, kind="lucky", amount=2_000, shares=3, pin=PIN)
    c = await rp.claim(ctx, key="b1", packet_id=p["packet_id"], user_id=BOB)
    assert await rp.claim(ctx, key="b1", packet_id=p["packet_id"], user_id=BOB) == c
    assert await wallet_balance(ctx, BOB) == c["amount"]
    # the same key from someone else is their own key: Carol's claim, never Bob's answer replayed
    carol = await rp.claim(ctx, key="b1", packet_id=p["packet_id"], user_id=CAROL)
    assert carol["claimer_id"] == CAROL and carol["seq"] != c["seq"]
    assert await wallet_balance(ctx, CAROL) == carol["amount"]
    # a double tap: the same key at the same moment
    p2 = await rp.create(ctx, key="c2", sender_id=SENDER, kind="equal", amount=10, shares=2, pin=PIN)
    both = await asyncio.gather(*(rp.claim(ctx, key="tap", packet_id=p2["packet_id"], user_id=CAROL)
                                  for _ in range(2)))
    assert both[0] == both[1] and both[0]["amount"] == 10

    async def n_tx(conn):
        return (await conn.execute(select(func.count()).select_from(journal)
                                   .where(journal.c.kind.in_(("rp_create", "rp_claim"))))).scalar_one()
    assert await read(ctx, n_tx) == 5  # two creates, Bob's, Carol's and the double-tapped claim


async def test_expiry_refunds_the_rest_exactly_once(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="lucky", amount=1_000, shares=3, pin=PIN, chat_id=-7)
    c = await rp.claim(ctx, key="b", packet_id=p["packet_id"], user_id=BOB)
    ctx.clock.advance(hours=23, minutes=59)
    assert await rp.expire_due(ctx) == []
    ctx.clock.advance(minutes=1)
    with pytest.raises(errors.RedPacketExpired):
        await rp.claim(ctx, key="late", packet_id=p["packet_id"], user_id=CAROL)
    done = await rp.expire_due(ctx)
    assert len(done) == 1
    r = done[0]
    assert (r["packet_id"], r["sender_id"], r["chat_id"], r["refunded"], r["status"]) == (
        p["packet_id"], SENDER, -7, 1_000 - c["amount"], "expired")
    assert await rp.expire_due(ctx) == []
    assert await wallet_balance(ctx, SENDER) == 49_000 + 1_000 - c["amount"]
    assert await escrow_total(ctx) == 0
    with pytest.raises(errors.RedPacketExpired):
        await rp.claim(ctx, key="later", packet_id=p["packet_id"], user_id=CAROL)


async def test_finished_packet_is_never_refunded(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="equal", amount=100, shares=1, pin=PIN)
    await rp.claim(ctx, key="b", packet_id=p["packet_id"], user_id=BOB)
    ctx.clock.advance(days=2)
    assert await rp.expire_due(ctx) == []
    assert await wallet_balance(ctx, SENDER) == 49_900


async def test_unclaimed_packet_is_refunded_whole(group):
    ctx = group
    await rp.create(ctx, key="c1", sender_id=SENDER, kind="exclusive", amount=500, pin=PIN, exclusive_user_id=BOB)
    ctx.clock.advance(days=1)
    done = await rp.expire_due(ctx)
    assert [d["refunded"] for d in done] == [500]
    assert await wallet_balance(ctx, SENDER) == 50_000


async def test_a_greeting_longer_than_the_rule_is_refused_not_cut(group):
    ctx = group
    limit = ctx.rules.red_packet_greeting_max
    with pytest.raises(errors.RedPacketInvalid) as e:
        await rp.create(ctx, key="long", sender_id=SENDER, kind="lucky", amount=100, shares=1, pin=PIN,
                        greeting="福" * (limit + 1))
    assert (e.value.reason, e.value.limit) == ("greeting_too_long", limit)
    assert await wallet_balance(ctx, SENDER) == 50_000
    p = await rp.create(ctx, key="edge", sender_id=SENDER, kind="lucky", amount=100, shares=1, pin=PIN,
                        greeting=f"  {'福' * limit}  ")
    assert p["greeting"] == "福" * limit


async def test_details_and_luckiest(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="lucky", amount=2_000, shares=3, pin=PIN,
                        greeting="  大吉大利  ")
    assert p["greeting"] == "大吉大利"
    d = await rp.details(ctx, p["packet_id"])
    assert d["claims"] == [] and d["luckiest"] is None and d["remaining_count"] == 3
    amounts = []
    for uid in (BOB, CAROL):
        amounts.append((await rp.claim(ctx, key=f"c{uid}", packet_id=p["packet_id"], user_id=uid))["amount"])
        ctx.clock.advance(seconds=5)
    d = await rp.details(ctx, p["packet_id"], viewer_id=CAROL)
    assert [(c["seq"], c["user_id"], c["amount"]) for c in d["claims"]] == [(1, BOB, amounts[0]), (2, CAROL, amounts[1])]
    assert d["claims"][0]["first_name"] == f"User{BOB}"
    assert d["claims"][0]["claimed_at"] < d["claims"][1]["claimed_at"]
    assert d["luckiest"] is None  # still open
    assert (d["claimed_count"], d["shares"], d["claimed_amount"]) == (2, 3, sum(amounts))
    assert d["remaining_amount"] == 2_000 - sum(amounts) and d["viewer_amount"] == amounts[1]
    amounts.append((await rp.claim(ctx, key="cd", packet_id=p["packet_id"], user_id=DAVE))["amount"])
    d = await rp.details(ctx, p["packet_id"], viewer_id=SENDER)
    assert d["status"] == "finished" and d["remaining_amount"] == 0 and d["viewer_amount"] is None
    best = max(range(3), key=lambda i: (amounts[i], -i))
    assert d["luckiest"]["seq"] == best + 1 and d["luckiest"]["amount"] == max(amounts)


async def test_luckiest_after_expiry_with_claims(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="lucky", amount=2_000, shares=5, pin=PIN)
    c = await rp.claim(ctx, key="b", packet_id=p["packet_id"], user_id=BOB)
    ctx.clock.advance(days=1)
    await rp.expire_due(ctx)
    d = await rp.details(ctx, p["packet_id"])
    assert d["status"] == "expired" and d["refunded_amount"] == 2_000 - c["amount"] and d["remaining_amount"] == 0
    assert d["remaining_count"] == 0
    assert d["luckiest"]["user_id"] == BOB


async def test_equal_packet_has_no_luckiest(group):
    ctx = group
    p = await rp.create(ctx, key="c1", sender_id=SENDER, kind="equal", amount=100, shares=1, pin=PIN)
    await rp.claim(ctx, key="b", packet_id=p["packet_id"], user_id=BOB)
    assert (await rp.details(ctx, p["packet_id"]))["luckiest"] is None
