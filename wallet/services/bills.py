"""Balance and bills (账单): what a person sees of their own money. Read-only: every function
runs in one consistent snapshot (``uow.read``) with SQLAlchemy Core.

A bill line is one journal transaction that touched one of the person's own accounts (wallet,
savings). Its ``amount`` is signed from the person's side: money in is positive, money out is
negative. It is the change of the wallet account when the transaction touched the wallet,
otherwise the change of the savings account (so moving money into savings shows once, as
wallet money out, and interest shows as savings money in).

A withdrawal fee is not a line of its own: it is the ``fee`` field of the withdrawal line
(signed like ``amount``: -10 when ¥0.10 is charged, +10 if it is ever given back), and
``amount`` is the whole change of the wallet, fee included. The monthly summary counts the
fee part under the group 'fee' and the rest under the line's own group, so the sum of the
lines' amounts is always the summary's net.

A line carries its reference number (交易单号: local date and time, then the journal id) and
the status of what it refers to (transfer, red packet, bank operation; 'paid' for a payment to
a shop, whose name it carries too). Lines can be filtered by group (``kind``), local month,
direction (money in / out) or a time range; ``bill`` is one line (the detail).

Months and times are local (``rules.timezone``, Asia/Shanghai by default).
"""
from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet.context import Context
from wallet.errors import BillNotFound, InvalidMonth, WalletNotOpen
from wallet.models import (TRANSFER_PENDING, accounts, bank_ops, cards, entries, journal, payments, red_packets, shops,
                           transfers, users)
from wallet.money import format_amount
from wallet.uow import read

# Journal kind -> bill group. One table; handlers translate the group names.
KIND_GROUPS: dict[str, str] = {
    "transfer_hold": "transfer",
    "transfer_accept": "transfer",
    "transfer_return": "transfer",
    "transfer_refund": "transfer",
    "transfer_revoke": "transfer",
    "rp_create": "red_packet",
    "rp_claim": "red_packet",
    "rp_refund": "red_packet",
    "topup": "topup",
    "withdraw_hold": "withdraw",
    "withdraw_settle": "withdraw",
    "withdraw_fail": "withdraw",
    "pay": "payment",
    "pay_refund": "payment",
    "savings_in": "savings",
    "savings_out": "savings",
    "interest": "interest",
    "risk_hold": "held",
    "risk_release": "held",
    "risk_return": "held",
}
FEE_GROUP = "fee"
OTHER_GROUP = "other"
# Groups a caller may filter by, in display order.
GROUPS: tuple[str, ...] = ("transfer", "red_packet", "topup", "withdraw", "payment", "savings",
                           "interest", "held", FEE_GROUP, OTHER_GROUP)
DIRECTIONS = ("in", "out")
MAX_PER_PAGE = 100
CSV_HEADER = ("journal_id", "time", "kind", "group", "account", "amount", "fee",
              "counterparty_id", "counterparty_name", "note")

_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


def group_of(kind: str) -> str:
    return KIND_GROUPS.get(kind, OTHER_GROUP)


def _tz(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.rules.timezone)


def month_range(ctx: Context, month: str) -> tuple[datetime, datetime]:
    """'YYYY-MM' -> [start, end) as aware datetimes at local midnight of the month's first day
    and of the next month's first day. Raises InvalidMonth (a ValueError) on bad text."""
    if not isinstance(month, str):
        raise InvalidMonth(text=repr(month))
    m = _MONTH_RE.fullmatch(month.strip())
    if m is None:
        raise InvalidMonth(text=month)
    year, mon = int(m.group(1)), int(m.group(2))
    if not (1 <= mon <= 12) or year < 1970:
        raise InvalidMonth(text=month)
    tz = _tz(ctx)
    start = datetime.combine(datetime(year, mon, 1).date(), time(0), tzinfo=tz)
    nxt = datetime(year + (mon == 12), mon % 12 + 1, 1)
    end = datetime.combine(nxt.date(), time(0), tzinfo=tz)
    return start, end


def current_month(ctx: Context) -> str:
    """The local month of ``ctx.now()`` as 'YYYY-MM'."""
    return ctx.now().astimezone(_tz(ctx)).strftime("%Y-%m")


async def _own_accounts(conn: AsyncConnection, user_id: int) -> dict[str, int]:
    if (await conn.execute(select(users.c.id).where(users.c.id == user_id))).scalar_one_or_none() is None:
        raise WalletNotOpen(user_id=user_id)
    rows = (await conn.execute(
        select(accounts.c.kind, accounts.c.id).where(accounts.c.user_id == user_id))).all()
    return {r.kind: r.id for r in rows}


# --- balance -------------------------------------------------------------------------------
async def balance(ctx: Context, user_id: int) -> dict:
    """The wallet (零钱) balance, the savings balance (0 without a savings account), and, for
    information, money of this person that is on its way out: transfers sent and not yet
    accepted, withdrawals the bank has not confirmed, open red packets' unclaimed rest.
    None of those is part of the balance any more. Amounts in fen."""
    async def body(conn):
        own = await _own_accounts(conn, user_id)
        balances = dict((await conn.execute(
            select(accounts.c.kind, accounts.c.balance).where(accounts.c.user_id == user_id))).all())
        on_hold, pending_n = (await conn.execute(
            select(func.coalesce(func.sum(transfers.c.amount), 0), func.count())
            .where(and_(transfers.c.sender_id == user_id, TRANSFER_PENDING)))).one()
        withdrawing = (await conn.execute(
            select(func.coalesce(func.sum(bank_ops.c.amount), 0))
            .where(and_(bank_ops.c.user_id == user_id, bank_ops.c.kind == "payout",
                        bank_ops.c.status.in_(("pending", "unknown")))))).scalar_one()
        in_packets = (await conn.execute(
            select(func.coalesce(func.sum(
                red_packets.c.total - red_packets.c.claimed_amount - red_packets.c.refunded_amount), 0))
            .where(and_(red_packets.c.sender_id == user_id, red_packets.c.status == "open")))).scalar_one()
        wallet = int(balances.get("wallet", 0))
        savings = int(balances.get("savings", 0))
        return {
            "user_id": user_id,
            "wallet": wallet,
            "savings": savings,
            "has_savings": "savings" in own,
            "total": wallet + savings,
            "on_hold": int(on_hold),
            "pending_transfers": int(pending_n),
            "withdrawing": int(withdrawing),
            "in_red_packets": int(in_packets),
        }

    return await read(ctx, body)


async def waiting_transfers(ctx: Context, user_id: int, *, limit: int = 20) -> list[dict]:
    """Transfers sent to the person that wait for them to accept or return (pending, arrived,
    not expired), newest first. They are not bill lines yet: no entry touches the person's
    accounts until they accept."""
    now = ctx.now()

    async def body(conn):
        await _own_accounts(conn, user_id)
        rows = (await conn.execute(
            select(transfers.c.id, transfers.c.sender_id, transfers.c.amount, transfers.c.note,
                   transfers.c.created_at, transfers.c.arrive_at, transfers.c.expires_at,
                   users.c.first_name)
            .select_from(transfers.join(users, users.c.id == transfers.c.sender_id))
            .where(and_(transfers.c.recipient_id == user_id, TRANSFER_PENDING,
                        transfers.c.arrive_at <= now, transfers.c.expires_at > now))
            .order_by(transfers.c.created_at.desc(), transfers.c.id.desc()).limit(limit))).all()
        tz = _tz(ctx)
        return [{"transfer_id": r.id, "sender_id": r.sender_id, "sender_name": r.first_name,
                 "amount": int(r.amount), "note": r.note, "time": r.created_at.astimezone(tz).isoformat(),
                 "expires_at": r.expires_at.astimezone(tz).isoformat()} for r in rows]

    return await read(ctx, body)


# --- bill lines ----------------------------------------------------------------------------
def _lines_query(own: dict[str, int], *, user_id: int, group: str | None,
                 start: datetime | None, end: datetime | None, fee_ids: list[int],
                 direction: str | None = None, journal_id: int | None = None):
    """(select of the person's bill lines, unordered, without paging; columns named).
    ``direction`` 'in' / 'out' keeps lines whose signed amount is positive / negative."""
    wallet_id = own.get("wallet", -1)
    savings_id = own.get("savings", -1)
    ids = list(own.values())
    per_tx = (
        select(
            entries.c.tx_id.label("tx_id"),
            func.sum(case((entries.c.account_id == wallet_id, entries.c.amount), else_=0)).label("w_amount"),
            func.sum(case((entries.c.account_id == wallet_id, 1), else_=0)).label("w_count"),
            func.sum(case((entries.c.account_id == savings_id, entries.c.amount), else_=0)).label("s_amount"),
        )
        .where(entries.c.account_id.in_(ids))
        .group_by(entries.c.tx_id)
        .subquery("own_tx")
    )
    line_amount = case((per_tx.c.w_count > 0, per_tx.c.w_amount), else_=per_tx.c.s_amount)
    conds = []
    if direction == "in":
        conds.append(line_amount > 0)
    elif direction == "out":
        conds.append(line_amount < 0)
    if journal_id is not None:
        conds.append(journal.c.id == journal_id)
    if start is not None:
        conds.append(journal.c.created_at >= start)
    if end is not None:
        conds.append(journal.c.created_at < end)
    fee_touch = exists().where(and_(entries.c.tx_id == journal.c.id, entries.c.account_id.in_(fee_ids or [-1])))
    if group == FEE_GROUP:
        conds.append(fee_touch)
    elif group == OTHER_GROUP:
        conds.append(journal.c.kind.not_in(list(KIND_GROUPS)))
    elif group is not None:
        conds.append(journal.c.kind.in_([k for k, g in KIND_GROUPS.items() if g == group]))
    from_ = (
        per_tx.join(journal, journal.c.id == per_tx.c.tx_id)
        .outerjoin(transfers, and_(journal.c.ref_type == "transfer", transfers.c.id == journal.c.ref_id))
        .outerjoin(red_packets, and_(journal.c.ref_type == "red_packet", red_packets.c.id == journal.c.ref_id))
        .outerjoin(bank_ops, and_(journal.c.ref_type == "bank_op", bank_ops.c.id == journal.c.ref_id))
        .outerjoin(cards, cards.c.id == bank_ops.c.card_id)
        .outerjoin(payments, and_(journal.c.ref_type == "payment", payments.c.id == journal.c.ref_id))
        .outerjoin(shops, shops.c.id == payments.c.shop_id)
    )
    stmt = select(
        journal.c.id, journal.c.kind, journal.c.created_at, journal.c.user_id.label("j_user"),
        journal.c.counterparty_id, journal.c.note, journal.c.ref_type, journal.c.ref_id,
        per_tx.c.w_amount, per_tx.c.w_count, per_tx.c.s_amount,
        transfers.c.sender_id.label("t_sender"), transfers.c.recipient_id.label("t_recipient"),
        transfers.c.status.label("t_status"),
        red_packets.c.sender_id.label("rp_sender"), red_packets.c.exclusive_user_id.label("rp_exclusive"),
        red_packets.c.greeting.label("rp_greeting"), red_packets.c.status.label("rp_status"),
        bank_ops.c.status.label("b_status"), cards.c.bank_code, cards.c.bank_name_zh,
        cards.c.bank_name_en, cards.c.last4,
        payments.c.shop_id.label("p_shop_id"), shops.c.name.label("p_shop_name"),
    ).select_from(from_)
    if conds:
        stmt = stmt.where(and_(*conds))
    return stmt


def _counterparty(r, user_id: int) -> int | None:
    """The other person of a line, seen from ``user_id``."""
    for cand in (r.j_user, r.counterparty_id):
        if cand is not None and cand != user_id:
            return int(cand)
    if r.ref_type == "transfer" and r.t_sender is not None:
        other = r.t_recipient if r.t_sender == user_id else r.t_sender
        return int(other) if other is not None and other != user_id else None  # None: an untaken inline transfer
    if r.ref_type == "red_packet" and r.rp_sender is not None:
        if r.rp_sender != user_id:
            return int(r.rp_sender)
        if r.rp_exclusive is not None and r.rp_exclusive != user_id:
            return int(r.rp_exclusive)
    return None


async def _fee_accounts(conn: AsyncConnection) -> list[int]:
    return list((await conn.execute(select(accounts.c.id).where(accounts.c.code == "fee_income"))).scalars())


async def _render(ctx: Context, conn: AsyncConnection, rows, *, user_id: int, fee_ids: list[int]) -> list[dict]:
    """Rows of ``_lines_query`` -> bill-line dicts (fees and counterparty names looked up for
    just these rows, in two queries)."""
    tx_ids = [r.id for r in rows]
    fees: dict[int, int] = {}
    if tx_ids and fee_ids:
        for tx_id, amount in (await conn.execute(
                select(entries.c.tx_id, func.sum(entries.c.amount))
                .where(and_(entries.c.tx_id.in_(tx_ids), entries.c.account_id.in_(fee_ids)))
                .group_by(entries.c.tx_id))).all():
            fees[tx_id] = -int(amount)  # fee income up = the person paid a fee
    others = {r.id: _counterparty(r, user_id) for r in rows}
    wanted = {o for o in others.values() if o is not None}
    names: dict[int, str | None] = {}
    if wanted:
        names = dict((await conn.execute(
            select(users.c.id, users.c.first_name).where(users.c.id.in_(wanted)))).all())
    tz = _tz(ctx)
    lines = []
    for r in rows:
        on_wallet = int(r.w_count or 0) > 0
        amount = int(r.w_amount if on_wallet else r.s_amount)
        other = others[r.id]
        card = None
        if r.last4 is not None:
            card = {"bank_code": r.bank_code, "bank_name_zh": r.bank_name_zh,
                    "bank_name_en": r.bank_name_en, "last4": r.last4}
        status = r.t_status or r.rp_status or r.b_status or ("paid" if r.p_shop_id is not None else None)
        lines.append({
            "journal_id": r.id,
            "time": r.created_at.astimezone(tz).isoformat(),
            "kind": r.kind,
            "group": group_of(r.kind),
            "account": "wallet" if on_wallet else "savings",
            "amount": amount,
            "fee": fees.get(r.id, 0),
            "direction": "in" if amount > 0 else "out" if amount < 0 else "none",
            "counterparty_id": other,
            "counterparty_name": names.get(other) if other is not None else None,
            "note": r.note if r.note is not None else r.rp_greeting,
            "ref_type": r.ref_type,
            "ref_id": r.ref_id,
            "ref_status": status,
            "card": card,
            "shop_id": r.p_shop_id,
            "shop_name": r.p_shop_name,
            "reference": reference_of(ctx, r.id, r.created_at),
        })
    return lines


def _check_direction(direction: str | None) -> str | None:
    if direction in (None, "all"):
        return None
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; expected all, in or out")
    return direction


def reference_of(ctx: Context, journal_id: int, created_at: datetime) -> str:
    """The bill's reference number (交易单号): local date and time, then the journal id."""
    return f"{created_at.astimezone(_tz(ctx)):%Y%m%d%H%M%S}{journal_id:010d}"


def journal_id_of_reference(reference: str) -> int | None:
    """The journal id in a reference number (its last 10 digits), or None."""
    ref = (reference or "").strip()
    if not (len(ref) == 24 and ref.isascii() and ref.isdigit()):
        return None
    return int(ref[-10:])


def _check_group(kind: str | None) -> str | None:
    if kind is None:
        return None
    if kind not in GROUPS:
        raise ValueError(f"unknown bill kind {kind!r}; expected one of: {', '.join(GROUPS)}")
    return kind


async def _all_lines(ctx: Context, conn: AsyncConnection, user_id: int, *, month: str | None,
                     group: str | None = None, start: datetime | None = None, end: datetime | None = None,
                     direction: str | None = None, oldest_first: bool = False) -> list[dict]:
    if month is not None:
        start, end = month_range(ctx, month)
    own = await _own_accounts(conn, user_id)
    if not own:
        return []
    fee_ids = await _fee_accounts(conn)
    stmt = _lines_query(own, user_id=user_id, group=group, start=start, end=end, fee_ids=fee_ids,
                        direction=direction)
    order = ((journal.c.created_at, journal.c.id) if oldest_first
             else (journal.c.created_at.desc(), journal.c.id.desc()))
    rows = (await conn.execute(stmt.order_by(*order))).all()
    return await _render(ctx, conn, rows, user_id=user_id, fee_ids=fee_ids)


async def lines_between(conn: AsyncConnection, ctx: Context, user_id: int, start: datetime | None,
                        end: datetime | None, *, kind: str | None = None, direction: str | None = None,
                        oldest_first: bool = True) -> list[dict]:
    """Every bill line of the person in [start, end) (aware datetimes; None: unbounded), inside
    the caller's read transaction (``uow.read``), oldest first unless told otherwise."""
    return await _all_lines(ctx, conn, user_id, month=None, group=_check_group(kind), start=start, end=end,
                            direction=_check_direction(direction), oldest_first=oldest_first)


async def bill(ctx: Context, user_id: int, journal_id: int) -> dict:
    """One bill line of the person's own, with its reference number; BillNotFound for a
    transaction that is not theirs (the same answer as for one that does not exist)."""
    async def body(conn):
        own = await _own_accounts(conn, user_id)
        if not own or type(journal_id) is not int:
            raise BillNotFound(journal_id=journal_id if type(journal_id) is int else 0)
        fee_ids = await _fee_accounts(conn)
        stmt = _lines_query(own, user_id=user_id, group=None, start=None, end=None, fee_ids=fee_ids,
                            journal_id=journal_id)
        rows = (await conn.execute(stmt)).all()
        if not rows:
            raise BillNotFound(journal_id=journal_id)
        return (await _render(ctx, conn, rows, user_id=user_id, fee_ids=fee_ids))[0]

    return await read(ctx, body)


async def balance_after(ctx: Context, user_id: int, journal_id: int) -> int:
    """The balance of the account a bill line is on (wallet, else savings) right after that
    transaction, entries in a statement's order (time, then id); BillNotFound as ``bill``."""
    if type(journal_id) is not int:
        raise BillNotFound(journal_id=0)

    async def body(conn):
        own = await _own_accounts(conn, user_id)
        found = (await conn.execute(
            select(journal.c.created_at, entries.c.account_id)
            .select_from(journal.join(entries, entries.c.tx_id == journal.c.id))
            .where(and_(journal.c.id == journal_id, entries.c.account_id.in_(list(own.values()) or [-1]))))).all()
        if not found:
            raise BillNotFound(journal_id=journal_id)
        at, touched = found[0].created_at, {r.account_id for r in found}
        account = own["wallet"] if own.get("wallet") in touched else own["savings"]
        return int((await conn.execute(
            select(func.coalesce(func.sum(entries.c.amount), 0))
            .select_from(entries.join(journal, journal.c.id == entries.c.tx_id))
            .where(and_(entries.c.account_id == account,
                        or_(journal.c.created_at < at, and_(journal.c.created_at == at, journal.c.id <= journal_id))))
        )).scalar_one())

    return await read(ctx, body)


async def bills(ctx: Context, user_id: int, *, page: int = 1, per_page: int = 10,
                kind: str | None = None, month: str | None = None, direction: str | None = None) -> dict:
    """One page of the person's bill lines, newest first. ``kind`` is a group name (see
    GROUPS); ``month`` is local 'YYYY-MM'; ``direction`` all (None) / in / out. A page past
    the end is empty, not an error."""
    group = _check_group(kind)
    direction = _check_direction(direction)
    if not isinstance(page, int) or page < 1:
        raise ValueError("page must be an integer ≥ 1")
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be an integer in 1..{MAX_PER_PAGE}")
    start, end = month_range(ctx, month) if month is not None else (None, None)
    month = month.strip() if month is not None else None

    async def body(conn):
        own = await _own_accounts(conn, user_id)
        total = 0
        lines: list[dict] = []
        if own:
            fee_ids = await _fee_accounts(conn)
            stmt = _lines_query(own, user_id=user_id, group=group, start=start, end=end, fee_ids=fee_ids,
                                direction=direction)
            total = int((await conn.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())
            rows = (await conn.execute(
                stmt.order_by(journal.c.created_at.desc(), journal.c.id.desc())
                .limit(per_page).offset((page - 1) * per_page))).all()
            lines = await _render(ctx, conn, rows, user_id=user_id, fee_ids=fee_ids)
        pages = max(1, math.ceil(total / per_page))
        return {
            "user_id": user_id, "month": month, "kind": group, "direction": direction or "all",
            "page": page, "per_page": per_page, "total": total, "pages": pages,
            "has_prev": page > 1, "has_next": page < pages,
            "items": lines,
        }

    return await read(ctx, body)


def summarize(lines: list[dict]) -> dict:
    """Money in and out by group for bill lines (the fee part of a line counts under 'fee')."""
    groups: dict[str, dict[str, int]] = {}

    def add(group: str, amount: int) -> None:
        g = groups.setdefault(group, {"in": 0, "out": 0, "count": 0})
        if amount > 0:
            g["in"] += amount
        elif amount < 0:
            g["out"] += -amount

    for line in lines:
        fee = line["fee"]
        add(line["group"], line["amount"] - fee)
        groups[line["group"]]["count"] += 1
        if fee:
            add(FEE_GROUP, fee)
            groups[FEE_GROUP]["count"] += 1
    total_in = sum(g["in"] for g in groups.values())
    total_out = sum(g["out"] for g in groups.values())
    ordered = {name: groups[name] for name in GROUPS if name in groups}
    return {"groups": ordered, "total_in": total_in, "total_out": total_out,
            "net": total_in - total_out, "count": len(lines)}


async def monthly_summary(ctx: Context, user_id: int, month: str) -> dict:
    """Money in and money out in a local month, by group, with totals and net (fen; ``out``
    is a positive number). ``net`` equals the sum of that month's bill-line amounts."""
    month_range(ctx, month)  # validate before touching the database

    async def body(conn):
        lines = await _all_lines(ctx, conn, user_id, month=month)
        return {"user_id": user_id, "month": month.strip(), **summarize(lines)}

    return await read(ctx, body)


def _cell(text: object) -> str:
    """A user-typed text cell, made safe against spreadsheet formula injection."""
    if text is None:
        return ""
    s = str(text)
    if s and s[0] in "=+-@\t\r":
        return "'" + s
    return s


async def export_csv(ctx: Context, user_id: int, month: str | None = None, *,
                     start: datetime | None = None, end: datetime | None = None) -> str:
    """The bills (all, one local month, or [start, end)) as CSV text, newest first, amounts in
    yuan."""
    if month is not None:
        month_range(ctx, month)

    async def body(conn):
        return await _all_lines(ctx, conn, user_id, month=month, start=start, end=end)

    lines = await read(ctx, body)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for line in lines:
        w.writerow([
            line["journal_id"], line["time"], line["kind"], line["group"], line["account"],
            format_amount(line["amount"], symbol=False), format_amount(line["fee"], symbol=False),
            line["counterparty_id"] if line["counterparty_id"] is not None else "",
            _cell(line["counterparty_name"]), _cell(line["note"]),
        ])
    return out.getvalue()
