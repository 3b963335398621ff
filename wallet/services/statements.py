"""Statements (对账单) and the figures behind the bill charts, from the bill lines of
``bills``. Read-only, each in one snapshot (``uow.read``).

A statement is of the wallet (零钱) account over local days [first, last]: the opening balance
(every wallet entry before the first day's local midnight), the wallet's bill lines of the
period oldest first, and the closing balance (every wallet entry before the midnight after the
last day). All three come from one snapshot and the same ``journal.created_at`` bounds, so
``opening + sum(lines) == closing`` holds by construction; it is checked anyway.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet import ledger
from wallet.context import Context
from wallet.errors import InvalidDateRange
from wallet.models import entries, journal
from wallet.services import bills
from wallet.uow import read

RANGE_MAX_DAYS = 366
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_day(text: str) -> date:
    """'YYYY-MM-DD' (a local calendar day) -> date; InvalidDateRange(format) otherwise."""
    m = _DATE_RE.fullmatch((text or "").strip()) if isinstance(text, str) else None
    if m is None:
        raise InvalidDateRange(reason="format")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise InvalidDateRange(reason="format") from None


def day_range(ctx: Context, first: date, last: date) -> tuple[datetime, datetime]:
    """Local days first..last inclusive -> [start, end) aware datetimes."""
    if first > last:
        raise InvalidDateRange(reason="order")
    if (last - first).days + 1 > RANGE_MAX_DAYS:
        raise InvalidDateRange(reason="too_long", limit=RANGE_MAX_DAYS)
    tz = ZoneInfo(ctx.rules.timezone)
    return (datetime.combine(first, time(0), tzinfo=tz),
            datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))


def _period(ctx: Context, month: str | None, first: date | None, last: date | None):
    if month is not None:
        start, end = bills.month_range(ctx, month)
        return start, end, start.date(), (end - timedelta(days=1)).date()
    if first is None or last is None:
        raise ValueError("give a month or both first and last")
    start, end = day_range(ctx, first, last)
    return start, end, first, last


async def _wallet_sum_before(conn: AsyncConnection, account_id: int, when: datetime) -> int:
    return int((await conn.execute(
        select(func.coalesce(func.sum(entries.c.amount), 0))
        .select_from(entries.join(journal, journal.c.id == entries.c.tx_id))
        .where(and_(entries.c.account_id == account_id, journal.c.created_at < when)))).scalar_one())


async def statement(ctx: Context, user_id: int, *, month: str | None = None, first: date | None = None,
                    last: date | None = None) -> dict:
    """The wallet account's statement for a local month ('YYYY-MM') or days first..last."""
    start, end, first, last = _period(ctx, month, first, last)

    async def body(conn):
        lines = [ln for ln in await bills.lines_between(conn, ctx, user_id, start, end)
                 if ln["account"] == "wallet"]
        wallet_id = await ledger.wallet_account(conn, user_id)
        opening = await _wallet_sum_before(conn, wallet_id, start)
        closing = await _wallet_sum_before(conn, wallet_id, end)
        total_in = sum(ln["amount"] for ln in lines if ln["amount"] > 0)
        total_out = -sum(ln["amount"] for ln in lines if ln["amount"] < 0)
        if opening + total_in - total_out != closing:  # pragma: no cover - would be a ledger bug
            raise AssertionError(f"statement of {user_id} does not reconcile: "
                                 f"{opening} + {total_in} - {total_out} != {closing}")
        return {
            "user_id": user_id, "month": month.strip() if month else None,
            "first": first.isoformat(), "last": last.isoformat(),
            "opening": opening, "closing": closing, "total_in": total_in, "total_out": total_out,
            "net": total_in - total_out, "count": len(lines), "fees": -sum(ln["fee"] for ln in lines),
            "lines": lines,
        }

    return await read(ctx, body)


async def export_range_csv(ctx: Context, user_id: int, first: date, last: date) -> str:
    """The bills of local days first..last as CSV text (``bills.export_csv``'s columns)."""
    start, end = day_range(ctx, first, last)
    return await bills.export_csv(ctx, user_id, start=start, end=end)


def _months_back(month: str, n: int) -> list[str]:
    year, mon = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out[::-1]


async def chart_data(ctx: Context, user_id: int, *, month: str | None = None, months: int = 6) -> dict:
    """What the monthly chart shows: money in and out for each of the ``months`` local months
    ending with ``month`` (default: this month), oldest first, and the month's spending by
    group (fees apart), both as in ``bills.summarize``."""
    month = (month or bills.current_month(ctx)).strip()
    bills.month_range(ctx, month)
    if not 1 <= months <= 24:
        raise ValueError("months must be in 1..24")
    names = _months_back(month, months)
    start = bills.month_range(ctx, names[0])[0]
    end = bills.month_range(ctx, names[-1])[1]

    async def body(conn):
        lines = await bills.lines_between(conn, ctx, user_id, start, end)
        by_month: dict[str, list[dict]] = {m: [] for m in names}
        for ln in lines:
            by_month[ln["time"][:7]].append(ln)  # local time, ISO: 'YYYY-MM-…'
        series = []
        for m in names:
            s = bills.summarize(by_month[m])
            series.append({"month": m, "in": s["total_in"], "out": s["total_out"], "net": s["net"],
                           "count": s["count"]})
        this = bills.summarize(by_month[month])
        spending = {g: v["out"] for g, v in this["groups"].items() if v["out"] > 0}
        return {"user_id": user_id, "month": month, "series": series, "spending": spending,
                "total_in": this["total_in"], "total_out": this["total_out"], "net": this["net"]}

    return await read(ctx, body)
