"""``gather`` on a real database (SQLite, and PostgreSQL with WALLET_TEST_DB=postgres): money
moved through the real services, then the facts of a next operation read in one statement."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.wallet.helpers import PIN, make_person
from tests.wallet.risk.cases import SETTINGS as S
from wallet.errors import WalletNotOpen
from wallet.models import risk_decisions, users
from wallet.risk.decisions import record
from wallet.risk.engine import Decision
from wallet.risk.facts import gather
from wallet.risk.rules import Fired
from wallet.services import cards, merchants, pins, red_packets, transfers
from wallet.uow import read, transaction

GROUP = -100


async def facts(ctx, **kw):
    return await read(ctx, lambda conn: gather(conn, now=ctx.now(), rules=S, **kw))


def advance(ctx, seconds: float) -> None:
    ctx.clock.advance(seconds=seconds)


async def send(ctx, key, sender, recipient, amount):
    return await transfers.send(ctx, key=key, sender_id=sender, recipient_id=recipient, amount=amount, pin=PIN)


async def test_the_payers_windows_and_who_they_paid(ctx):
    card = await make_person(ctx, 1, balance=100_000)
    for uid in (2, 3, 4):
        await make_person(ctx, uid, balance=10_000)
    await send(ctx, "old", 1, 2, 5_000)  # paid 2 long ago: outside the 30 days, still "paid before"
    advance(ctx, (S.pattern.days + 1) * 86_400)
    await send(ctx, "t1", 1, 3, 1_000)
    await red_packets.create(ctx, key="rp", sender_id=1, kind="lucky", amount=2_000, shares=4, pin=PIN,
                             chat_id=GROUP)
    shop = await merchants.register_shop(ctx, key="shop", owner_id=3, name="面馆", category="food")
    code = (await merchants.create_code(ctx, key="code", owner_id=3, shop_id=shop["shop_id"]))["code"]
    await merchants.pay(ctx, key="pay", payer_id=1, code=code, amount=3_000, pin=PIN)
    await cards.withdraw(ctx, key="wd", user_id=1, card_id=card["card_id"], amount=4_000, pin=PIN)
    # money coming in is not money going out
    t = await send(ctx, "in", 4, 1, 900)
    await transfers.accept(ctx, key="acc", user_id=1, transfer_id=t["transfer_id"])
    advance(ctx, S.velocity.window_seconds + 1)
    await send(ctx, "r1", 1, 3, 700)
    await send(ctx, "r2", 1, 3, 300)

    f = await facts(ctx, payer_id=1, kind="transfer", amount=100, recipient_id=2)
    assert (f.recent_count, f.recent_sum) == (2, 1_000)
    assert (f.period_count, f.period_sum, f.period_max) == (6, 11_000, 4_000)
    assert f.paid_recipient_before is True
    assert f.payer_timezone == "Asia/Shanghai" and f.payer_opened_at < ctx.now()
    assert (await facts(ctx, payer_id=1, kind="transfer", amount=100, recipient_id=3)).paid_recipient_before is True
    assert (await facts(ctx, payer_id=1, kind="transfer", amount=100, recipient_id=4)).paid_recipient_before is False
    none = await facts(ctx, payer_id=1, kind="red_packet", amount=100)
    assert none.recipient_id is None and none.paid_recipient_before is None
    assert (none.recent_count, none.period_count) == (2, 6)
    # the person who received all that sent nothing in the windows but the one transfer to 1
    assert (await facts(ctx, payer_id=4, kind="pay", amount=100)).period_count == 1


async def test_the_card_and_the_pin(ctx):
    bind_time = ctx.now() + timedelta(seconds=ctx.rules.sms_resend_seconds)  # make_person binds after the gap
    card = await make_person(ctx, 1, balance=1_000)
    other = await make_person(ctx, 2)
    f = await facts(ctx, payer_id=1, kind="withdraw", amount=100, card_id=card["card_id"])
    assert f.card_bound_at == bind_time
    assert f.pin_set_at == bind_time  # set right after the card, at the same instant of the fake clock
    assert (f.pin_wrong_before_right, f.pin_right_after_wrong_at) == (0, None)
    # someone else's card is no card of the payer's
    assert (await facts(ctx, payer_id=1, kind="withdraw", amount=100, card_id=other["card_id"])).card_bound_at is None
    advance(ctx, 3 * 86_400)
    await pins.change_pin(ctx, 1, PIN, "246802")
    assert (await facts(ctx, payer_id=1, kind="withdraw", amount=100)).pin_set_at == ctx.now()


async def test_wrong_pins_before_a_right_one_are_read_from_the_users_row(ctx):
    """The columns the PIN check is to write (its settle step; not wired yet): read as they are."""
    await make_person(ctx, 1)
    await transaction(ctx, lambda conn: conn.execute(users.update().where(users.c.id == 1).values(
        pin_wrong_before_right=3, pin_right_after_wrong_at=ctx.now())))
    advance(ctx, 30)
    f = await facts(ctx, payer_id=1, kind="transfer", amount=100)
    assert (f.pin_wrong_before_right, f.seconds_since(f.pin_right_after_wrong_at)) == (3, 30)


async def test_many_wallets_paying_one_new_recipient(ctx):
    for uid in range(1, 8):
        await make_person(ctx, uid, balance=10_000)
    advance(ctx, S.collection.new_wallet_seconds)  # everyone but the recipient is old by now
    await make_person(ctx, 50)
    shop = await merchants.register_shop(ctx, key="shop", owner_id=50, name="收款", category="other")
    code = (await merchants.create_code(ctx, key="code", owner_id=50, shop_id=shop["shop_id"]))["code"]
    early = await send(ctx, "early", 7, 50, 100)  # before the window
    await transfers.accept(ctx, key="acc-early", user_id=50, transfer_id=early["transfer_id"])
    advance(ctx, S.collection.window_seconds)
    await send(ctx, "p1", 1, 50, 100)  # pending
    await send(ctx, "p1b", 1, 50, 100)  # the same wallet again: counted once
    t2 = await send(ctx, "p2", 2, 50, 100)
    await transfers.accept(ctx, key="acc2", user_id=50, transfer_id=t2["transfer_id"])  # accepted
    await merchants.pay(ctx, key="p3", payer_id=3, code=code, amount=100, pin=PIN)  # paid the shop
    await send(ctx, "p4", 4, 50, 100)
    advance(ctx, 60)

    f = await facts(ctx, payer_id=5, kind="transfer", amount=100, recipient_id=50)
    assert f.recipient_recent_payers == 4 and f.recipient_opened_at is not None
    # the payer is not counted among the others
    assert (await facts(ctx, payer_id=1, kind="transfer", amount=100, recipient_id=50)).recipient_recent_payers == 3
    # an old recipient: not asked
    assert (await facts(ctx, payer_id=5, kind="transfer", amount=100, recipient_id=2)).recipient_recent_payers is None
    advance(ctx, S.collection.new_wallet_seconds)
    assert (await facts(ctx, payer_id=5, kind="transfer", amount=100, recipient_id=50)).recipient_recent_payers is None


async def test_a_groups_red_packets_claimed_by_new_wallets(ctx):
    for uid in (1, 2, 3):
        await make_person(ctx, uid, balance=10_000)
    old = await red_packets.create(ctx, key="old", sender_id=2, kind="lucky", amount=500, shares=5, pin=PIN,
                                   chat_id=GROUP)
    await red_packets.claim(ctx, key="c-old", packet_id=old["packet_id"], user_id=3)
    advance(ctx, max(S.red_packet_farming.window_seconds, S.red_packet_farming.new_wallet_seconds) + 1)
    for uid in (11, 12, 13):
        await make_person(ctx, uid)  # opened within the last day; 1, 2 and 3 are older
    p = await red_packets.create(ctx, key="rp", sender_id=2, kind="lucky", amount=500, shares=5, pin=PIN,
                                 chat_id=GROUP)
    elsewhere = await red_packets.create(ctx, key="rp2", sender_id=2, kind="lucky", amount=500, shares=5,
                                         pin=PIN, chat_id=-200)
    for uid in (11, 12, 13, 3):
        await red_packets.claim(ctx, key=f"c{uid}", packet_id=p["packet_id"], user_id=uid)
    await red_packets.claim(ctx, key="c-else", packet_id=elsewhere["packet_id"], user_id=12)
    advance(ctx, 60)

    f = await facts(ctx, payer_id=1, kind="red_packet", amount=500, group_chat_id=GROUP)
    assert (f.group_chat_id, f.group_claims, f.group_new_claims) == (GROUP, 4, 3)  # not the old packet's claim
    assert (await facts(ctx, payer_id=1, kind="red_packet", amount=500, group_chat_id=-300)).group_claims == 0
    # the packets expire, so the audit finds every hold ended
    advance(ctx, ctx.rules.red_packet_expiry_seconds)
    await red_packets.expire_due(ctx)


async def test_no_pin_payments_of_the_window_and_the_stored_decision(ctx):
    await make_person(ctx, 1)
    allow = Decision("allow", 0)
    asked = Decision("ask", 35, (Fired("velocity_count", 35, {"count": 6, "over": 5}),
                                 Fired("pref_sms_above", 0, {"amount": 900, "above": 500}, floor="ask")))

    async def store(conn, decision, amount, waived):
        return await record(conn, decision, user_id=1, kind="pay", amount=amount, key=f"k{amount}",
                            now=ctx.now(), pin_waived=waived)

    await transaction(ctx, lambda conn: store(conn, allow, 300, True))  # out of the window by the end
    advance(ctx, S.prefs.no_pin_window_seconds - 60)
    await transaction(ctx, lambda conn: store(conn, allow, 500, True))
    await transaction(ctx, lambda conn: store(conn, allow, 700, True))
    decision_id = await transaction(ctx, lambda conn: store(conn, asked, 900, False))
    advance(ctx, 61)
    assert (await facts(ctx, payer_id=1, kind="pay", amount=100)).no_pin_recent_sum == 1_200

    row = (await read(ctx, lambda conn: conn.execute(
        select(risk_decisions).where(risk_decisions.c.id == decision_id)))).one()
    assert (row.user_id, row.kind, row.amount, row.action, row.score, row.op_key, row.pin_waived) == \
        (1, "pay", 900, "ask", 35, "k900", False)
    assert json.loads(row.fired) == [
        {"rule": "velocity_count", "weight": 35, "inputs": {"count": 6, "over": 5}},
        {"rule": "pref_sms_above", "weight": 0, "inputs": {"amount": 900, "above": 500}, "floor": "ask"},
    ]


@pytest.mark.parametrize("kw", [
    {"kind": "transfer"},
    {"kind": "transfer", "recipient_id": 2},
    {"kind": "withdraw", "card_id": 1},
    {"kind": "red_packet", "group_chat_id": GROUP},
])
async def test_one_statement_whatever_is_asked(ctx, kw):
    await make_person(ctx, 1, balance=1_000)
    await make_person(ctx, 2)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(ctx.engine.sync_engine, "before_cursor_execute", count)
    try:
        f = await facts(ctx, payer_id=1, amount=100, **kw)
    finally:
        event.remove(ctx.engine.sync_engine, "before_cursor_execute", count)
    assert f.payer_id == 1
    assert len(statements) == 1, statements


async def test_no_wallet_and_unknown_kinds_are_refused(ctx):
    with pytest.raises(WalletNotOpen):
        await facts(ctx, payer_id=404, kind="transfer", amount=100)
    await make_person(ctx, 1)
    with pytest.raises(ValueError):
        await facts(ctx, payer_id=1, kind="lend", amount=100)
