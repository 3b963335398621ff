"""The alerts job (the real one on the application's JobQueue) run again and again in one local day
sends one low-balance reminder in the person's chat, and the next local day one more.

The person lives in New York: their local day (05:00 UTC to 05:00 UTC the next day) holds two UTC
dates, and it is neither the server's nor Shanghai's day. Rounds run at several hours of that day,
each twice, the last one after midnight UTC: a reminder keyed by anything but the person's local
date (the UTC date, the hour, Shanghai's date) shows up here as a second reminder."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from tests.e2e.flows import bot, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import set_now
from wallet.services import alert_prefs
from wallet.services import people as people_service

NEW_YORK = ZoneInfo("America/New_York")
REMINDER = "Low balance"


async def run_alerts_job(app) -> None:
    """One round of the alerts job as its JobQueue runs it (its callback with the app's context)."""
    [job] = app.job_queue.get_jobs_by_name("alerts")
    await job.run(app)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=NEW_YORK).astimezone(timezone.utc)


async def reminders(person) -> list:
    return [m for m in await person.messages() if m.from_bot and REMINDER in m.text]


async def test_the_alerts_job_run_twice_in_one_local_day_sends_one_low_balance_reminder(bot, ctx, bob):
    await opened(ctx, bob, balance=5_000)
    await people_service.set_timezone(ctx, bob.id, "America/New_York")
    await alert_prefs.set_prefs(ctx, bob.id, low_balance=10_000, tips="off", pin_age_days=None)  # quiet 22:00-08:00
    await bob.send("/start")
    await bob.expect()

    set_now(ctx, local(1, 8, 30))  # Tuesday 1 December, 08:30 in New York (13:30 UTC)
    await run_alerts_job(bot)
    first = await bob.expect(contains=REMINDER)
    assert "¥50.00" in first.text and "¥100.00" in first.text
    await run_alerts_job(bot)  # the same round again, at once
    for hour, minute in ((12, 0), (18, 0), (21, 45)):  # 21:45 in New York is 02:45 UTC on 2 December
        set_now(ctx, local(1, hour, minute))
        await run_alerts_job(bot)
        await run_alerts_job(bot)
    assert local(1, 21, 45).date() != local(1, 8, 30).date()  # two UTC dates in one local day
    assert [m.id for m in await reminders(bob)] == [first.id]  # each round sends before it returns

    set_now(ctx, local(2, 8, 30))  # the next local day: one more
    await run_alerts_job(bot)
    await run_alerts_job(bot)
    second = await bob.expect(contains=REMINDER, where=lambda m: m.id != first.id)
    assert [m.id for m in await reminders(bob)] == [first.id, second.id]
    await scan_secrets(bob)
