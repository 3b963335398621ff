"""Chat state kept for the bot (its persistence): JSON documents by (kind, name, key).

Nothing here knows Telegram; ``bot/persistence.py`` adapts it to python-telegram-bot. Money state
never lives here (drafts that matter are rows of their own), and neither do PINs.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from wallet.context import Context
from wallet.models import chat_state
from wallet.uow import read, transaction


async def load(ctx: Context, kind: str, name: str = "") -> dict[str, Any]:
    """Every document of ``kind`` (and conversation ``name``): {key: decoded JSON}."""
    async def body(conn):
        rows = await conn.execute(select(chat_state.c.key, chat_state.c.data).where(
            and_(chat_state.c.kind == kind, chat_state.c.name == name)))
        return {r.key: json.loads(r.data) for r in rows}
    return await read(ctx, body)


async def save(ctx: Context, items: list[tuple[str, str, str, Any]]) -> None:
    """Upsert (kind, name, key, value) documents in one transaction; a value of None deletes."""
    if not items:
        return
    now = ctx.now()

    async def body(conn):
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        for kind, name, key, value in items:
            where = and_(chat_state.c.kind == kind, chat_state.c.name == name, chat_state.c.key == key)
            if value is None:
                await conn.execute(delete(chat_state).where(where))
                continue
            data = json.dumps(value, ensure_ascii=False, sort_keys=True)
            stmt = dialect.insert(chat_state).values(kind=kind, name=name, key=key, data=data, updated_at=now)
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[chat_state.c.kind, chat_state.c.name, chat_state.c.key],
                set_={"data": data, "updated_at": now}))

    await transaction(ctx, body)
