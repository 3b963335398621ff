"""Text steps that carry identity: an ID number (deleted at once, echoed masked) and an SMS
code. What they read is held in memory only (``held.hold``), never in the persisted
conversation data.

    number = await identity.read_id_number(update, context)   # None: refused (reason sent), same step
    code = await identity.read_code(update, context)          # None: refused, same step
"""
from __future__ import annotations

import re

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.ui import common as ui
from wallet.errors import InvalidIdNumber
from wallet.idnumber import validate_id_number

CODE = re.compile(r"\d{6}")


async def read_id_number(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The ID number of the person's message. The message is deleted at once whatever it held;
    a valid number is echoed masked, a bad one refused with the reason."""
    message = update.effective_message
    typed = message.text or ""
    try:
        await message.delete()
    except BadRequest:
        pass
    lang = await ui.language(update, context)
    try:
        ident = validate_id_number(typed)
    except InvalidIdNumber as err:
        await context.bot.send_message(update.effective_chat.id, await ui.explain(update, context, err))
        return None
    await context.bot.send_message(update.effective_chat.id, t(lang, "identity.id_echo", masked=ident.masked))
    return ident.number


async def read_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """Six digits (spaces allowed), else the reason."""
    typed = re.sub(r"\s+", "", update.effective_message.text or "")
    if not CODE.fullmatch(typed):
        await update.effective_message.reply_text(await ui.text(update, context, "identity.code_format"))
        return None
    return typed
