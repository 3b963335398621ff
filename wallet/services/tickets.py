"""Abnormal-transaction tickets (异常交易申诉).

A person opens a ticket about one of their own bills (a journal transaction that touched their
account): a reason from a fixed set, optional free text. The ticket has a human number
(``YYYYMMDD-NNNNN``: the local day it was opened and its id). At most one ticket about a bill
is open at a time per person (a unique index, so a double tap opens one).

Admins (their ids come from the settings; the caller passes them, ``wallet`` knows no
settings) reply, resolve, or freeze the counterparty's account (``people.freeze``). The
reporter may freeze their own account from the ticket (a stolen phone). Every change is a row
of ``ticket_events``; ``notified_at`` NULL means the other side has not been told yet: the
admins for what the reporter did (opened, self_freeze), the reporter for what an admin did.

The notices go through the outbox (``wallet.outbox``), written in the transaction of each event
with keys ``sys:notice:ticket:<event id>:<reader id>``: the reporter's at once; the admins' when
the caller passes ``admin_ids``, the event then marked ``notified_at``. An event opened while no
admin is configured stays unmarked; ``tell_missed`` (the notice job's catch-up) writes those
later, once (wallet/services/ticket_notices.py: what each notice holds). ``undelivered`` lists
the events whose notices are not written yet.

The evidence pack is the bill and the person's bill lines ``EVIDENCE_DAYS`` days around it.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from wallet.context import Context
from wallet.errors import (NotAdmin, TicketClosed, TicketExists, TicketInvalid, TicketNoCounterparty,
                           TicketNotFound)
from wallet.models import ticket_events, tickets, users
from wallet.services import bills, people
from wallet.services import ticket_notices as notices
from wallet.services.subkeys import step_key
from wallet.uow import caller_key, idempotent, insert_ignore, read, transaction

REASONS = ("not_me", "wrong_amount", "not_received", "duplicate", "scam", "other")
DETAILS_MAX = 500
TEXT_MAX = 1000
EVIDENCE_DAYS = 7
# events the reporter did (the admins are told) and those an admin did (the reporter is told)
REPORTER_EVENTS = ("opened", "self_freeze")
ADMIN_EVENTS = ("reply", "resolved", "freeze_counterparty")


def number_of(ctx: Context, ticket_id: int, created_at: datetime) -> str:
    return f"{created_at.astimezone(ZoneInfo(ctx.rules.timezone)):%Y%m%d}-{ticket_id:05d}"


def ticket_id_of(number: str) -> int | None:
    """The ticket id in a ticket number (or a bare id), or None."""
    tail = (number or "").strip().lstrip("#").rsplit("-", 1)[-1]
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) <= 12 else None


def _clean(text: str | None, limit: int, reason: str) -> str | None:
    text = unicodedata.normalize("NFC", text or "").strip()
    if len(text) > limit:
        raise TicketInvalid(reason=reason, limit=limit)
    # keep line breaks, drop other control characters
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C") or None


def _require_admin(admin_id: int, admin_ids: Iterable[int]) -> None:
    if admin_id not in set(admin_ids or ()):
        raise NotAdmin(user_id=admin_id)


def _view(ctx: Context, t) -> dict:
    return {
        "ticket_id": t.id, "number": number_of(ctx, t.id, t.created_at), "reporter_id": t.reporter_id,
        "journal_id": t.tx_id, "counterparty_id": t.counterparty_id, "reason": t.reason,
        "details": t.details, "status": t.status, "created_at": t.created_at.isoformat(),
        "updated_at": t.updated_at.isoformat(),
        "resolved_at": t.resolved_at.isoformat() if t.resolved_at else None,
    }


def _event_view(e) -> dict:
    return {"event_id": e.id, "ticket_id": e.ticket_id, "actor_id": e.actor_id, "kind": e.kind,
            "text": e.text, "created_at": e.created_at.isoformat(),
            "notified_at": e.notified_at.isoformat() if e.notified_at else None}


async def _load(conn, ticket_id: int, *, lock: bool = True):
    stmt = select(tickets).where(tickets.c.id == ticket_id)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    t = (await conn.execute(stmt)).one_or_none()
    if t is None:
        raise TicketNotFound(ticket_id=ticket_id)
    return t


async def _event(ctx: Context, conn, ticket_id: int, *, actor_id: int | None, kind: str,
                 text: str | None = None, admin_ids: Iterable[int] = (), line: dict | None = None) -> None:
    """Record one change of a ticket and write its notices (the same transaction)."""
    now = ctx.now()
    res = await conn.execute(ticket_events.insert().values(ticket_id=ticket_id, actor_id=actor_id, kind=kind,
                                                           text=text, created_at=now))
    await conn.execute(tickets.update().where(tickets.c.id == ticket_id).values(updated_at=now))
    event_id = res.inserted_primary_key[0]
    await _tell(ctx, conn, ticket_id, event_id, kind, text, admin_ids, line)


async def _tell(ctx: Context, conn, ticket_id: int, event_id: int, kind: str, text: str | None,
                admin_ids: Iterable[int], line: dict | None) -> bool:
    """Mark one event told and write its notices; False (nothing written) for what a reporter
    did while no admin is configured, or an event told already."""
    readers = sorted(set(admin_ids or ())) if kind in REPORTER_EVENTS else None
    if readers == []:  # kept for the admins to come (tell_missed)
        return False
    res = await conn.execute(ticket_events.update().where(and_(
        ticket_events.c.id == event_id, ticket_events.c.notified_at.is_(None))).values(notified_at=ctx.now()))
    if res.rowcount != 1:  # told already (another process's catch-up)
        return False
    t = await _load(conn, ticket_id, lock=False)
    number = number_of(ctx, t.id, t.created_at)
    if readers is None:
        await notices.tell_reporter(conn, t, number=number, event_id=event_id, kind=kind, text=text, now=ctx.now())
    for admin_id in readers or ():
        await notices.tell_admin(conn, t, number=number, event_id=event_id, kind=kind, admin_id=admin_id,
                                 line=line, now=ctx.now())
    return True


# --- the reporter --------------------------------------------------------------------------
async def open_ticket(ctx: Context, *, key: str, reporter_id: int, journal_id: int, reason: str,
                      details: str | None = None, admin_ids: Iterable[int] = ()) -> dict:
    """A ticket about one of the reporter's own bills. BillNotFound for anyone else's;
    TicketExists while one about that bill is open. Each of ``admin_ids`` is sent its card."""
    if reason not in REASONS:
        raise TicketInvalid(reason="reason")
    details = _clean(details, DETAILS_MAX, "details_too_long")
    line = await bills.bill(ctx, reporter_id, journal_id)

    async def body(conn):
        now = ctx.now()
        new_id = (await conn.execute(insert_ignore(
            conn, tickets, reporter_id=reporter_id, tx_id=journal_id, counterparty_id=line["counterparty_id"],
            reason=reason, details=details, status="open", created_at=now, updated_at=now,
        ).returning(tickets.c.id))).scalar_one_or_none()
        if new_id is None:
            other = (await conn.execute(select(tickets).where(and_(
                tickets.c.reporter_id == reporter_id, tickets.c.tx_id == journal_id,
                tickets.c.status == "open")))).one()
            raise TicketExists(number=number_of(ctx, other.id, other.created_at))
        await _event(ctx, conn, new_id, actor_id=reporter_id, kind="opened", text=details, admin_ids=admin_ids,
                     line=line)
        return {**_view(ctx, await _load(conn, new_id)), "bill": line}

    return await idempotent(ctx, key=caller_key(key, op="ticket_open", user_id=reporter_id), op="ticket_open", user_id=reporter_id,
                            request={"journal_id": journal_id, "reason": reason, "details": details}, fn=body)


async def freeze_self(ctx: Context, *, key: str, user_id: int, ticket_id: int,
                      admin_ids: Iterable[int] = ()) -> dict:
    """The reporter freezes their own account from the ticket (no PIN, like people.freeze);
    ``admin_ids`` are told."""
    t = await read(ctx, lambda conn: _load(conn, ticket_id, lock=False))
    if t.reporter_id != user_id:
        raise TicketNotFound(ticket_id=ticket_id)
    await people.freeze(ctx, key=step_key(key, "freeze"), user_id=user_id)

    async def body(conn):
        await _load(conn, ticket_id)
        await _event(ctx, conn, ticket_id, actor_id=user_id, kind="self_freeze", admin_ids=admin_ids)
        return {"ticket_id": ticket_id, "user_id": user_id, "frozen": True}

    return await idempotent(ctx, key=caller_key(key, op="ticket_self_freeze", user_id=user_id), op="ticket_self_freeze", user_id=user_id,
                            request={"ticket_id": ticket_id}, fn=body)


async def mine(ctx: Context, user_id: int, *, limit: int = 20) -> list[dict]:
    """The person's tickets, newest first."""
    async def body(conn):
        rows = (await conn.execute(select(tickets).where(tickets.c.reporter_id == user_id)
                                   .order_by(tickets.c.id.desc()).limit(limit))).all()
        return [_view(ctx, t) for t in rows]
    return await read(ctx, body)


async def get(ctx: Context, ticket_id: int, *, viewer_id: int, admin_ids: Iterable[int] = ()) -> dict:
    """A ticket with its events, for its reporter or an admin (anyone else: TicketNotFound)."""
    async def body(conn):
        t = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).one_or_none()
        if t is None or (t.reporter_id != viewer_id and viewer_id not in set(admin_ids or ())):
            raise TicketNotFound(ticket_id=ticket_id)
        events = (await conn.execute(select(ticket_events).where(ticket_events.c.ticket_id == ticket_id)
                                     .order_by(ticket_events.c.id))).all()
        return {**_view(ctx, t), "events": [_event_view(e) for e in events]}
    return await read(ctx, body)


# --- admins --------------------------------------------------------------------------------
async def open_tickets(ctx: Context, *, admin_id: int, admin_ids: Iterable[int], limit: int = 50) -> list[dict]:
    """Open tickets, oldest first, with the reporter's name (admins only)."""
    _require_admin(admin_id, admin_ids)

    async def body(conn):
        rows = (await conn.execute(
            select(tickets, users.c.first_name.label("reporter_name"))
            .select_from(tickets.join(users, users.c.id == tickets.c.reporter_id))
            .where(tickets.c.status == "open").order_by(tickets.c.id).limit(limit))).all()
        return [{**_view(ctx, t), "reporter_name": t.reporter_name} for t in rows]
    return await read(ctx, body)


async def _admin_change(ctx: Context, *, key: str, op: str, admin_id: int, admin_ids: Iterable[int],
                        ticket_id: int, kind: str, text: str | None, resolve: bool = False) -> dict:
    _require_admin(admin_id, admin_ids)

    async def body(conn):
        t = await _load(conn, ticket_id)
        if t.status != "open":
            raise TicketClosed(number=number_of(ctx, t.id, t.created_at))
        if resolve:
            now = ctx.now()
            res = await conn.execute(tickets.update()
                                     .where(and_(tickets.c.id == ticket_id, tickets.c.status == "open"))
                                     .values(status="resolved", resolved_at=now))
            if res.rowcount != 1:  # pragma: no cover - the row is locked (PG) / writes serialised (SQLite)
                raise TicketClosed(number=number_of(ctx, t.id, t.created_at))
        await _event(ctx, conn, ticket_id, actor_id=admin_id, kind=kind, text=text)
        return _view(ctx, await _load(conn, ticket_id))

    return await idempotent(ctx, key=caller_key(key, op=op, user_id=admin_id), op=op, user_id=admin_id,
                            request={"ticket_id": ticket_id, "text": text}, fn=body)


async def reply(ctx: Context, *, key: str, admin_id: int, admin_ids: Iterable[int], ticket_id: int,
                text: str) -> dict:
    text = _clean(text, TEXT_MAX, "text_too_long")
    if text is None:
        raise TicketInvalid(reason="text_empty")
    return await _admin_change(ctx, key=key, op="ticket_reply", admin_id=admin_id, admin_ids=admin_ids,
                               ticket_id=ticket_id, kind="reply", text=text)


async def resolve(ctx: Context, *, key: str, admin_id: int, admin_ids: Iterable[int], ticket_id: int,
                  text: str | None = None) -> dict:
    text = _clean(text, TEXT_MAX, "text_too_long")
    return await _admin_change(ctx, key=key, op="ticket_resolve", admin_id=admin_id, admin_ids=admin_ids,
                               ticket_id=ticket_id, kind="resolved", text=text, resolve=True)


async def freeze_counterparty(ctx: Context, *, key: str, admin_id: int, admin_ids: Iterable[int],
                              ticket_id: int) -> dict:
    """Freeze the account on the other side of the ticket's bill (people.freeze), then record
    it. Two transactions; a retry with the same key replays the freeze and records it once."""
    _require_admin(admin_id, admin_ids)
    t = await read(ctx, lambda conn: _load(conn, ticket_id, lock=False))
    number = number_of(ctx, t.id, t.created_at)
    if t.status != "open":
        raise TicketClosed(number=number)
    if t.counterparty_id is None or t.counterparty_id == t.reporter_id:
        raise TicketNoCounterparty(number=number)
    await people.freeze(ctx, key=step_key(key, "freeze"), user_id=t.counterparty_id)
    view = await _admin_change(ctx, key=key, op="ticket_freeze_cp", admin_id=admin_id, admin_ids=admin_ids,
                               ticket_id=ticket_id, kind="freeze_counterparty", text=None)
    return {**view, "frozen_user_id": t.counterparty_id}


# --- telling people ------------------------------------------------------------------------
async def undelivered(ctx: Context, *, limit: int = 100, reporter_events: bool = True) -> list[dict]:
    """Events whose notices are not written yet (a report or a self-freeze while no admin was
    configured), oldest first, each with ``audience`` and the ticket (``reporter_events=False``:
    only what an admin did)."""
    async def body(conn):
        where = ticket_events.c.notified_at.is_(None)
        if not reporter_events:
            where = and_(where, ticket_events.c.kind.in_(ADMIN_EVENTS))
        rows = (await conn.execute(
            select(ticket_events, tickets.c.reporter_id, tickets.c.status.label("ticket_status"),
                   tickets.c.created_at.label("ticket_created_at"))
            .select_from(ticket_events.join(tickets, tickets.c.id == ticket_events.c.ticket_id))
            .where(where).order_by(ticket_events.c.id).limit(limit))).all()
        return [{**_event_view(e), "audience": "admins" if e.kind in REPORTER_EVENTS else "reporter",
                 "reporter_id": e.reporter_id, "ticket_status": e.ticket_status,
                 "number": number_of(ctx, e.ticket_id, e.ticket_created_at)} for e in rows]
    return await read(ctx, body)


async def tell_missed(ctx: Context, admin_ids: Iterable[int], *, limit: int = 100) -> int:
    """Write the notices of the events nobody was told of yet (a report opened while no admin
    was configured; or an event from before the notices were written with it), once: each
    event is marked in the same transaction and the outbox keys are those of ``_tell``, so two
    processes (or a retry) write each notice once. Returns how many events were told."""
    admins = sorted(set(admin_ids or ()))
    todo = await undelivered(ctx, limit=limit, reporter_events=bool(admins))
    if not todo:
        return 0
    lines = {}
    for e in todo:
        if e["kind"] == "opened":
            t = await read(ctx, lambda conn, tid=e["ticket_id"]: _load(conn, tid, lock=False))
            lines[e["event_id"]] = await bills.bill(ctx, t.reporter_id, t.tx_id)

    async def body(conn):
        told = 0
        for e in todo:
            told += await _tell(ctx, conn, e["ticket_id"], e["event_id"], e["kind"], e["text"], admins,
                                lines.get(e["event_id"]))
        return told

    return await transaction(ctx, body)


async def mark_delivered(ctx: Context, event_ids: Iterable[int]) -> int:
    """Mark events as told without writing notices (an operator's tool)."""
    ids = list(event_ids)
    if not ids:
        return 0

    async def body(conn):
        res = await conn.execute(ticket_events.update()
                                 .where(and_(ticket_events.c.id.in_(ids), ticket_events.c.notified_at.is_(None)))
                                 .values(notified_at=ctx.now()))
        return res.rowcount

    return await transaction(ctx, body)


# --- the evidence pack ---------------------------------------------------------------------
async def evidence(ctx: Context, ticket_id: int, *, viewer_id: int, admin_ids: Iterable[int] = (),
                   days: int = EVIDENCE_DAYS) -> dict:
    """The ticket, its bill, and the reporter's bill lines ``days`` days either side of the
    bill (oldest first), for the reporter or an admin."""
    ticket = await get(ctx, ticket_id, viewer_id=viewer_id, admin_ids=admin_ids)
    line = await bills.bill(ctx, ticket["reporter_id"], ticket["journal_id"])
    at = datetime.fromisoformat(line["time"])
    start, end = at - timedelta(days=days), at + timedelta(days=days)

    async def body(conn):
        return await bills.lines_between(conn, ctx, ticket["reporter_id"], start, end)

    around = await read(ctx, body)
    return {"ticket": ticket, "bill": line, "lines": around, "days": days,
            "from": start.isoformat(), "to": end.isoformat(),
            "count": len(around), "total_in": sum(x["amount"] for x in around if x["amount"] > 0),
            "total_out": -sum(x["amount"] for x in around if x["amount"] < 0)}


async def count_open(ctx: Context) -> int:
    async def body(conn):
        return int((await conn.execute(select(func.count()).select_from(tickets)
                                       .where(tickets.c.status == "open"))).scalar_one())
    return await read(ctx, body)
