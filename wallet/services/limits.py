"""Real-name tier caps on money going out (transfers, red packets, payments): the cap rule and the
outgoing kinds are ``transfer_rules``' (``cap_exceeded``, ``OUTGOING_KINDS``), checked here on the
general paths."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet.context import Context
from wallet.errors import LimitExceeded
from wallet.models import entries, journal
from wallet.services.transfer_rules import OUTGOING_KINDS, cap_exceeded


def local_day_start(ctx: Context, now: datetime) -> datetime:
    tz = ZoneInfo(ctx.rules.timezone)
    return datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)


async def _spent_since(conn: AsyncConnection, account_id: int, since: datetime) -> int:
    return -int((await conn.execute(
        select(func.coalesce(func.sum(entries.c.amount), 0))
        .select_from(entries.join(journal, journal.c.id == entries.c.tx_id))
        .where(and_(entries.c.account_id == account_id, journal.c.kind.in_(OUTGOING_KINDS),
                    journal.c.created_at >= since, entries.c.amount < 0))
    )).scalar_one())


async def _spent_day_and_year(conn: AsyncConnection, account_id: int, day: datetime, year: datetime) -> tuple[int, int]:
    """Money gone out since the start of the day and of the year, in one pass over the year."""
    day_used, year_used = (await conn.execute(
        select(func.coalesce(func.sum(case((journal.c.created_at >= day, entries.c.amount), else_=0)), 0),
               func.coalesce(func.sum(entries.c.amount), 0))
        .select_from(entries.join(journal, journal.c.id == entries.c.tx_id))
        .where(and_(entries.c.account_id == account_id, journal.c.kind.in_(OUTGOING_KINDS),
                    journal.c.created_at >= year, entries.c.amount < 0))
    )).one()
    return -int(day_used), -int(year_used)


async def check_outgoing(ctx: Context, conn: AsyncConnection, account_id: int, amount: int) -> None:
    now = ctx.now()
    day = local_day_start(ctx, now)
    year = day.replace(month=1, day=1)
    day_used, year_used = await _spent_day_and_year(conn, account_id, day, year)
    caps = {"day": (ctx.rules.daily_cap_verified, day_used), "year": (ctx.rules.yearly_cap_verified, year_used)}
    period = cap_exceeded(day_used, year_used, amount, day_cap=caps["day"][0], year_cap=caps["year"][0])
    if period is not None:
        cap, used = caps[period]
        raise LimitExceeded(period=period, cap=cap, used=used, requested=amount)
