"""Whether operations asked for went through: the answer an error message rests on
("nothing was paid" / "it went through").

``finished(ctx, keys)`` takes scoped idempotency keys (``wallet.attempts.current()``) and returns
those whose operation committed: its row in ``operations`` exists with a result (a run that
failed stores nothing, DESIGN §2)."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from wallet.context import Context
from wallet.models import operations
from wallet.uow import read


async def finished(ctx: Context, keys: Iterable[str]) -> list[str]:
    """The keys among ``keys`` whose operation committed, in the order given."""
    wanted = [k for k in dict.fromkeys(keys) if isinstance(k, str) and 0 < len(k) <= 255]
    if not wanted:
        return []

    async def body(conn):
        rows = await conn.execute(select(operations.c.key).where(
            operations.c.key.in_(wanted), operations.c.result != ""))
        return {r.key for r in rows}

    done = await read(ctx, body)
    return [k for k in wanted if k in done]
