"""What the security flow's steps share: its states, sending, ending, PIN refusals, ID and SMS-code steps.

An old PIN, an ID number or an SMS code typed in one step is held for the next in memory only
(``held.hold``); after a restart the flow asks for it again.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.security.draft import SecurityDraft
from handlers.ui import common as ui
from handlers.ui import held, identity, keypad
from wallet.errors import SmsTooSoon, WalletError
from wallet.services import people

FEATURE = SecurityDraft.FEATURE  # the conversation's name (persisted with its states: never rename)
(FREEZE, CHANGE_OLD, CHANGE_NEW, FORGOT_ID, FORGOT_CODE, FORGOT_PIN, UNF_PIN, UNF_ID, UNF_CODE) = (
    f"security.{s}" for s in ("freeze", "change_old", "change_new", "forgot_id", "forgot_code",
                              "forgot_pin", "unfreeze_pin", "unfreeze_id", "unfreeze_code"))
RESEND_WORDS = {"resend", "重发", "重新发送"}


def person_id(update: Update) -> int:
    return update.effective_user.id


async def send(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


def end(context: ContextTypes.DEFAULT_TYPE, update: Update):
    held.forget(context, person_id(update))
    SecurityDraft.drop(context)
    return ConversationHandler.END


async def refused(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError):
    state = await keypad.refused(update, context, err)
    if state == ConversationHandler.END:
        return end(context, update)
    return state


async def send_code(update: Update, context: ContextTypes.DEFAULT_TYPE, purpose: str) -> None:
    lang = await ui.language(update, context)
    try:
        sent = await people.send_code(ui.wallet(context), person_id(update), purpose=purpose, lang=ui.wallet_language(lang))
        await send(update, context, t(lang, "identity.code_sent", phone=sent["phone"]))
    except SmsTooSoon as err:
        await send(update, context, await ui.explain(update, context, err))


async def take_id_number(update: Update, context: ContextTypes.DEFAULT_TYPE, purpose: str) -> bool:
    """An ID-number step: read it, hold it for the next step and send the SMS code for
    ``purpose``. False: refused (the reason was sent), stay on the step."""
    number = await identity.read_id_number(update, context)
    if number is None:
        return False
    held.hold(context, person_id(update), "id_number", number)
    await send_code(update, context, purpose)
    return True


async def read_code(update: Update, context: ContextTypes.DEFAULT_TYPE, purpose: str) -> str | None:
    """An SMS-code step: "resend" sends a new code for ``purpose``; else the code typed. None:
    resent, or refused (the reason was sent): stay on the step."""
    if (update.effective_message.text or "").strip().lower() in RESEND_WORDS:
        await send_code(update, context, purpose)
        return None
    return await identity.read_code(update, context)
