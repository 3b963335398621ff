"""A locked PIN (too many wrong tries): said before any keypad is shown, with a button to reset it.

    if not await keypad.show(update, context, title=..., owner=PIN):   # False: locked, told
        ui.drop_draft(context, FEATURE)
        return ConversationHandler.END

``keypad.show`` asks ``locked_notice`` first for a PIN the person must already have (not a new
PIN entered twice); ``keypad.refused`` sends the same notice when a check finds the PIN locked.
The button opens the forgot-PIN flow (``sec:forgot``, handlers/security/callbacks.py ``Forgot``; the
flow is handlers/security/pin.py): a reset lifts the lock.
"""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.security.callbacks import Forgot
from handlers.ui import common as ui
from handlers.ui.keypad_screen import show as show_keypad
from wallet.errors import PinLocked, WalletNotOpen
from wallet.services import pins

def reset_markup(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "keypad.reset_pin"), callback_data=Forgot().data())]])


async def send(update: Update, context: ContextTypes.DEFAULT_TYPE, err: PinLocked) -> None:
    """Until when the PIN is locked (the person's time zone), with the reset button."""
    lang = await ui.language(update, context)
    chat_id = update.effective_chat.id if update.effective_chat else update.effective_user.id
    await context.bot.send_message(chat_id, await ui.explain(update, context, err), reply_markup=reset_markup(lang))


async def locked_notice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True (and the person told) when their PIN is locked now; False otherwise (no wallet yet too)."""
    user = update.effective_user
    if user is None:
        return False
    try:
        until = await pins.locked_until(ui.wallet(context), user.id)
    except WalletNotOpen:
        return False
    if until is None:
        return False
    await send(update, context, PinLocked(until=until))
    return True


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, *, title: str, twice: bool = False,
               notice: str | None = None, owner: str | None = None) -> bool:
    """``keypad.show``: send a fresh keypad (handlers/ui/keypad_screen.py) and return True. A PIN
    the person already has (not a new one, ``twice``) that is locked gets no keypad: they are told
    until when, with the reset button, and False is returned: the flow ends."""
    if not twice and await locked_notice(update, context):
        return False
    await show_keypad(update, context, title=title, twice=twice, notice=notice, owner=owner)
    return True
