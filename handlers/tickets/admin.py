"""Abnormal-transaction reports, the admins' side (admins: ``Settings.admin_ids``,
``WALLET_ADMIN_IDS``), in an admin's private chat.

Each new report reaches every admin as a card (through the outbox) with Reply (asks for the text,
sent to the reporter), Resolve, Freeze (the account on the other side of the bill:
handlers/tickets/admin_freeze.py) and Evidence (the evidence CSV and PDF); ``/tickets`` lists the
open ones (``ShowCard``: the card again). The buttons (``tka:<verb>:<ticket id>``) are stated in
handlers/tickets/callbacks.py. Anyone else pressing a ``tka:`` button,
or sending crafted ``tka:`` data, gets a popup and nothing changes (the wallet checks the admin
list too: ``NotAdmin``). Every change is an event the reporter is told of by the notice job.

The reply's conversation (``register_reply``) is the first flow bot/app.py registers: an admin who
pressed Reply gets their next text taken as the reply whatever other flow waits for text (an
unfinished opening of their own wallet, a payment's amount…). /cancel leaves it; so does going to
another flow (``entry.activate``: /start while opening a wallet shows that step again and takes the
text from then on).
"""
from __future__ import annotations

import logging
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, ConversationHandler
from telegram.helpers import escape

from chat.i18n import lang_of, t
from handlers.tickets.callbacks import Evidence, Reply, Resolve, ShowCard, button, is_admin_press
from handlers.tickets.cards import admin_ids, admin_press, card, is_admin, notify_soon, refused, send_pack
from handlers.tickets.draft import ReplyDraft
from handlers.ui import common as ui
from handlers.ui import entry
from wallet.errors import TicketClosed, TicketInvalid, WalletError
from wallet.services import tickets

log = logging.getLogger("handlers.tickets.admin")

FEATURE = ReplyDraft.FEATURE
REPLY = "tka.reply"


async def on_show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ticket_id = await admin_press(update, context, ShowCard)
    if ticket_id is None:
        return
    try:
        text, markup = await card(context.application, ui.user_id(update), ticket_id)
    except WalletError as err:
        await refused(update, context, err)
        return
    await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _redraw(update: Update, context: ContextTypes.DEFAULT_TYPE, ticket_id: int) -> None:
    text, markup = await card(context.application, ui.user_id(update), ticket_id)
    try:
        await update.callback_query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except Exception:  # noqa: BLE001 - not modified, or the card is gone
        pass


async def on_resolve(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ticket_id = await admin_press(update, context, Resolve)
    if ticket_id is None:
        return
    uid = ui.user_id(update)
    try:
        done = await tickets.resolve(ui.wallet(context), key=ui.op_key(update, "ticket_resolve", f"t{ticket_id}"),
                                     admin_id=uid, admin_ids=admin_ids(context), ticket_id=ticket_id)
    except WalletError as err:
        await refused(update, context, err)
        return
    log.info("admin=%s op=ticket_resolve ticket=%s", uid, ticket_id)
    await update.callback_query.answer(await ui.text(update, context, "tka.resolved", number=done["number"]))
    await _redraw(update, context, ticket_id)
    notify_soon(context)


async def on_evidence(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ticket_id = await admin_press(update, context, Evidence)
    if ticket_id is None:
        return
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    try:
        pack = await tickets.evidence(ui.wallet(context), ticket_id, viewer_id=ui.user_id(update),
                                      admin_ids=admin_ids(context))
    except WalletError as err:
        await refused(update, context, err)
        return
    await update.callback_query.answer()
    await send_pack(context, update.effective_chat.id, pack, lang, tz.key)


# --- reply: the text -------------------------------------------------------------------------------
async def reply_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    ticket_id = await admin_press(update, context, Reply)
    if ticket_id is None:
        return None
    try:
        x = await tickets.get(ui.wallet(context), ticket_id, viewer_id=ui.user_id(update), admin_ids=admin_ids(context))
        if x["status"] != "open":
            raise TicketClosed(number=x["number"])
    except WalletError as err:
        await refused(update, context, err)
        return None
    await update.callback_query.answer()
    ReplyDraft.start(context, ticket_id=ticket_id, number=x["number"])
    entry.activate(update, FEATURE)
    await context.bot.send_message(update.effective_chat.id,
                                   await ui.text(update, context, "tka.reply_ask", number=x["number"]))
    return REPLY


async def reply_text(update: Update, context: ContextTypes.DEFAULT_TYPE):
    draft = ReplyDraft.load(context)
    uid = ui.user_id(update)
    if draft is None or not is_admin(context, uid):
        ReplyDraft.drop(context)
        return ConversationHandler.END
    try:
        await tickets.reply(ui.wallet(context), key=ui.op_key(update, "ticket_reply", draft), admin_id=uid,
                            admin_ids=admin_ids(context), ticket_id=draft.ticket_id,
                            text=update.effective_message.text or "")
    except TicketInvalid as err:
        await update.effective_message.reply_text(await ui.explain(update, context, err))
        return None
    except WalletError as err:
        ReplyDraft.drop(context)
        await update.effective_message.reply_text(await ui.explain(update, context, err))
        return ConversationHandler.END
    log.info("admin=%s op=ticket_reply ticket=%s", uid, draft.ticket_id)
    ReplyDraft.drop(context)
    await update.effective_message.reply_text(await ui.text(update, context, "tka.replied", number=draft.number))
    notify_soon(context)
    return ConversationHandler.END


# --- /tickets for an admin -------------------------------------------------------------------------
async def show_open(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The open reports, oldest first, each with a button to its card (handlers/tickets/report.py
    sends admins here from ``/tickets``)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    if context.user_data is not None and "lang" not in context.user_data:
        context.user_data["lang"] = lang_of(update.effective_user)
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    uid = ui.user_id(update)
    found = await tickets.open_tickets(ui.wallet(context), admin_id=uid, admin_ids=admin_ids(context))
    lines = [t(lang, "tka.list_title", count=len(found)) if found else t(lang, "tka.list_none")]
    for x in found:
        lines.append(t(lang, "tka.list_line", number=x["number"], name=escape(x["reporter_name"] or "-"),
                       reason=t(lang, f"ticket.reason.{x['reason']}"),
                       opened=ui.local_time(datetime.fromisoformat(x["created_at"]), tz)))
    rows = [[button(x["number"], ShowCard(x["ticket_id"]))] for x in found[:20]]
    await context.bot.send_message(update.effective_chat.id, "\n".join(lines), parse_mode=ParseMode.HTML,
                                   reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A ``tka:`` press nothing above took (crafted data): refused, nothing changes."""
    if await admin_press(update, context) is not None:
        await update.callback_query.answer(await ui.text(update, context, "confirm.stale"), show_alert=True)


def register_reply(app: Application) -> None:
    """Reply → the text: before every other flow (bot/app.py), so no text step of another flow
    takes the reply."""
    app.add_handler(ui.conversation(
        FEATURE, entry_points=[CallbackQueryHandler(reply_start, pattern=Reply.pattern())],
        states={REPLY: [entry.FlowText(FEATURE, reply_text)]}))


def register(app: Application) -> None:
    """The other admin buttons (the reply's conversation: ``register_reply``)."""
    app.add_handler(CallbackQueryHandler(on_show, pattern=ShowCard.pattern()))
    app.add_handler(CallbackQueryHandler(on_resolve, pattern=Resolve.pattern()))
    app.add_handler(CallbackQueryHandler(on_evidence, pattern=Evidence.pattern()))
    app.add_handler(CallbackQueryHandler(stale, pattern=is_admin_press))
