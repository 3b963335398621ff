"""What the chat's error handler rests on: which operations the current task asked for
(``wallet.attempts``) and which of them committed (``wallet.services.outcomes``); and the snapshot
reads (``uow.read``) begin with their isolation level in the same statement on PostgreSQL."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from tests.wallet.helpers import make_person
from wallet import attempts, errors, uow
from wallet.services import outcomes, people


async def test_keys_asked_for_in_a_task_and_which_committed(ctx):
    await make_person(ctx, 1)
    attempts.begin()
    await people.freeze(ctx, user_id=1, key="f1")
    try:
        await people.unfreeze(ctx, user_id=1, key="u1", pin="000000", id_number="x", sms_code="1")
    except errors.WalletError:
        pass  # refused: nothing committed under this key
    asked = attempts.current()
    assert asked == ("u1:freeze:f1", "u1:unfreeze:u1")
    assert await outcomes.finished(ctx, asked) == ["u1:freeze:f1"]


async def test_each_task_keeps_its_own_record(ctx):
    await make_person(ctx, 1)
    await make_person(ctx, 2)

    async def one(uid: int) -> tuple[str, ...]:
        attempts.begin()
        await asyncio.sleep(0)
        await people.freeze(ctx, user_id=uid, key=f"k{uid}")
        return attempts.current()

    first, second = await asyncio.gather(one(1), one(2))
    assert first == ("u1:freeze:k1",) and second == ("u2:freeze:k2",)


async def test_outside_a_record_nothing_is_kept(ctx):
    await make_person(ctx, 3)

    async def job():
        await people.freeze(ctx, user_id=3, key="j")
        return attempts.current()

    assert await asyncio.create_task(job()) == ()  # a fresh task with no record open


async def test_reads_are_one_snapshot_read_only_on_postgresql(ctx):
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's isolation levels (SQLite reads run in a deferred BEGIN)")

    async def body(conn):
        level = (await conn.execute(text("SHOW transaction_isolation"))).scalar()
        read_only = (await conn.execute(text("SHOW transaction_read_only"))).scalar()
        return level, read_only

    assert await uow.read(ctx, body) == ("repeatable read", "on")
