"""The outbox on the real database: notices commit or roll back with their event, one per key,
and two senders (two engines, as two bot processes) never take the same notice."""
from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import make_context
from tests.wallet.helpers import PIN, make_person
from wallet import outbox
from wallet.db import create_engine
from wallet.services import transfers
from wallet.uow import internal_key, transaction


async def test_a_notice_rolls_back_with_its_event(ctx):
    async def failing(conn):
        await outbox.enqueue(conn, key=internal_key("notice", "x", 1), user_id=1, msgid="notice.someone", now=ctx.now())
        raise RuntimeError("the event failed")

    with pytest.raises(RuntimeError):
        await transaction(ctx, failing)
    assert await outbox.pending(ctx) == []

    async def twice(conn):
        for _ in range(2):
            await outbox.enqueue(conn, key=internal_key("notice", "x", 1), user_id=1, msgid="notice.someone",
                                 now=ctx.now(), amount=5)

    await transaction(ctx, twice)
    assert [n["user_id"] for n in await outbox.pending(ctx)] == [1]


async def test_ending_a_transfer_writes_its_notices_on_both_paths(ctx):
    for uid in (11, 12):
        await make_person(ctx, uid, balance=10_000)
    sent = [await transfers.send(ctx, key=f"s{i}", sender_id=11, recipient_id=12, amount=100 + i, pin=PIN)
            for i in range(3)]
    await transfers.accept(ctx, key="a", user_id=12, transfer_id=sent[0]["transfer_id"])  # fast path on PostgreSQL
    await transfers.give_back(ctx, key="r", user_id=12, transfer_id=sent[1]["transfer_id"])
    ctx.clock.advance(hours=25)
    await transfers.expire_due(ctx)
    notices = [(n["user_id"], n["msgid"], n["params"]) for n in await outbox.pending(ctx)]
    assert [(u, m, json.loads(p)) for u, m, p in notices] == [
        (11, "notice.transfer_accepted_sender", {"amount": 100, "counterparty_id": 12}),
        (11, "notice.transfer_returned_sender", {"amount": 101, "counterparty_id": 12}),
        (11, "notice.transfer_refunded_sender", {"amount": 102, "counterparty_id": 12}),
        (12, "notice.transfer_refunded_recipient", {"amount": 102, "counterparty_id": 11}),
    ]


async def test_two_senders_never_take_the_same_notice(ctx, database_url):
    async def fill(conn):
        for i in range(300):
            await outbox.enqueue(conn, key=internal_key("notice", "load", i), user_id=i, msgid="notice.someone",
                                 now=ctx.now())

    await transaction(ctx, fill)
    other_engine = create_engine(database_url, pool_size=5, max_overflow=0)
    other = make_context(other_engine)
    other.clock = ctx.clock
    taken: dict[str, list[int]] = {"a": [], "b": []}

    async def sender(name, c):
        while True:
            batch = await outbox.claim(c, limit=7)
            if not batch:
                return
            for n in batch:
                taken[name].append(n["id"])
                await outbox.mark_sent(c, n["id"])
            await asyncio.sleep(0)

    try:
        await asyncio.gather(sender("a", ctx), sender("b", other), sender("a", ctx), sender("b", other))
    finally:
        await other_engine.dispose()
    everyone = taken["a"] + taken["b"]
    assert len(everyone) == 300 and len(set(everyone)) == 300
    assert taken["a"] and taken["b"]
    assert await outbox.pending(ctx) == []
