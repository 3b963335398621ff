"""``/tickets``: the person's reports with their status, and one report with its history."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes
from telegram.helpers import escape

from chat.i18n import t
from handlers.tickets import admin as tickets_admin
from handlers.tickets.callbacks import Pick, Show, button
from handlers.tickets.cards import is_admin
from handlers.ui import common as ui
from handlers.ui import entry
from wallet.errors import WalletError
from wallet.services import tickets


async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/tickets`` and ``Mine`` (``ticket:list:0``): an admin's open tickets, else the person's own."""
    if context.user_data is not None and "lang" not in context.user_data:  # the notices' language (no wallet)
        context.user_data["lang"] = ui.chosen_language(update, context)
    if is_admin(context, ui.user_id(update)):
        await tickets_admin.show_open(update, context)
        return
    if await entry.begin(update, context) is None:
        return
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    mine = await tickets.mine(ui.wallet(context), ui.user_id(update))
    lines = [t(lang, "ticket.list_title" if mine else "ticket.list_none")]
    for x in mine:
        lines.append(t(lang, "ticket.list_line", number=x["number"], reason=t(lang, f"ticket.reason.{x['reason']}"),
                       status=t(lang, f"ticket.status.{x['status']}"),
                       updated=ui.local_time(datetime.fromisoformat(x["updated_at"]), tz)))
    rows = [[button(x["number"], Show(x["ticket_id"]))] for x in mine[:10]]
    rows.append([button(t(lang, "ticket.new_report"), Pick())])
    await context.bot.send_message(update.effective_chat.id, "\n".join(lines), parse_mode=ParseMode.HTML,
                                   reply_markup=InlineKeyboardMarkup(rows))


async def show_one(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``Show`` (``ticket:show:<ticket_id>``): one of the person's reports with its history."""
    query = update.callback_query
    ticket_id = Show.parse(query.data).ticket_id
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    try:
        x = await tickets.get(ui.wallet(context), ticket_id, viewer_id=ui.user_id(update))
    except WalletError as err:
        await entry.refuse(update, context, err)
        return
    await query.answer()
    lines = [t(lang, "ticket.show", number=x["number"], reason=t(lang, f"ticket.reason.{x['reason']}"),
               status=t(lang, f"ticket.status.{x['status']}"))]
    for e in x["events"]:
        when = ui.local_time(datetime.fromisoformat(e["created_at"]), tz)
        text = f" — {escape(e['text'])}" if e.get("text") else ""
        lines.append(f"{when} {t(lang, 'ticket.event.' + e['kind'])}{text}")
    await context.bot.send_message(update.effective_chat.id, "\n".join(lines), parse_mode=ParseMode.HTML)
