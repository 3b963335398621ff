"""What the reports' messages show, shared by the reporter's flow (handlers/tickets/report.py) and the
admins' (handlers/tickets/admin.py): a bill as one line, the admin's card of a report (the
notice of a new report is the same card, written by the wallet to the outbox), and the evidence
pack as documents; who the admins are, an admin's press (``admin_press``, ``refused``), and
sending the outbox at once.
"""
from __future__ import annotations

import logging
from datetime import datetime

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, ContextTypes
from telegram.helpers import escape

from chat.i18n import DEFAULT, LANGUAGES, lang_of, normalize, t
from chat.render import safe
from chat.render.csv_export import evidence_csv
from chat.render.evidence_pdf import evidence_pdf
from chat.render.labels import group_name, party
from handlers.tickets.callbacks import AdminButton, Evidence, FreezeAsk, Reply, Resolve, button
from handlers.ui import common as ui
from wallet.errors import NotAdmin, WalletError, WalletNotOpen
from wallet.services import people, tickets

JOB_NAME = "outbox"  # jobs/outbox.py
log = logging.getLogger("handlers.tickets.admin")


def admin_ids(context_or_app) -> tuple[int, ...]:
    return tuple(context_or_app.bot_data["settings"].admin_ids or ())


def is_admin(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> bool:
    return user_id in admin_ids(context)


def notify_soon(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the outbox now instead of at its next tick (the notices are rows already)."""
    queue = context.job_queue
    jobs = queue.get_jobs_by_name(JOB_NAME) if queue is not None else ()
    if jobs:
        context.application.create_task(jobs[0].run(context.application), name="outbox_now")


async def reader(app: Application, user_id: int) -> tuple[str, str]:
    """(language, time zone name) of someone the job writes to: the wallet's when they have one,
    else the language they last chose in the chat, else the default."""
    wallet = app.bot_data["wallet"]
    try:
        p = await people.profile(wallet, user_id)
        return normalize(p.get("language") or DEFAULT), ui.zone(p.get("timezone"), wallet.rules.timezone).key
    except WalletNotOpen:
        chosen = (app.user_data.get(user_id) or {}).get("lang")
        return (chosen if chosen in LANGUAGES else DEFAULT), wallet.rules.timezone


async def admin_press(update: Update, context: ContextTypes.DEFAULT_TYPE,
                      kind: type[AdminButton] | None = None) -> int | None:
    """The ticket id of an admin's press of a ``kind`` button (its handler's pattern parsed it; 0
    without a kind: the catch-all of ``tka:`` presses); anyone else gets a popup and None."""
    query = update.callback_query
    uid = ui.user_id(update)
    if not is_admin(context, uid):
        log.warning("user=%s pressed %r: not an admin, refused", uid, query.data)
        await query.answer(await ui.explain(update, context, NotAdmin(user_id=uid)), show_alert=True)
        return None
    if context.user_data is not None and "lang" not in context.user_data:
        context.user_data["lang"] = lang_of(update.effective_user)  # the notices' language
    press = kind.parse(query.data) if kind is not None else None
    return press.ticket_id if press is not None else 0


async def refused(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError) -> None:
    await update.callback_query.answer(await ui.explain(update, context, err), show_alert=True)


async def card(app: Application, admin_id: int, ticket_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """An admin's card of a report: who, which bill, what is wrong; buttons while it is open."""
    wallet = app.bot_data["wallet"]
    lang, tz = await reader(app, admin_id)
    pack = await tickets.evidence(wallet, ticket_id, viewer_id=admin_id, admin_ids=admin_ids(app))
    x, bill = pack["ticket"], pack["bill"]
    try:
        name = (await people.profile(wallet, x["reporter_id"]))["first_name"] or "-"
    except WalletNotOpen:
        name = "-"
    when = ui.local_time(datetime.fromisoformat(bill["time"]), ui.zone(tz))
    text = t(lang, "tka.card", number=x["number"], status=t(lang, f"ticket.status.{x['status']}"),
             name=escape(name), reporter_id=x["reporter_id"], time=when, kind=group_name(lang, bill["group"]),
             amount=("+" if bill["amount"] > 0 else "") + ui.money(bill["amount"]),
             party=escape(party(lang, bill) or "-"), reference=bill["reference"],
             reason=t(lang, f"ticket.reason.{x['reason']}"), details=escape(x.get("details") or "-"))
    if x["status"] != "open":
        return text, None
    tid = x["ticket_id"]
    rows = [[button(t(lang, "tka.button.reply"), Reply(tid)), button(t(lang, "tka.button.resolve"), Resolve(tid))],
            [button(t(lang, "tka.button.freeze"), FreezeAsk(tid)),
             button(t(lang, "tka.button.evidence"), Evidence(tid))]]
    return text, InlineKeyboardMarkup(rows)


def signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + ui.money(fen)


def bill_line(lang: str, line: dict, tz) -> str:
    """"11-28 20:00 Transfer -¥42.00 Bob" (a picker button, a summary line)."""
    when = ui.local_time(datetime.fromisoformat(line["time"]), tz, "%m-%d %H:%M")
    who = party(lang, line)
    text = f"{when} {group_name(lang, line['group'])} {signed(line['amount'])}"
    return f"{text} {who[:16]}" if who else text


async def send_pack(context: ContextTypes.DEFAULT_TYPE, chat_id: int, pack: dict, lang: str, tz: str) -> None:
    """The evidence pack as two documents: a CSV (a spreadsheet) and a PDF (to print or forward),
    drawn off the event loop. The CSV always goes; a PDF that cannot be made (no CJK font, any
    drawing error) is replaced by a message saying why."""
    number = pack["ticket"]["number"]
    caption = t(lang, "ticket.evidence_caption", number=number, count=pack["count"], days=pack["days"])
    pdf, why = await safe.draw(f"evidence pdf ticket={pack['ticket']['ticket_id']}", evidence_pdf, pack, lang,
                               timezone=tz)
    await context.bot.send_document(chat_id, InputFile(evidence_csv(pack, lang, timezone=tz),
                                                       filename=f"evidence-{number}.csv"), caption=caption)
    if pdf is None:
        await context.bot.send_message(chat_id, safe.missing(lang, "render.missing.evidence_pdf", why))
        return
    await context.bot.send_document(chat_id, InputFile(pdf, filename=f"evidence-{number}.pdf"))
