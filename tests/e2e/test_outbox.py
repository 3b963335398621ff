"""Notices through the outbox, with the real bot and the emulator: written with the money event,
delivered after a bot that was down starts, through 429s and 5xx, once each."""
from __future__ import annotations

import asyncio

from bot.settings import Settings
from jobs.outbox import drain_once
from tests.e2e.steps import running_bot
from tests.wallet.helpers import PIN, make_person
from wallet import outbox
from wallet.services import transfers


async def _refund_one(ctx, alice, bob, amount=1_200):
    await make_person(ctx, alice.id, balance=5_000, language="zh-CN")
    await make_person(ctx, bob.id, language="en")
    await transfers.send(ctx, key="t1", sender_id=alice.id, recipient_id=bob.id, amount=amount, pin=PIN)
    ctx.clock.advance(hours=25)
    assert len(await transfers.expire_due(ctx)) == 1


async def _count(person, text):
    return sum(text in m.text for m in await person.messages() if m.from_bot)


async def test_notices_written_while_no_bot_runs_arrive_once_when_it_starts(emulator, tmp_path, ctx, people, alice, bob):
    await alice.send(text="/start")  # both have a private chat with the bot (queued until it runs)
    await bob.send(text="/start")
    await _refund_one(ctx, alice, bob)  # the refund commits with its notices; no bot is running
    assert sorted(n["msgid"] for n in await outbox.pending(ctx)) == [
        "notice.transfer_refunded_recipient", "notice.transfer_refunded_sender"]

    settings = Settings(database_url=ctx.engine.url.render_as_string(hide_password=False),
                        sandbox_bank_path=tmp_path / "bank.json", sweep_interval_seconds=3600)
    async with running_bot(emulator, settings):  # the bot starts now, on the same database
        await alice.expect(contains="¥12.00", regex="退回你的零钱", since=0)
        await bob.expect(contains="¥12.00", regex="went back", since=0)
        await asyncio.sleep(2.5)  # more rounds of the outbox job: nothing is sent twice
        assert await outbox.pending(ctx) == []
        assert await _count(alice, "¥12.00") == 1 and await _count(bob, "¥12.00") == 1


async def test_429_and_5xx_delay_a_notice_but_it_arrives_once(bot, ctx, people, alice, bob):
    own, bot.bot_data["wallet"] = bot.bot_data["wallet"], ctx
    try:
        for person in (alice, bob):
            await person.send(text="/start")
            await person.expect()
        await people.rate_limit(count=1, retry_after=30, methods=["sendMessage"])
        await people.server_error(count=2, status=502, methods=["sendMessage"])
        await _refund_one(ctx, alice, bob)
        rounds = []
        for _ in range(12):
            rounds.append(await drain_once(bot))
            if not await outbox.pending(ctx):
                break
            ctx.clock.advance(seconds=301)  # past any back-off or retry_after
        assert sum(r["retried"] for r in rounds) == 3, rounds
        assert sum(r["sent"] for r in rounds) == 2, rounds
        await alice.expect(contains="¥12.00", since=0)
        await bob.expect(contains="¥12.00", since=0)
        assert await _count(alice, "¥12.00") == 1 and await _count(bob, "¥12.00") == 1
    finally:
        bot.bot_data["wallet"] = own
