"""An admin freezes the account on the other side of a report's bill: ``FreezeAsk`` (``tka:freeze:<id>``,
on the report's card) asks first, ``FreezeYes`` (``tka:freezeok:<id>``) freezes
(``tickets.freeze_counterparty``, one idempotency key per admin and report: a double tap replays),
``FreezeNo`` (``tka:freezeno:<id>``) leaves it (handlers/tickets/callbacks.py).
Registered before handlers/tickets/admin.py, whose catch-all refuses any other ``tka:`` press.
"""
from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from chat.i18n import t
from handlers.tickets.callbacks import FreezeAsk, FreezeNo, FreezeYes, button
from handlers.tickets.cards import admin_ids, admin_press, notify_soon, refused
from handlers.ui import common as ui
from wallet.errors import TicketClosed, TicketNoCounterparty, WalletError
from wallet.services import tickets

log = logging.getLogger("handlers.tickets.admin_freeze")


async def on_freeze(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The first press asks: freezing someone stops their wallet until they unfreeze it
    themselves (PIN, SMS code, ID number), so a stray tap must not do it. Why there is nothing
    to freeze (a closed report, a bill with nobody on the other side) is told at once."""
    ticket_id = await admin_press(update, context, FreezeAsk)
    if ticket_id is None:
        return
    try:
        x = await tickets.get(ui.wallet(context), ticket_id, viewer_id=ui.user_id(update),
                              admin_ids=admin_ids(context))
        if x["status"] != "open":
            raise TicketClosed(number=x["number"])
        if x["counterparty_id"] is None or x["counterparty_id"] == x["reporter_id"]:
            raise TicketNoCounterparty(number=x["number"])
    except WalletError as err:
        await refused(update, context, err)
        return
    await update.callback_query.answer()
    lang = await ui.language(update, context)
    markup = InlineKeyboardMarkup([[button(t(lang, "tka.button.freeze_confirm"), FreezeYes(ticket_id)),
                                    button(t(lang, "tka.button.freeze_keep"), FreezeNo(ticket_id))]])
    await context.bot.send_message(update.effective_chat.id, t(lang, "tka.freeze_ask", number=x["number"]),
                                   reply_markup=markup)


async def on_freeze_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ticket_id = await admin_press(update, context, FreezeYes)
    if ticket_id is None:
        return
    uid = ui.user_id(update)
    try:
        done = await tickets.freeze_counterparty(
            ui.wallet(context), key=ui.op_key(update, "ticket_freeze_cp", f"t{ticket_id}"), admin_id=uid,
            admin_ids=admin_ids(context), ticket_id=ticket_id)
    except WalletError as err:
        await refused(update, context, err)
        return
    log.info("admin=%s op=ticket_freeze_cp ticket=%s frozen=%s", uid, ticket_id, done["frozen_user_id"])
    said = await ui.text(update, context, "tka.frozen", number=done["number"])
    await update.callback_query.answer(said, show_alert=True)
    try:
        await update.callback_query.edit_message_text(said)  # the question becomes its answer, no buttons
    except Exception:  # noqa: BLE001 - not modified, or the message is gone
        pass
    notify_soon(context)


async def on_freeze_kept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ticket_id = await admin_press(update, context, FreezeNo)
    if ticket_id is None:
        return
    said = await ui.text(update, context, "tka.freeze_kept")
    await update.callback_query.answer()
    try:
        await update.callback_query.edit_message_text(said)
    except Exception:  # noqa: BLE001 - not modified, or the message is gone
        pass


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_freeze, pattern=FreezeAsk.pattern()))
    app.add_handler(CallbackQueryHandler(on_freeze_confirmed, pattern=FreezeYes.pattern()))
    app.add_handler(CallbackQueryHandler(on_freeze_kept, pattern=FreezeNo.pattern()))
