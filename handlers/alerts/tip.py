"""``/tip``: one security tip now (from the catalog of tips.po; the scheduled tips are
jobs/alerts.py), never the one shown just before. Any chat; no wallet needed."""
from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

from chat.i18n import t
from handlers.ui import common as ui
from wallet.services import alerts

LAST_TIP = "tip:last"  # user_data: the tip /tip showed last


async def tip_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    n = alerts.random_tip(ui.wallet(context), not_this=context.user_data.get(LAST_TIP))
    context.user_data[LAST_TIP] = n
    await update.effective_message.reply_text(t(lang, "alert.tip", tip=t(lang, alerts.tip_msgid(n))) + "\n\n"
                                              + t(lang, "alert.tip_more"), parse_mode=ParseMode.HTML)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("tip", tip_command))
