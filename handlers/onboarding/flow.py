"""Open a wallet (开通流程), in the private chat: ``/start`` for a newcomer.

language → what the wallet is and stores → share own phone (reply keyboard, request_contact) →
SMS code (resend after 60 s) → real name → ID number (deleted at once, echoed masked) → card
number (deleted at once, bank named; the bank checks the holder and that the phone is the card's
reserved phone before it sends the card's code) → card SMS code (bank verification) → PIN on the keypad,
twice → wallet home. Every step refuses bad input with the reason and stays on the step;
/start re-shows the current step; /cancel leaves; 10 idle minutes end it.

The draft (``user_data["draft:onboarding"]``, handlers/onboarding/draft.py) holds the phone, name,
ID and card number only encrypted with the wallet's PII key; the conversation state and the draft are persisted, so a
restart of the bot continues at the same step.

The steps: handlers/onboarding/prompts.py (questions, draft helpers), phone.py (phone and SMS
code), card.py (name, ID number, card and its code); here the entry, the language, the PIN and the
conversation. Its buttons: handlers/onboarding/callbacks.py.
"""
from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler,
                          MessageHandler, filters)

from handlers.home import screen as home
from chat.i18n import t
from handlers.onboarding import callbacks as buttons
from handlers.ui import common as ui
from handlers.ui import entry, keypad
from wallet.errors import PinAlreadySet, WalletError
from wallet.services import pins
from handlers.onboarding.draft import OpeningDraft
from handlers.onboarding.prompts import (CARD, CARD_CODE, CODE, FEATURE, ID, INTRO, LANG, NAME, PHONE,
                                        PIN, STEP, say, ask)
from handlers.onboarding.card import on_card, on_card_code, on_id, on_name, on_other_card, on_retry, on_retype_identity
from handlers.onboarding.phone import on_code, on_contact, on_resend, typed_phone


# --- entry and resume ------------------------------------------------------------------------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    """/start in the private chat: home for an open wallet, else the opening flow."""
    profile = await ui.person(update, context)
    if ui.is_open(profile):
        await home.show(update, context)
        return ConversationHandler.END
    OpeningDraft.start(context)  # in place of any older one
    entry.activate(update, FEATURE)  # the person's text is the opening's again (an admin's reply gives way)
    if profile and profile.get("verified"):  # card bound before, PIN not set yet
        return await ask(update, context, PIN)
    return await ask(update, context, LANG)


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """/start while opening: the current step again."""
    step = context.user_data.get(STEP) or LANG
    entry.activate(update, FEATURE)
    if step == PIN and not (await ui.person(update, context) or {}).get("verified"):
        step = LANG
    return await ask(update, context, step)


async def press_a_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, await ui.text(update, context, "ob.press_a_button"))


# --- language and intro ----------------------------------------------------------------------
async def on_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    lang = await ui.set_language(update, context, buttons.Language.parse(query.data).code)
    await query.answer(t(lang, "language.switched"))
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
    return await ask(update, context, INTRO)


async def on_go(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
    return await ask(update, context, PHONE)



# --- PIN and done ----------------------------------------------------------------------------
async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str) -> int | None:
    try:
        await pins.set_pin(ui.wallet(context), update.effective_user.id, pin)
    except PinAlreadySet:
        pass
    except WalletError as err:
        return await keypad.refused(update, context, err)
    OpeningDraft.drop(context)
    context.user_data.pop(STEP, None)
    await ui.person(update, context, fresh=True)
    await say(update, context, await ui.text(update, context, "ob.done"))
    await home.show(update, context)
    return ConversationHandler.END


async def on_pin_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await say(update, context, await ui.text(update, context, "ob.pin_later"))
    context.user_data.pop(STEP, None)
    OpeningDraft.drop(context)
    return ConversationHandler.END


def register(app: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND
    resend = CallbackQueryHandler(on_resend, pattern=buttons.Resend.pattern())
    other_card = CallbackQueryHandler(on_other_card, pattern=buttons.OtherCard.pattern())
    retype_identity = CallbackQueryHandler(on_retype_identity, pattern=buttons.RetypeIdentity.pattern())
    app.add_handler(ui.conversation(
        FEATURE,
        entry_points=[CommandHandler("start", start, filters=filters.ChatType.PRIVATE)],
        states={
            LANG: [CallbackQueryHandler(on_lang, pattern=buttons.Language.pattern()), MessageHandler(text, press_a_button)],
            INTRO: [CallbackQueryHandler(on_go, pattern=buttons.Go.pattern()), MessageHandler(text, press_a_button)],
            PHONE: [MessageHandler(filters.CONTACT, on_contact), MessageHandler(text, typed_phone)],
            CODE: [MessageHandler(text, on_code), resend],
            NAME: [MessageHandler(text, on_name)],
            ID: [MessageHandler(text, on_id)],
            CARD: [MessageHandler(text, on_card), other_card, retype_identity],
            CARD_CODE: [MessageHandler(text, on_card_code), other_card, retype_identity,
                        CallbackQueryHandler(on_retry, pattern=buttons.Resend.pattern()),
                        CallbackQueryHandler(on_retry, pattern=buttons.Retry.pattern())],
            PIN: keypad.state(on_pin, validate=keypad.strength(), on_cancel=on_pin_cancel),
        },
        fallbacks=[CommandHandler("start", resume, filters=filters.ChatType.PRIVATE)],
        allow_reentry=False,
    ))
