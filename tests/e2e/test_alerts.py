"""Alert settings and /tip in the chat, through the emulator; a scheduled round of alerts delivered
through the real outbox: the low-balance reminder with its top-up button, once; a person who
blocked the bot is marked (Telegram's my_chat_member update, or a 403) and skipped by alerts and
notices until they unblock it."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from sqlalchemy import select

from jobs.alerts import alerts_once
from jobs.outbox import drain_once
from tests.e2e.flows import bot, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_shop import crafted
from tests.wallet.helpers import PIN
from wallet import outbox
from wallet.models import users
from wallet.services import alert_prefs, alerts, transfers
from wallet.services import people as people_service
from wallet.uow import read


async def test_alert_setting_buttons_say_what_they_set_in_chinese(bot, ctx, alice):
    await opened(ctx, alice)
    await alice.send("/settings")
    menu = await alice.expect(contains="设置")
    await alice.press(menu, "提醒")
    screen = await alice.expect(contains="余额提醒：关闭", edited=True)
    labels = [b.removeprefix("✅ ") for b in screen.buttons]
    assert len(labels) == len(set(labels)), labels
    assert {"🔕 不提醒余额", "💡 不推送小贴士", "🌙 不设免打扰", "🔐 不提醒更换密码", "🔔 低于 ¥50.00 提醒"} <= set(labels)
    await alice.press(screen, "不设免打扰")
    await alice.expect(contains="免打扰时段：关闭", edited=True)


async def test_alert_settings_a_reminder_and_a_tip(bot, ctx, bob):
    await opened(ctx, bob, balance=5_000)
    await bob.send("/settings")
    menu = await bob.expect(contains="Settings")
    await bob.press(menu, "Alerts and tips")
    screen = await bob.expect(contains="Low-balance reminder: off", edited=True)
    assert "Security tips: Weekly" in screen.text and "Quiet hours: 22:00–08:00" in screen.text
    assert "PIN-age reminder: 180 days" in screen.text
    # each button says what it sets: no bare, repeated "off"
    labels = [b.removeprefix("✅ ") for b in screen.buttons]
    assert len(labels) == len(set(labels)), labels
    assert {"🔕 No balance reminder", "💡 No tips", "🌙 No quiet hours", "🔐 No new-PIN reminder"} <= set(labels)
    assert "✅ 🌙 Quiet 22:00–08:00" in screen.buttons and "✅ 🔐 New-PIN reminder at 180 days" in screen.buttons

    await bob.press(screen, "¥100.00")
    screen = await bob.expect(contains="below ¥100.00", edited=True)
    await bob.press(screen, "Daily")
    screen = await bob.expect(contains="Security tips: Daily", edited=True)
    await bob.press(screen, "365 days")
    screen = await bob.expect(contains="PIN-age reminder: 365 days", edited=True)
    await bob.press(screen, callback_data="alr:quiet:off")
    screen = await bob.expect(contains="Quiet hours: off", edited=True)
    await bob.press(screen, "Other")
    await bob.expect(contains="Send the amount", edited=True)
    await bob.send("12.345")
    await bob.expect(contains="two decimals")
    await bob.send("80.5")
    screen = await bob.expect(contains="below ¥80.50")
    assert await alert_prefs.prefs(ctx, bob.id) == {"low_balance": 8_050, "tips": "daily", "quiet_start": None,
                                               "quiet_end": None, "pin_age_days": 365, "last_tip": None}

    # crafted presses: refused with a popup, nothing changes
    for data in ("alr:low:1", "alr:tips:hourly", "alr:quiet:9", "alr:pin:7", "alr:low:-5", "alr:x"):
        answer = await crafted(bot, bob, data)
        assert answer.show_alert and "Nothing was changed" in answer.text, data
    assert (await alert_prefs.prefs(ctx, bob.id))["low_balance"] == 8_050

    # a round of the alerts job: ¥50.00 is below ¥80.50, one reminder with a top-up button
    done = await alerts_once(bot)
    assert [d["alert"] for d in done] == ["low_balance"]
    reminder = await bob.expect(contains="Low balance")
    assert "¥50.00" in reminder.text and "¥80.50" in reminder.text
    assert await alerts_once(bot) == []  # once a day
    assert [m.id for m in await bob.messages() if "Low balance" in m.text] == [reminder.id]
    await bob.press(reminder, "Top up")
    await bob.expect(contains="How much do you want to add")
    await bob.send("/cancel")

    await bob.send("/tip")
    first = await bob.expect(contains="Security tip")
    await bob.send("/tip")
    second = await bob.expect(contains="Security tip", where=lambda m: m.id != first.id)
    assert first.text != second.text  # never the same twice in a row
    await bob.send("/help")
    await bob.expect(contains="/tip")

    # Monday 09:00 in Shanghai: the weekly summary, with the month's bill chart as a photo
    ctx.clock.advance(seconds=(datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc) - ctx.now()).total_seconds())
    done = await alerts_once(bot)
    assert "weekly" in [d["alert"] for d in done]
    assert bot.job_queue.get_jobs_by_name("alerts")  # registered with the other jobs
    week = await bob.expect(contains="Your week", where=lambda m: bool(m.raw.get("photo")))
    assert "Money in: ¥50.00" in week.text and "Top-up" in week.text
    await scan_secrets(bob)


async def is_blocked(ctx, user_id: int) -> bool:
    return await read(ctx, lambda c: c.scalar(select(users.c.blocked_bot).where(users.c.id == user_id)))


async def until(check, expected, timeout: float = 10) -> None:
    for _ in range(int(timeout / 0.05)):
        if await check() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still not {expected!r} after {timeout} s")


async def test_a_person_who_blocked_the_bot_is_marked_and_skipped(bot, ctx, people, alice, bob):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob, balance=100)
    await alert_prefs.set_prefs(ctx, bob.id, low_balance=1_000, tips="off", quiet=None)
    await bob.send("/start")
    await bob.expect()
    await bob.block_bot()  # Telegram tells the bot (my_chat_member): bob is marked
    await until(lambda: is_blocked(ctx, bob.id), True)
    # had that update been missed, the reminder is answered 403: bob is marked, the notice dropped
    await people_service.mark_blocked(ctx, bob.id, False)
    done = await alerts_once(bot)
    assert [(d["alert"], d["user_id"]) for d in done] == [("low_balance", bob.id)]
    assert await outbox.pending(ctx) == []
    assert await is_blocked(ctx, bob.id) is True
    # from then on: no alerts for bob, and a notice of a money event is dropped without a try
    ctx.clock.advance(days=1)
    assert [d for d in await alerts.run_due(ctx) if d["user_id"] == bob.id] == []
    await transfers.send(ctx, key="to-bob", sender_id=alice.id, recipient_id=bob.id, amount=300, pin=PIN)
    ctx.clock.advance(hours=25)
    await transfers.expire_due(ctx)
    counts = await drain_once(bot)
    assert counts["dropped"] >= 1 and await outbox.pending(ctx) == []
    assert not [m for m in await bob.messages() if "Low balance" in m.text]
    # bob unblocks the bot: he is unmarked, and tomorrow's reminder comes
    await bob.block_bot(False)
    await until(lambda: is_blocked(ctx, bob.id), False)
    ctx.clock.advance(days=1)
    assert ("low_balance", bob.id) in [(d["alert"], d["user_id"]) for d in await alerts_once(bot)]
    await bob.expect(contains="Low balance")
    await alice.send("/tip")  # in Chinese for alice
    await alice.expect(contains="安全小贴士")
    await scan_secrets(alice)
