"""The transfer conversation (转账) in private: the person, amount, note, arrival, confirm, PIN.

DESIGN §8, issue 9.

Private chat: ``/transfer`` or the home button -> pick the person (a ``request_users`` button, or an
``@username`` the bot has seen) -> amount -> optional note -> arrival (now / 2 h / 24 h) -> confirm
-> PIN keypad -> done. The recipient gets a card with Accept / Return; a delayed transfer shows
Revoke to its sender.

Group: reply to a member's message with ``/transfer 20 dinner``: the confirm screen and the PIN
are in the sender's private chat; then the card "Alice → Bob ¥20.00" is posted into the group.

A person without a wallet can be picked too (a newcomer): the money waits 24 h for them to open
one. Who is who (the @usernames seen): handlers/transfer/people.py; the confirm screen:
handlers/transfer/confirm.py; the group command: handlers/transfer/group.py; the cards, their
buttons and edits and the deep links: handlers/transfer/card.py; inline transfers:
handlers/transfer/inline.py.

callback_data (stated in handlers/transfer/callbacks.py): ``tf:<verb>:<draft row id>:<nonce>`` for
the sender's confirm screens (``Confirm``; the nonce is the draft's: a double tap or an old screen
cannot pay twice), ``tf:acc|ret|rev|take:<transfer id>`` for the cards; every card press is checked
by the wallet (only the recipient may accept or return, only the sender may revoke) and answered
with a popup when refused.
"""
from __future__ import annotations

import re

from telegram import KeyboardButton, KeyboardButtonRequestUsers, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler,
                          MessageHandler, TypeHandler, filters)
from telegram.helpers import escape

from handlers.transfer import group as transfer_group
from handlers.transfer import people as who
from chat.i18n import t
from handlers.transfer.callbacks import Confirm
from handlers.transfer.confirm import FEATURE, show_confirm
from handlers.transfer.draft import TransferDraft
from handlers.transfer.pay import CONFIRM, PIN, on_code, on_pin, pay, pin_title
from handlers.home import callbacks as home_buttons
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry, keypad, shortfall, step_up

WHO, AMOUNT, NOTE, DELAY = "transfer.who", "transfer.amount", "transfer.note", "transfer.delay"
REQUEST_ID = 901  # the request_users button's id
DELAYS = (0, 2 * 3600, 24 * 3600)


# --- the private flow -----------------------------------------------------------------------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    profile = await entry.begin_unfrozen(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    TransferDraft.drop(context)
    button = KeyboardButton(t(lang, "transfer.pick_button"),
                            request_users=KeyboardButtonRequestUsers(request_id=REQUEST_ID, user_is_bot=False,
                                                                     max_quantity=1, request_name=True))
    await context.bot.send_message(update.effective_chat.id, t(lang, "transfer.ask_who"), parse_mode=ParseMode.HTML,
                                   reply_markup=ReplyKeyboardMarkup([[button]], resize_keyboard=True,
                                                                    one_time_keyboard=True))
    return WHO


async def on_shared(update: Update, context: ContextTypes.DEFAULT_TYPE):
    shared = update.effective_message.users_shared
    if not shared.users:
        return None
    picked = shared.users[0]
    return await _chose(update, context, picked.user_id, picked.first_name or "")


async def on_username(update: Update, context: ContextTypes.DEFAULT_TYPE):
    lang = await ui.language(update, context)
    text = (update.effective_message.text or "").strip()
    match = re.fullmatch(r"@?([A-Za-z][A-Za-z0-9_]{3,31})", text)
    uid = who.user_id_of(context, match.group(1).lower()) if match else None
    if uid is None:
        await update.effective_message.reply_text(t(lang, "transfer.unknown_username", name=text[:40]))
        return None
    return await _chose(update, context, uid)


async def _chose(update: Update, context: ContextTypes.DEFAULT_TYPE, uid: int, shared_name: str = ""):
    lang = await ui.language(update, context)
    if uid == update.effective_user.id:
        await update.effective_message.reply_text(t(lang, "transfer.self"))
        return None
    found = await who.recipient(context, uid)
    name = who.name(found, shared_name) if found is not None else (shared_name or who.known_name(context, uid))
    if found is None and name == "?":  # no name to show the recipient by: ask for a name the bot knows
        await update.effective_message.reply_text(t(lang, "transfer.unknown_username", name="?"))
        return None
    TransferDraft.start(context, recipient_id=uid, name=name, newcomer=found is None)
    if found is None:  # no wallet yet: the money may wait for them 24 h (handlers/transfer/card.py)
        await update.effective_message.reply_text(t(lang, "tc.newcomer_ahead", name=escape(name)),
                                                  parse_mode=ParseMode.HTML)
    await update.effective_message.reply_text(t(lang, "transfer.ask_amount", name=escape(name)),
                                              parse_mode=ParseMode.HTML, reply_markup=ReplyKeyboardRemove())
    return AMOUNT


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    # too large: said now, not after the PIN
    draft = await amount_ui.into_draft(update, context, TransferDraft, payment=True)
    if not isinstance(draft, TransferDraft):
        return draft  # END: no draft; None: refused, stay on the step
    lang = await ui.language(update, context)
    await context.bot.send_message(update.effective_chat.id, t(lang, "transfer.ask_note"),
                                   reply_markup=confirm.keyboard([[(t(lang, "transfer.skip_note"),
                                                                    Confirm("skip", 0, draft.nonce).data())]]))
    return NOTE


async def on_note(update: Update, context: ContextTypes.DEFAULT_TYPE):
    draft = TransferDraft.load(context)
    if draft is None:
        return ConversationHandler.END
    note = (update.effective_message.text or "").strip()
    limit = ui.wallet(context).rules.transfer_note_max
    if len(note) > limit:
        await update.effective_message.reply_text(await ui.text(update, context, "transfer.note_too_long",
                                                                limit=limit))
        return None
    return await ask_delay(update, context, draft.with_note(note).save(context))


async def ask_delay(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: TransferDraft):
    lang = await ui.language(update, context)
    rows = [[(t(lang, f"transfer.delay.{s}"), Confirm("delay", s, draft.nonce).data())] for s in DELAYS]
    await context.bot.send_message(update.effective_chat.id, t(lang, "transfer.ask_delay"),
                                   reply_markup=confirm.keyboard(rows))
    return DELAY


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """A press on one of the sender's screens (note skip, arrival, confirm, cancel)."""
    if not entry.private(update):
        await update.callback_query.answer()
        return None
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    draft = TransferDraft.of(press.draft)
    query = update.callback_query
    if await press.cancelled(update, context):
        return ConversationHandler.END
    if press.verb == "skip" and draft.step in ("note", "delay"):  # the note's screen, also after a note was typed
        draft = draft.with_note("").save(context)
        await query.edit_message_reply_markup(None)
        return await ask_delay(update, context, draft)
    if press.verb == "delay" and draft.step != "amount" and press.row_id in DELAYS:
        draft = draft.with_delay(press.row_id).save(context)
        await query.edit_message_reply_markup(None)
        await show_confirm(update, context, draft, chat_id=update.effective_chat.id, lang=lang)
        return CONFIRM
    if press.verb in ("ok", *shortfall.VERBS) and draft.step == "confirm":
        return await shortfall.to_keypad(update, context, press.verb, draft, owner=PIN, title=pin_title(lang, draft),
                                         without_pin=(draft.amount, lambda: pay(update, context, pin=None, no_pin=True)))
    return None


def conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("transfer", start, filters=private),
                      CallbackQueryHandler(start, pattern=home_buttons.Transfer.pattern()),
                      # a confirm screen sent from a group command, or an older screen (stale: a popup)
                      CallbackQueryHandler(on_press, pattern=Confirm.pattern())],
        states={
            WHO: [MessageHandler(filters.StatusUpdate.USERS_SHARED & private, on_shared),
                  entry.FlowText(FEATURE, on_username)],
            AMOUNT: [entry.FlowText(FEATURE, on_amount)],
            NOTE: [entry.FlowText(FEATURE, on_note), CallbackQueryHandler(on_press, pattern=Confirm.pattern())],
            DELAY: [CallbackQueryHandler(on_press, pattern=Confirm.pattern())],
            CONFIRM: [CallbackQueryHandler(on_press, pattern=Confirm.pattern())],
            PIN: [CallbackQueryHandler(on_press, pattern=Confirm.pattern()),
                  *step_up.state(FEATURE, on_code, load=TransferDraft.load), *keypad.state(on_pin, owner=PIN)],
        },
    )


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, who.remember_username), group=-5)
    app.add_handler(CommandHandler("transfer", transfer_group.in_group, filters=filters.ChatType.GROUPS))
    app.add_handler(conversation())
    # the cards' buttons (tf:acc|ret|rev|take:<id>) and the deep links: handlers/transfer/card.py
