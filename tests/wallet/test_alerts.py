"""Scheduled alerts on the real database, driven step by step over the fake clock: two simulated
weeks for 50 people, exactly once per (alert, person, period), quiet hours, restart catch-up,
late weekly summaries skipped, two processes at once."""
from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import make_context
from tests.wallet.helpers import PIN, make_person
from wallet.db import create_engine
from wallet.models import outbox as outbox_table
from wallet.services import alert_prefs, alerts, people, transfers
from wallet.uow import read

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-30 00:00 in Shanghai
MONDAY = datetime(2026, 11, 30, 0, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)


def move_to(ctx, when: datetime) -> None:
    assert when >= ctx.now(), "the fake clock only moves forward"
    ctx.clock.advance(seconds=(when - ctx.now()).total_seconds())


async def notices(ctx) -> list[dict]:
    async def body(conn):
        rows = await conn.execute(select(outbox_table).where(outbox_table.c.msgid.like("alert.%"))
                                  .order_by(outbox_table.c.id))
        return [{**r._mapping, "params": json.loads(r.params)} for r in rows]
    return await read(ctx, body)


async def run_until(ctx, end: datetime, *, step: timedelta = timedelta(minutes=10)) -> None:
    while ctx.now() < end:
        await alerts.run_due(ctx)
        ctx.clock.advance(seconds=step.total_seconds())


ZONES = {0: "Asia/Shanghai", 1: "Asia/Shanghai", 2: "Europe/London", 3: "America/New_York", 4: "Asia/Shanghai"}


async def test_two_simulated_weeks_for_fifty_people(ctx):
    ids = list(range(1001, 1051))
    plan = {}
    for i, uid in enumerate(ids):
        low = i % 2 == 0  # half have a balance below their reminder
        await make_person(ctx, uid, balance=5_000 if low else 20_000)
        tz = ZONES[i % 5]
        if tz != "Asia/Shanghai":
            await people.set_timezone(ctx, uid, tz)
        tips = ("daily", "weekly", "off")[i % 3]
        quiet = [(22 * 60, 8 * 60), (23 * 60, 7 * 60), None, (12 * 60, 14 * 60)][i % 4]
        changes = {"tips": tips, "quiet": quiet}
        if i % 4 != 3:
            changes["low_balance"] = 10_000
        if i % 10 == 0:
            changes["pin_age_days"] = 1  # due after a day, then once per 30 days
        await alert_prefs.set_prefs(ctx, uid, **changes)
        plan[uid] = {"tz": ZoneInfo(tz), "tips": tips, "quiet": quiet, "low": low and i % 4 != 3,
                     "pin": i % 10 == 0}
    move_to(ctx, MONDAY)
    end = MONDAY + timedelta(days=14)
    # a fake clock: the two weeks take seconds (~16 s here), not a timed assert (it failed on a
    # loaded machine and would say nothing about the alerts)
    await run_until(ctx, end)

    sent = await notices(ctx)
    by_person: dict[int, list[dict]] = defaultdict(list)
    for n in sent:
        by_person[n["user_id"]].append(n)
    assert len({n["key"] for n in sent}) == len(sent)
    for uid, p in plan.items():
        mine = by_person[uid]
        kinds = Counter(n["msgid"] for n in mine)
        assert kinds["alert.weekly"] == 2, (uid, kinds)
        for n in mine:  # nothing inside quiet hours
            local = n["created_at"].astimezone(p["tz"])
            assert not alerts.in_quiet(local.hour * 60 + local.minute, *(p["quiet"] or (None, None))), (uid, n)
        weekly = [n["created_at"].astimezone(p["tz"]) for n in mine if n["msgid"] == "alert.weekly"]
        assert all(w.weekday() == 0 and w.hour == 9 and w.minute < 10 for w in weekly), weekly
        low_days = Counter(n["created_at"].astimezone(p["tz"]).date() for n in mine if n["msgid"] == "alert.low_balance")
        assert all(c == 1 for c in low_days.values()), (uid, low_days)  # at most once a day
        if p["low"]:
            assert len(low_days) >= 14, (uid, low_days)
            assert all(n["params"]["button"] == ["alert.button.topup", {"act": "home.topup"}]
                       for n in mine if n["msgid"] == "alert.low_balance")
        else:
            assert not low_days
        tips = [n for n in mine if n["msgid"] == "alert.tip"]
        # Shanghai: the two weeks are exactly the simulated ones; elsewhere the simulation begins
        # or ends inside a local week or day (Sunday 16:00 in London), whose tip may fall in it or not
        exact = p["tz"].key == "Asia/Shanghai"
        expected = {"daily": range(14, 15) if exact else range(13, 16), "weekly": range(2, 3) if exact else range(1, 4),
                    "off": range(0, 1)}[p["tips"]]
        assert len(tips) in expected, (uid, p["tips"], len(tips))
        for n in tips:
            local = n["created_at"].astimezone(p["tz"])
            # at its minute of the window, or at the first round after it (rounds are 10 minutes apart)
            assert alerts.TIP_WINDOW[0] <= local.hour * 60 + local.minute < alerts.TIP_WINDOW[1] + 10
        drawn = [n["params"]["tip_msgid"] for n in tips]
        assert all(a != b for a, b in zip(drawn, drawn[1:])), drawn  # never the same twice in a row
        assert kinds["alert.pin_age"] == (1 if p["pin"] else 0), (uid, kinds)
    # a second round at the same instant changes nothing: every period is recorded
    await alerts.run_due(ctx)
    before = len(await notices(ctx))
    assert await alerts.run_due(ctx) == []
    assert len(await notices(ctx)) == before
    recorded = await alerts.sent(ctx)
    assert len(recorded) == before and all(r["sent"] for r in recorded)


async def test_a_restart_catches_up_once_and_a_late_summary_is_skipped(ctx, monkeypatch):
    monkeypatch.setattr(alerts, "LOOKUP_BATCH", 2)  # what was sent is looked up in batches
    await make_person(ctx, 21, balance=1_000)
    await make_person(ctx, 22, balance=1_000)
    await alert_prefs.set_prefs(ctx, 21, low_balance=5_000, tips="off")
    await alert_prefs.set_prefs(ctx, 22, tips="off")
    # the bot is down from Monday 08:00 until Monday 15:00: the summary is late, not a day late
    move_to(ctx, MONDAY + timedelta(hours=15))
    done = await alerts.run_due(ctx)
    assert sorted((d["alert"], d["user_id"], d["sent"]) for d in done) == [
        ("low_balance", 21, True), ("weekly", 21, True), ("weekly", 22, True)]
    assert await alerts.run_due(ctx) == []
    # down again for three days: one low-balance reminder for today, none for the days missed
    move_to(ctx, MONDAY + timedelta(days=3, hours=12))
    done = await alerts.run_due(ctx)
    assert [(d["alert"], d["period"]) for d in done] == [("low_balance", "2026-12-03")]
    # down from Sunday until Tuesday 10:00: next Monday's summary is more than a day late
    move_to(ctx, MONDAY + timedelta(days=8, hours=10))
    done = await alerts.run_due(ctx)
    assert sorted((d["alert"], d["user_id"], d["sent"]) for d in done) == [
        ("low_balance", 21, True), ("weekly", 21, False), ("weekly", 22, False)]
    weekly = [n for n in await notices(ctx) if n["msgid"] == "alert.weekly"]
    assert len(weekly) == 2  # only the first week's
    assert await alerts.run_due(ctx) == []


async def test_the_weekly_summary_counts_the_week(ctx):
    for uid in (31, 32):
        await make_person(ctx, uid, balance=50_000)
    for uid in (31, 32):
        await alert_prefs.set_prefs(ctx, uid, tips="off")
    assert ctx.now() < MONDAY  # Saturday evening: inside the week before Monday 09:00
    a = await transfers.send(ctx, key="w1", sender_id=31, recipient_id=32, amount=12_300, pin=PIN)
    await transfers.accept(ctx, key="w1a", user_id=32, transfer_id=a["transfer_id"])
    await transfers.send(ctx, key="w2", sender_id=32, recipient_id=31, amount=2_000, pin=PIN)
    await transfers.send(ctx, key="w3", sender_id=32, recipient_id=31, amount=500, pin=PIN)
    move_to(ctx, MONDAY + timedelta(hours=9))
    await alerts.run_due(ctx)
    weekly = {n["user_id"]: n["params"] for n in await notices(ctx) if n["msgid"] == "alert.weekly"}
    # transfers of 32 to 31 were refunded after 24 h? no sweep ran, so they still wait for 31
    assert weekly[31]["out_amount"] == 12_300 and weekly[31]["big_out_amount"] == 12_300
    assert weekly[31]["waiting"] == 2 and weekly[31]["waiting_amount"] == 2_500
    # 32's week: the top-up of ¥500 (the biggest in), ¥123 from 31; ¥25 sent out
    assert weekly[32]["in_amount"] == 62_300 and weekly[32]["out_amount"] == 2_500
    assert weekly[32]["big_in_amount"] == 50_000 and weekly[32]["big_in_group_msgid"] == "bill.group.topup"
    assert weekly[32]["big_out_amount"] == 2_000 and weekly[32]["big_out_group_msgid"] == "bill.group.transfer"
    assert weekly[32]["waiting"] == 0 and weekly[32]["chart_month"] == "2026-11"
    from jobs.outbox import render
    text = render("en", {"msgid": "alert.weekly", "params": weekly[32]}, {})
    assert "¥623.00" in text and "¥25.00" in text and "Top-up" in text


async def test_a_transfer_about_to_expire_reminds_its_recipient_once(ctx):
    for uid in (41, 42):
        await make_person(ctx, uid, balance=10_000)
        await alert_prefs.set_prefs(ctx, uid, tips="off", quiet=None)
    move_to(ctx, MONDAY + timedelta(days=1, hours=12))
    sent = await transfers.send(ctx, key="e1", sender_id=41, recipient_id=42, amount=700, pin=PIN)
    ctx.clock.advance(hours=21, minutes=50)
    assert [d for d in await alerts.run_due(ctx) if d["alert"] == "expiring"] == []
    ctx.clock.advance(minutes=15)
    done = [d for d in await alerts.run_due(ctx) if d["alert"] == "expiring"]
    assert done == [{"alert": "expiring", "user_id": 42, "period": str(sent["transfer_id"]), "sent": True}]
    ctx.clock.advance(minutes=30)
    assert [d for d in await alerts.run_due(ctx) if d["alert"] == "expiring"] == []
    (n,) = [n for n in await notices(ctx) if n["msgid"] == "alert.expiring"]
    assert n["params"]["amount"] == 700 and n["params"]["counterparty_id"] == 41
    from jobs.outbox import render
    assert "User41" in render("en", n, {41: ("en", False, "User41")})


def test_an_expiring_reminder_whose_last_two_hours_are_quiet_comes_before_the_quiet_hours():
    def at(day, hour, minute=0):
        return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)
    quiet = (22 * 60, 8 * 60)
    due = lambda now, expires: alerts.expiring_due(now, expires, *quiet)  # noqa: E731
    # refunded at 15:00: reminded from 13:00, never before
    assert not due(at(2, 12, 59), at(2, 15)) and due(at(2, 13), at(2, 15)) and due(at(2, 14, 59), at(2, 15))
    # refunded at 01:00: 23:00-01:00 is all quiet, so from 20:00 to 22:00 the evening before
    assert not due(at(1, 19, 59), at(2, 1)) and due(at(1, 20), at(2, 1)) and due(at(1, 21, 59), at(2, 1))
    assert not due(at(1, 22), at(2, 1)) and not due(at(2, 0, 30), at(2, 1))
    # refunded at 08:10: only 10 minutes of the last 2 h are awake: the evening before too
    assert due(at(1, 21), at(2, 8, 10)) and due(at(2, 8, 1), at(2, 8, 10)) and not due(at(2, 7), at(2, 8, 10))
    # refunded at 08:45: 45 awake minutes (08:00-08:45) are enough: not the evening before
    assert not due(at(1, 21), at(2, 8, 45)) and due(at(2, 8), at(2, 8, 45))
    # refunded at 23:00: 21:00-22:00 is awake: then, not in quiet hours
    assert due(at(1, 21), at(1, 23)) and not due(at(1, 22, 30), at(1, 23))
    # no quiet hours: the last 2 hours, always
    assert alerts.expiring_due(at(2, 0), at(2, 1), None, None) and not alerts.expiring_due(at(1, 21), at(2, 1), None, None)
    assert not due(at(2, 15, 1), at(2, 15))  # refunded already


async def test_a_transfer_refunded_in_the_night_is_reminded_in_the_evening_before(ctx):
    for uid in (43, 44):
        await make_person(ctx, uid, balance=10_000)
        await alert_prefs.set_prefs(ctx, uid, tips="off")  # default quiet hours 22:00-08:00
    move_to(ctx, datetime(2026, 12, 1, 1, 0, tzinfo=SHANGHAI).astimezone(timezone.utc))
    sent = await transfers.send(ctx, key="n1", sender_id=43, recipient_id=44, amount=900, pin=PIN)
    move_to(ctx, datetime(2026, 12, 1, 19, 50, tzinfo=SHANGHAI).astimezone(timezone.utc))
    assert [d for d in await alerts.run_due(ctx) if d["alert"] == "expiring"] == []
    ctx.clock.advance(minutes=20)  # 20:10, five hours before the refund at 01:00
    done = [d for d in await alerts.run_due(ctx) if d["alert"] == "expiring"]
    assert done == [{"alert": "expiring", "user_id": 44, "period": str(sent["transfer_id"]), "sent": True}]
    for _ in range(3):  # 21:10, 22:10, 23:10: once only
        ctx.clock.advance(hours=1)
        assert [d for d in await alerts.run_due(ctx) if d["alert"] == "expiring"] == []
    (n,) = [n for n in await notices(ctx) if n["msgid"] == "alert.expiring"]
    assert n["params"]["amount"] == 900 and n["params"]["time"] == "01:00"


async def test_a_delayed_transfer_is_announced_once_when_it_arrives_even_in_quiet_hours(ctx):
    for uid in (51, 52):
        await make_person(ctx, uid, balance=10_000)
        await alert_prefs.set_prefs(ctx, uid, tips="off")  # default quiet hours 22:00-08:00
    move_to(ctx, datetime(2026, 12, 1, 21, 0, tzinfo=SHANGHAI).astimezone(timezone.utc))
    late = await transfers.send(ctx, key="d1", sender_id=51, recipient_id=52, amount=800, pin=PIN, delay_seconds=7200)
    revoked = await transfers.send(ctx, key="d2", sender_id=51, recipient_id=52, amount=300, pin=PIN,
                                   delay_seconds=7200)
    await transfers.send(ctx, key="d3", sender_id=51, recipient_id=52, amount=100, pin=PIN)  # at once: no notice
    ctx.clock.advance(hours=1)
    await transfers.revoke(ctx, key="r2", user_id=51, transfer_id=revoked["transfer_id"])
    assert [d for d in await alerts.run_due(ctx) if d["alert"] == "arrived"] == []  # not yet arrived
    ctx.clock.advance(hours=1, minutes=1)  # 23:01 local: quiet hours, but money arriving is told
    done = [d for d in await alerts.run_due(ctx) if d["alert"] == "arrived"]
    assert done == [{"alert": "arrived", "user_id": 52, "period": str(late["transfer_id"]), "sent": True}]
    ctx.clock.advance(minutes=30)
    assert [d for d in await alerts.run_due(ctx) if d["alert"] == "arrived"] == []
    (n,) = [n for n in await notices(ctx) if n["msgid"] == "alert.arrived"]
    assert n["user_id"] == 52 and n["params"]["amount"] == 800 and n["params"]["counterparty_id"] == 51
    from jobs.outbox import render
    assert "User51" in render("en", n, {51: ("en", False, "User51")}) and "¥8.00" in render("en", n, {})


async def test_pin_age_reminds_every_thirty_days_until_changed(ctx):
    from wallet.services import pins

    async def pin_alerts(c):  # (the weekly summaries of those months are skipped: the clock jumps)
        return [d for d in await alerts.run_due(c) if d["alert"] == "pin_age"]

    await make_person(ctx, 51)
    await alert_prefs.set_prefs(ctx, 51, tips="off", quiet=None)
    ctx.clock.advance(days=179)
    assert await pin_alerts(ctx) == []
    ctx.clock.advance(days=1)
    assert len(await pin_alerts(ctx)) == 1
    ctx.clock.advance(days=29)
    assert await pin_alerts(ctx) == []
    ctx.clock.advance(days=1)
    assert len(await pin_alerts(ctx)) == 1
    await pins.change_pin(ctx, 51, PIN, "246813")
    ctx.clock.advance(days=31)
    assert await pin_alerts(ctx) == []


async def test_preferences_are_checked():
    for bad in ({"low_balance": 0}, {"low_balance": -5}, {"tips": "hourly"}, {"quiet": (60, 60)},
                {"quiet": (0, 1440)}, {"pin_age_days": 0}, {"colour": "red"}):
        with pytest.raises(ValueError):
            alert_prefs.check_prefs(bad)


async def test_two_processes_never_both_send(ctx, database_url):
    ids = list(range(61, 71))
    for uid in ids:
        await make_person(ctx, uid, balance=100)
        await alert_prefs.set_prefs(ctx, uid, low_balance=5_000, tips="daily", quiet=None)
    other_engine = create_engine(database_url, pool_size=5, max_overflow=0)
    other = make_context(other_engine)
    other.clock = ctx.clock
    move_to(ctx, MONDAY)
    try:
        while ctx.now() < MONDAY + timedelta(days=3):
            await asyncio.gather(alerts.run_due(ctx), alerts.run_due(other), alerts.run_due(ctx), alerts.run_due(other))
            ctx.clock.advance(minutes=20)
    finally:
        await other_engine.dispose()
    sent = await notices(ctx)
    per = Counter((n["user_id"], n["msgid"]) for n in sent)
    for uid in ids:
        assert per[(uid, "alert.low_balance")] == 3
        assert per[(uid, "alert.tip")] == 3
        assert per[(uid, "alert.weekly")] == 1
    assert len(await alerts.sent(ctx)) == len(sent)
