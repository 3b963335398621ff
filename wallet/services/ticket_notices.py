"""The outbox notices of abnormal-transaction tickets (wallet/services/tickets.py writes them in
the transaction of each change). Language-free: catalog msgids, fen, ISO times and typed
parameters that jobs/outbox.py renders for each reader; ``buttons`` name their actions
(``outbox.action``: ``tka.<verb>`` for admins, ``ticket.show`` for the reporter, each with the
ticket id), which the chat turns into its buttons (handlers/tickets/callbacks.py ``OUTBOX_ACTIONS``).
Keys: ``sys:notice:ticket:<event id>:<reader id>``, one notice per event and reader.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from wallet import outbox
from wallet.models import users
from wallet.uow import internal_key


def key_of(event_id: int, reader_id: int) -> str:
    return internal_key("notice", "ticket", event_id, reader_id)


async def tell_reporter(conn, t, *, number: str, event_id: int, kind: str, text: str | None, now: datetime) -> None:
    """The reporter's notice of what an admin did (a reply's text under it), with a View button."""
    await outbox.enqueue(conn, key=key_of(event_id, t.reporter_id), user_id=t.reporter_id,
                         msgid=f"ticket.notice.{kind}", now=now, number=number, note=text,
                         buttons=[[["ticket.view", outbox.action("ticket.show", ticket_id=t.id)]]])


def party(line: dict):
    """The other side of a bill, for any reader (chat/render/labels.party, language-free)."""
    if line.get("shop_name") and line["amount"] < 0:
        return line["shop_name"]
    if line.get("counterparty_name"):
        return line["counterparty_name"]
    card = line.get("card")
    if card:
        return {"msgid": "party.bank", "last4": card["last4"],
                "bank": {"langs": {"zh_CN": card["bank_name_zh"], "en": card["bank_name_en"]}}}
    return "-"


async def tell_admin(conn, t, *, number: str, event_id: int, kind: str, admin_id: int, line: dict | None,
                     now: datetime) -> None:
    """One admin's notice of what a reporter did: the report's card (with its buttons while it
    is open), or that the reporter froze their wallet."""
    key = key_of(event_id, admin_id)
    if kind != "opened":
        await outbox.enqueue(conn, key=key, user_id=admin_id, msgid="tka.notice.self_freeze", now=now,
                             number=number)
        return
    name = (await conn.execute(select(users.c.first_name).where(users.c.id == t.reporter_id))).scalar_one_or_none()
    buttons = [[[f"tka.button.{verb}", outbox.action(f"tka.{verb}", ticket_id=t.id)] for verb in row]
               for row in (("reply", "resolve"), ("freeze", "evidence"))]
    await outbox.enqueue(
        conn, key=key, user_id=admin_id, msgid="tka.card", now=now, number=number,
        status={"msgid": f"ticket.status.{t.status}"}, name=name or "-", reporter_id=t.reporter_id,
        time={"time": line["time"]}, kind={"msgid": f"bill.group.{line['group']}"},
        amount={"fen": line["amount"], "signed": True}, party=party(line), reference=line["reference"],
        reason={"msgid": f"ticket.reason.{t.reason}"}, details=t.details or "-",
        buttons=buttons if t.status == "open" else [])
