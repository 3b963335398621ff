"""Bank cards (``/cards`` or the home button): the list (masked, handlers/cards/listing.py), set the
default card, unbind (PIN on the keypad), bind another card (``/bind``, handlers/cards/bind.py: card
number -> bank named -> the bank checks the identity on file and the card's reserved phone, then
sends the card's code there -> the code -> the bank verifies again, as at opening).

The card number is deleted from the chat at once, echoed masked, and held in memory only.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.cards.bind import BIND_CODE, BIND_NUMBER, bind_command, bind_prompt, end, on_code, on_number, on_resend
from handlers.cards.callbacks import BIND, DEFAULT, RESEND, UNBIND, Confirm
from handlers.cards.draft import CardsDraft
from handlers.cards.listing import FEATURE, show_list
from handlers.home import callbacks as home_buttons
from handlers.ui import common as ui
from handlers.ui import confirm, entry, held, keypad
from wallet.errors import CardNotFound, PinLocked, PinWrong, WalletError
from wallet.services import cards

UNBIND_PIN = "cards.unbind_pin"


def _uid(update: Update) -> int:
    return update.effective_user.id


def _end(update: Update, context: ContextTypes.DEFAULT_TYPE):
    return end(update, context)


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    held.forget(context, _uid(update), "card_number")
    return await show_list(update, context)


async def on_list(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if Confirm.parse(update.callback_query.data).action == RESEND:
        return await on_resend(update, context)
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    wallet, uid = ui.wallet(context), _uid(update)
    if press.verb == BIND:
        return await bind_prompt(update, context)
    card = next((c for c in await cards.list_cards(wallet, uid) if c["card_id"] == press.row_id), None)
    if card is None:
        return await show_list(update, context, notice=await ui.explain(update, context, CardNotFound(card_id=press.row_id)))
    if press.verb == DEFAULT:
        await cards.set_default_card(wallet, user_id=uid, card_id=card["card_id"])
        return await show_list(update, context, notice=t(lang, "cards.default_set", card=entry.card_label(card, lang)))
    if press.verb == UNBIND:
        CardsDraft.of(press.draft).replace(card_id=card["card_id"]).save(context)
        await update.callback_query.edit_message_text(t(lang, "cards.unbind_what", card=entry.card_label(card, lang)))
        if not await keypad.show(update, context, title=t(lang, "cards.unbind_pin", last4=card["last4"]), owner=UNBIND_PIN):
            CardsDraft.drop(context)  # the PIN is locked: told, with the reset button
            return ConversationHandler.END
        return UNBIND_PIN
    return None


async def on_unbind_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    lang = await ui.language(update, context)
    draft = CardsDraft.load(context)
    if draft is None or draft.card_id is None:
        await _send(update, context, t(lang, "confirm.stale"))
        return _end(update, context)
    try:
        done = await cards.unbind_card(ui.wallet(context), key=ui.op_key(update, "unbind_card", draft),
                                       user_id=_uid(update), card_id=draft.card_id, pin=pin)
    except (PinWrong, PinLocked) as err:
        state = await keypad.refused(update, context, err)
        return _end(update, context) if state == ConversationHandler.END else state
    except WalletError as err:
        await _send(update, context, await ui.explain(update, context, err))
        return _end(update, context)
    notice = t(lang, "cards.unbound") + ("\n" + t(lang, "cards.last_unbound") if done["cards_left"] == 0 else "")
    return await show_list(update, context, notice=notice, edit=False)


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("cards", start), CallbackQueryHandler(start, pattern=home_buttons.Cards.pattern()),
                      CommandHandler("bind", bind_command),
                      # the list's buttons, also on an older list message (a stale one gets a popup)
                      CallbackQueryHandler(on_list, pattern=Confirm.pattern())],
        states={
            UNBIND_PIN: keypad.state(on_unbind_pin, owner=UNBIND_PIN),
            BIND_NUMBER: [entry.FlowText(FEATURE, on_number)],
            BIND_CODE: [entry.FlowText(FEATURE, on_code)],
        },
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
