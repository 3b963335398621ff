"""The outbox: notices that follow a money event, written in the same database transaction as
the event, so a crash between the commit and the send loses no notice.

    await outbox.enqueue(conn, key=internal_key("notice", "transfer_refunded", t.id, "sender"),
                         user_id=t.sender_id, msgid="notice.transfer_refunded_sender", now=now,
                         amount=t.amount, counterparty_id=t.recipient_id)

A notice names a catalog text (``msgid``) and its parameters; amounts stay fen (int) and people
stay ids (``*_id``) until the sender renders them in the reader's language. One notice per key:
enqueueing the same key twice keeps the first. A notice's buttons name what they do, not how the
chat encodes it: ``[msgid, action("ticket.show", ticket_id=5)]``; the chat maps each action to its
button (jobs/outbox.py, with the actions each feature's ``callbacks.py`` offers).

Senders (``jobs/outbox.py``) ``claim`` due notices with a lease: on PostgreSQL the rows are
taken with ``FOR UPDATE SKIP LOCKED``, so two bot processes never take the same notice; on
SQLite the claim is one write transaction (one writer at a time). A claimed notice is then
``sent``, ``retry``-ed later (429's retry_after, back-off on 5xx and network errors), or
``dropped`` (the person blocked the bot). A sender that dies holding a lease leaves its notices
to be taken again when the lease runs out: delivery is at least once, and exactly once unless a
process dies between Telegram's answer and marking the notice sent.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet.context import Context
from wallet.models import outbox
from wallet.uow import insert_ignore, require_stored_key, transaction

LEASE_SECONDS = 60


def action(name: str, **fields: int | str) -> dict:
    """A button's action in a notice: what pressing it does (``"ticket.show"``) and its fields."""
    return {"act": name, **fields}


async def enqueue(conn: AsyncConnection, *, key: str, user_id: int, msgid: str, now: datetime,
                  **params: Any) -> None:
    """Write one notice in the caller's transaction (it commits or rolls back with the event)."""
    require_stored_key(key)
    await conn.execute(insert_ignore(conn, outbox, key=key, user_id=user_id, msgid=msgid,
                                     params=json.dumps(params, sort_keys=True, default=str),
                                     status="pending", attempts=0, not_before=now, created_at=now))


async def claim(ctx: Context, *, limit: int = 50, lease_seconds: int = LEASE_SECONDS) -> list[dict]:
    """Take up to ``limit`` due notices for this sender, oldest first, under a lease."""
    async def body(conn):
        now = ctx.now()
        stmt = (select(outbox).where(and_(
            outbox.c.status == "pending", outbox.c.not_before <= now,
            or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now)))
            .order_by(outbox.c.id).limit(limit))
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = (await conn.execute(stmt)).all()
        if not rows:
            return []
        await conn.execute(outbox.update().where(outbox.c.id.in_([r.id for r in rows]))
                           .values(claimed_until=now + timedelta(seconds=lease_seconds),
                                   attempts=outbox.c.attempts + 1))
        return [{"id": r.id, "key": r.key, "user_id": r.user_id, "msgid": r.msgid,
                 "params": json.loads(r.params), "attempts": r.attempts + 1} for r in rows]

    return await transaction(ctx, body)


async def _finish(ctx: Context, notice_id: int, **values) -> None:
    async def body(conn):
        await conn.execute(outbox.update().where(and_(outbox.c.id == notice_id, outbox.c.status == "pending"))
                           .values(claimed_until=None, **values))
    await transaction(ctx, body)


async def mark_sent(ctx: Context, notice_id: int) -> None:
    await _finish(ctx, notice_id, status="sent", sent_at=ctx.now())


async def retry(ctx: Context, notice_id: int, *, after_seconds: float, error: str) -> None:
    await _finish(ctx, notice_id, not_before=ctx.now() + timedelta(seconds=after_seconds), last_error=error[:128])


async def drop(ctx: Context, notice_id: int, *, error: str) -> None:
    await _finish(ctx, notice_id, status="dropped", last_error=error[:128])


async def pending(ctx: Context) -> list[dict]:
    """Every notice not yet sent or dropped (for tests and the operator)."""
    from wallet.uow import read

    async def body(conn):
        rows = await conn.execute(select(outbox).where(outbox.c.status == "pending").order_by(outbox.c.id))
        return [dict(r._mapping) for r in rows]
    return await read(ctx, body)
