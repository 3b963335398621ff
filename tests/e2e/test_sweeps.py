"""The scheduled sweeps through the real bot and the emulator: an expired transfer and an
expired red packet are refunded once, and the people are told in their own language."""
from __future__ import annotations

import pytest

from jobs.sweeps import sweep_once
from tests.wallet.helpers import PIN, make_person, wallet_balance
from wallet.services import red_packets, transfers


@pytest.fixture
def bot(bot, ctx):
    """The running bot, its wallet swapped for the suite's (same database, a fake clock)."""
    own = bot.bot_data["wallet"]
    bot.bot_data["wallet"] = ctx
    yield bot
    bot.bot_data["wallet"] = own


async def test_expired_transfer_and_red_packet_are_refunded_and_told(bot, ctx, alice, bob):
    await alice.send(text="/start")
    await bob.send(text="/start")
    await make_person(ctx, alice.id, balance=5_000, language="zh-CN")
    await make_person(ctx, bob.id, language="en")
    await transfers.send(ctx, key="t1", sender_id=alice.id, recipient_id=bob.id, amount=1_200, pin=PIN)
    await red_packets.create(ctx, key="rp1", sender_id=alice.id, kind="lucky", amount=300, shares=3, pin=PIN)
    assert await wallet_balance(ctx, alice.id) == 3_500

    ctx.clock.advance(hours=25)
    first = await sweep_once(bot)
    second = await sweep_once(bot)
    assert len(first["transfers"]) == 1 and len(first["red_packets"]) == 1
    assert second == {"transfers": [], "red_packets": [], "bank_ops": []}
    assert await wallet_balance(ctx, alice.id) == 5_000

    await alice.expect(contains="¥12.00", regex="退回你的零钱")
    await alice.expect(contains="¥3.00", regex="红包")
    await bob.expect(contains="¥12.00", regex="went back")


async def test_a_person_who_blocked_the_bot_is_marked(bot, ctx, alice, bob):
    from wallet.services import people

    await bob.send(text="/start")
    await make_person(ctx, alice.id, balance=1_000)
    await make_person(ctx, bob.id)
    await transfers.send(ctx, key="t1", sender_id=alice.id, recipient_id=bob.id, amount=100, pin=PIN)
    await bob.block_bot()
    ctx.clock.advance(hours=25)
    await sweep_once(bot)  # alice never wrote to the bot, bob blocked it: both 403
    from wallet.models import users
    from wallet.uow import read
    from sqlalchemy import select

    async def blocked(conn):
        return dict((await conn.execute(select(users.c.id, users.c.blocked_bot))).all())
    flags = await read(ctx, blocked)
    assert flags[alice.id] is True and flags[bob.id] is True
    assert (await people.profile(ctx, alice.id))["frozen"] is False
    assert await wallet_balance(ctx, alice.id) == 1_000
