"""The risk engine in the money path (wallet/risk/guard.py, wallet/services/risk_holds.py) on a
real database: what ask, hold, refuse and freeze do to the money, the stored decisions, the
notices, and a held payment ending exactly once. Thresholds come from the shipped settings, or a
copy with other thresholds where a case needs one action for sure."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tests.wallet.helpers import PIN, make_person, phone_for, set_now, wallet_balance
from tests.wallet.risk.cases import SETTINGS as S
from wallet import errors
from wallet.models import outbox, risk_decisions, risk_holds, risk_prefs, transfers as transfers_t, users
from wallet.services import cards, merchants, pins, red_packets, risk_holds as holds, transfers
from wallet.uow import read, transaction

ADMIN, ALICE, BOB, CAROL = 900, 1, 2, 3
START = 500_000


def with_thresholds(ask: int, hold: int, freeze: int):
    return S.model_copy(update={"thresholds": S.thresholds.model_copy(update={"ask": ask, "hold": hold,
                                                                              "freeze": freeze})})


HOLDING = with_thresholds(25, S.velocity.count.weight, 10_000)  # many payments in 10 minutes: hold
FREEZING = with_thresholds(10, 20, S.velocity.count.weight)     # ... freeze


@pytest.fixture
async def people(ctx):
    for uid in (ALICE, BOB, CAROL, ADMIN):
        await make_person(ctx, uid, balance=START)
    ctx.admin_ids = (ADMIN,)
    set_now(ctx, datetime(2026, 12, 3, 4, 0, tzinfo=timezone.utc))  # 12:00 in Shanghai
    return ctx


async def send(ctx, key, amount=1_000, **kw):
    return await transfers.send(ctx, key=key, sender_id=ALICE, recipient_id=BOB, amount=amount, pin=PIN, **kw)


async def routine(ctx, n=S.velocity.count.over):
    """``n`` small transfers, Alice to Bob, in a few minutes: none fires alone."""
    for i in range(n):
        await send(ctx, f"ok-{i}")
        ctx.clock.advance(seconds=5)


async def stored(ctx):
    rows = await read(ctx, lambda conn: conn.execute(select(risk_decisions).order_by(risk_decisions.c.id)))
    return [(r.action, [f["rule"] for f in json.loads(r.fired)]) for r in rows.all()]


async def notices(ctx, msgid):
    rows = await read(ctx, lambda conn: conn.execute(select(outbox.c.user_id).where(outbox.c.msgid == msgid)))
    return sorted(r.user_id for r in rows.all())


async def test_the_engine_off_changes_nothing(people):
    ctx = people
    await routine(ctx, S.velocity.count.severe_over + 2)
    assert await stored(ctx) == []
    assert await wallet_balance(ctx, ALICE) == START - (S.velocity.count.severe_over + 2) * 1_000


async def test_one_payment_too_many_asks_for_an_sms_code_and_moves_nothing_until_it_comes(people):
    ctx = people
    ctx.risk = S
    await routine(ctx)
    before = await wallet_balance(ctx, ALICE)
    with pytest.raises(errors.StepUpRequired) as asked:
        await send(ctx, "sixth")
    assert asked.value.phone.endswith(phone_for(ALICE)[-4:]) and phone_for(ALICE) not in str(asked.value)
    assert "velocity_count" in asked.value.rules
    assert await wallet_balance(ctx, ALICE) == before
    assert await stored(ctx) == [("ask", ["velocity_count"])]
    code = ctx.sms.last_code(phone_for(ALICE))
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(errors.SmsCodeWrong):
        await send(ctx, "sixth", step_up_code=wrong)
    assert await wallet_balance(ctx, ALICE) == before
    done = await send(ctx, "sixth", step_up_code=code)
    assert done["status"] == "pending" and await wallet_balance(ctx, ALICE) == before - 1_000
    assert await send(ctx, "sixth") == done  # a replay answers without asking again
    assert [a for a, _ in await stored(ctx)] == ["ask", "ask"]  # the stop, then the answered ask
    with pytest.raises(errors.SmsCodeExpired):  # a code is good once
        await send(ctx, "seventh", step_up_code=code)


async def test_a_held_transfer_waits_in_review_and_an_admin_releases_it(people):
    ctx = people
    ctx.risk = HOLDING
    await routine(ctx)
    held = await send(ctx, "sixth", amount=7_000, note="rent")
    assert held["held"] is True and held["status"] == "held" and held["amount"] == 7_000
    assert await wallet_balance(ctx, ALICE) == START - S.velocity.count.over * 1_000 - 7_000
    waiting = await read(ctx, lambda conn: conn.execute(select(transfers_t).where(transfers_t.c.amount == 7_000)))
    assert waiting.all() == []  # nothing reaches Bob
    assert await notices(ctx, "risk.notice.held_recipient") == [BOB]
    assert await notices(ctx, "risk.notice.held_admin") == [ADMIN]
    assert await send(ctx, "sixth", amount=7_000, note="rent") == held  # a replay: the same hold
    assert await holds.held(ctx, user_id=ALICE) == [{k: v for k, v in held.items() if k != "held"}]

    with pytest.raises(errors.NotAdmin):
        await holds.release(ctx, key="r-bob", hold_id=held["hold_id"], admin_id=BOB)
    released = await holds.release(ctx, key="r1", hold_id=held["hold_id"], admin_id=ADMIN)
    sent = released["result"]
    assert released["status"] == "released" and sent["status"] == "pending" and sent["note"] == "rent"
    accepted = await transfers.accept(ctx, key="acc", user_id=BOB, transfer_id=sent["transfer_id"])
    assert accepted["amount"] == 7_000
    assert await wallet_balance(ctx, BOB) == START + 7_000  # the routine transfers still wait for him
    assert await notices(ctx, "risk.notice.released") == [ALICE]
    assert await holds.held(ctx) == []
    with pytest.raises(errors.HoldNotHeld) as again:
        await holds.give_back(ctx, key="late", hold_id=held["hold_id"], by_id=ADMIN)
    assert again.value.status == "released"


async def test_release_and_return_at_the_same_moment_end_a_hold_once(people):
    ctx = people
    ctx.risk = HOLDING
    await routine(ctx)
    ids = [(await send(ctx, f"held-{i}", amount=2_000 + i))["hold_id"] for i in range(4)]
    for i, hold_id in enumerate(ids):
        outcomes = await asyncio.gather(
            holds.release(ctx, key=f"rel-{i}", hold_id=hold_id, admin_id=ADMIN),
            holds.give_back(ctx, key=f"ret-{i}", hold_id=hold_id, by_id=ADMIN),
            holds.give_back(ctx, key=f"own-{i}", hold_id=hold_id, by_id=ALICE), return_exceptions=True)
        done = [o for o in outcomes if isinstance(o, dict)]
        assert len(done) == 1 and all(isinstance(o, errors.HoldNotHeld) for o in outcomes if o not in done), outcomes
    rows = await read(ctx, lambda conn: conn.execute(select(risk_holds.c.status)))
    assert all(r.status in ("released", "returned") for r in rows.all())
    # the audit (the fixture's, after the test) holds the escrow to what is held: nothing now


async def test_the_payer_takes_a_held_payment_back_and_nobody_else_can(people):
    ctx = people
    ctx.risk = HOLDING
    await routine(ctx)
    before = await wallet_balance(ctx, ALICE)
    held = await send(ctx, "sixth", amount=5_000)
    with pytest.raises(errors.HoldNotHeld):
        await holds.give_back(ctx, key="carol", hold_id=held["hold_id"], by_id=CAROL)
    back = await holds.give_back(ctx, key="mine", hold_id=held["hold_id"], by_id=ALICE)
    assert back["status"] == "returned" and await wallet_balance(ctx, ALICE) == before
    assert await notices(ctx, "risk.notice.returned") == [ALICE]
    assert await notices(ctx, "risk.notice.returned_recipient") == [BOB]


async def test_a_freeze_stops_the_payment_freezes_the_wallet_and_tells_the_person_and_the_admins(people):
    ctx = people
    ctx.risk = FREEZING
    await routine(ctx)
    before = await wallet_balance(ctx, ALICE)
    with pytest.raises(errors.RiskFrozen) as frozen:
        await send(ctx, "sixth")
    assert "velocity_count" in frozen.value.rules
    assert await wallet_balance(ctx, ALICE) == before
    user = await read(ctx, lambda conn: conn.execute(select(users.c.frozen).where(users.c.id == ALICE)))
    assert user.scalar_one() is True
    assert await notices(ctx, "risk.notice.frozen") == [ALICE]
    assert await notices(ctx, "risk.notice.frozen_admin") == [ADMIN]
    assert await stored(ctx) == [("freeze", ["velocity_count"])]
    with pytest.raises(errors.AccountFrozen):
        await send(ctx, "after")


async def test_the_night_lock_refuses_at_night_only(people):
    ctx = people
    ctx.risk = S

    async def lock(conn):
        await conn.execute(risk_prefs.insert().values(user_id=ALICE, night_lock=True, updated_at=ctx.now()))
    await transaction(ctx, lock)
    set_now(ctx, datetime(2026, 12, 3, 17, 30, tzinfo=timezone.utc))  # 01:30 in Shanghai
    with pytest.raises(errors.RiskRefused) as refused:
        await send(ctx, "night")
    assert refused.value.reason == "pref_night_lock" and refused.value.until == "06:00"
    assert await wallet_balance(ctx, ALICE) == START
    set_now(ctx, datetime(2026, 12, 3, 22, 0, tzinfo=timezone.utc))  # 06:00: open again
    assert (await send(ctx, "morning"))["status"] == "pending"


async def test_what_cannot_wait_in_review_is_refused_until_one(people):
    ctx = people
    ctx.risk = HOLDING
    shop = await merchants.register_shop(ctx, key="shop", owner_id=CAROL, name="面馆", category="food")
    code = (await merchants.create_code(ctx, key="code", owner_id=CAROL, shop_id=shop["shop_id"]))["code"]
    my_card = (await cards.list_cards(ctx, ALICE))[0]["card_id"]
    await routine(ctx)
    before = await wallet_balance(ctx, ALICE)
    attempts = [
        lambda: red_packets.create(ctx, key="rp", sender_id=ALICE, kind="lucky", amount=1_000, shares=2,
                                   pin=PIN, chat_id=-100),
        lambda: merchants.pay(ctx, key="pay", payer_id=ALICE, code=code, amount=1_000, pin=PIN),
        lambda: cards.withdraw(ctx, key="wd", user_id=ALICE, card_id=my_card, amount=1_000, pin=PIN),
    ]
    for attempt in attempts:
        with pytest.raises(errors.RiskRefused) as refused:
            await attempt()
        assert refused.value.reason == "hold"
    assert await wallet_balance(ctx, ALICE) == before
    assert [a for a, _ in await stored(ctx)] == ["hold", "hold", "hold"]


async def test_a_right_pin_after_wrong_ones_is_kept_for_the_engine(people):
    ctx = people
    for _ in range(2):
        with pytest.raises(errors.PinWrong):
            await pins.verify_pin(ctx, ALICE, "000000" if PIN != "000000" else "111111")
    await pins.verify_pin(ctx, ALICE, PIN)
    row = (await read(ctx, lambda conn: conn.execute(select(users).where(users.c.id == ALICE)))).one()
    assert row.pin_wrong_before_right == 2 and row.pin_right_after_wrong_at == ctx.now()
    await pins.verify_pin(ctx, ALICE, PIN)  # a right PIN alone keeps the last run
    row = (await read(ctx, lambda conn: conn.execute(select(users).where(users.c.id == ALICE)))).one()
    assert row.pin_wrong_before_right == 2


async def test_small_payments_go_without_the_pin_within_the_persons_limits_only(people):
    ctx = people
    for_pin = dict(sender_id=ALICE, recipient_id=BOB, pin=None, no_pin=True)
    with pytest.raises(errors.PinRequired):  # the engine off: never without the PIN
        await transfers.send(ctx, key="off", amount=100, **for_pin)
    ctx.risk = S
    with pytest.raises(errors.PinRequired):  # the setting off
        await transfers.send(ctx, key="unset", amount=100, **for_pin)

    async def allow(conn):
        await conn.execute(risk_prefs.insert().values(user_id=ALICE, no_pin_max=500, no_pin_daily=1_000,
                                                      updated_at=ctx.now()))
    await transaction(ctx, allow)
    before = await wallet_balance(ctx, ALICE)
    assert (await transfers.send(ctx, key="np1", amount=500, **for_pin))["status"] == "pending"
    with pytest.raises(errors.PinRequired):  # above the amount per payment
        await transfers.send(ctx, key="np2", amount=501, **for_pin)
    assert (await transfers.send(ctx, key="np3", amount=400, **for_pin))["status"] == "pending"
    with pytest.raises(errors.PinRequired):  # 500 + 400 + 200 > the day's 1,000
        await transfers.send(ctx, key="np4", amount=200, **for_pin)
    assert await wallet_balance(ctx, ALICE) == before - 900
    waived = await read(ctx, lambda conn: conn.execute(select(risk_decisions.c.amount).where(risk_decisions.c.pin_waived)))
    assert sorted(r.amount for r in waived.all()) == [400, 500]
    ctx.clock.advance(seconds=S.prefs.no_pin_window_seconds + 1)  # a new day's limit
    assert (await transfers.send(ctx, key="np5", amount=200, **for_pin))["status"] == "pending"
    await routine(ctx, S.velocity.count.over - 1)  # with np5, the window is full: the next one fires
    with pytest.raises(errors.PinRequired):
        await transfers.send(ctx, key="np6", amount=100, **for_pin)
