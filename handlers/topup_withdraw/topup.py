"""Top up (充值): amount -> card -> PIN on the keypad -> result. ``/topup`` or the home button.

A bank time-out answers "processing": the reconcile sweep settles it and tells the person. A
declined card says why and offers the other cards (a new draft: a new idempotency key).
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler)

from chat.i18n import t
from handlers.home import callbacks as home_buttons
from handlers.topup_withdraw.callbacks import TopUpConfirm
from handlers.topup_withdraw.draft import TopUpDraft
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry, keypad
from wallet.errors import BankDeclined, BankTimeout, PinLocked, PinWrong, WalletError
from wallet.services import cards

FEATURE = TopUpDraft.FEATURE
AMOUNT, CARD, PIN = "topup.amount", "topup.card", "topup.pin"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    profile = await entry.begin_unfrozen(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    if not await cards.list_cards(ui.wallet(context), profile["user_id"]):
        await entry.say(update, context, t(lang, "card.none"))
        return ConversationHandler.END
    TopUpDraft.drop(context)
    await entry.say(update, context, t(lang, "topup.ask_amount"))
    return AMOUNT


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    fen = await amount_ui.read(update, context)
    if fen is None:
        return None
    TopUpDraft.start(context, amount=fen)
    return await ask_card(update, context)


async def ask_card(update: Update, context: ContextTypes.DEFAULT_TYPE, notice: str | None = None):
    lang = await ui.language(update, context)
    draft = TopUpDraft.load(context)
    bound = await cards.list_cards(ui.wallet(context), update.effective_user.id)
    bound.sort(key=lambda c: not c["default"])
    rows = [[(entry.card_label(c, lang) + (t(lang, "card.default_mark") if c["default"] else ""),
              TopUpConfirm("card", c["card_id"], draft.nonce).data())] for c in bound]
    rows.append([(t(lang, "flow.cancel_button"), TopUpConfirm("no", 0, draft.nonce).data())])
    text = t(lang, "topup.choose_card", amount=ui.money(draft.amount))
    if notice:
        text = f"{notice}\n\n{text}"
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=confirm.keyboard(rows))
    return CARD


async def on_card(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    if await press.cancelled(update, context):
        return ConversationHandler.END
    bound = await cards.list_cards(ui.wallet(context), update.effective_user.id)
    card = next((c for c in bound if c["card_id"] == press.row_id), None)
    if card is None and bound:  # not one of the person's cards (crafted, or unbound since): the choice again
        return await ask_card(update, context, notice=t(lang, "card.not_yours"))
    if card is None:
        await update.callback_query.edit_message_text(t(lang, "card.none"))
        return ConversationHandler.END
    draft = TopUpDraft.of(press.draft).replace(card_id=card["card_id"]).save(context)
    summary = t(lang, "topup.summary", amount=ui.money(draft.amount), card=entry.card_label(card, lang))
    await update.callback_query.edit_message_text(summary)
    if not await keypad.show(update, context, title=t(lang, "topup.pin_title", amount=ui.money(draft.amount)),
                             owner=PIN):
        TopUpDraft.drop(context)  # the PIN is locked: told, with the reset button
        return ConversationHandler.END
    return PIN


async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    lang = await ui.language(update, context)
    draft = TopUpDraft.load(context)
    if draft is None or draft.step != "pin":
        await context.bot.send_message(update.effective_chat.id, t(lang, "confirm.stale"))
        return ConversationHandler.END
    chat = update.effective_chat.id
    try:
        result = await cards.top_up(ui.wallet(context), key=ui.op_key(update, "topup", draft),
                                    user_id=update.effective_user.id, card_id=draft.card_id,
                                    amount=draft.amount, pin=pin)
    except (PinWrong, PinLocked) as err:
        return await keypad.refused(update, context, err, drop=FEATURE)
    except BankTimeout:
        TopUpDraft.drop(context)
        await context.bot.send_message(chat, t(lang, "topup.processing", amount=ui.money(draft.amount)),
                                       reply_markup=entry.home_button(lang))
        return ConversationHandler.END
    except BankDeclined as err:
        TopUpDraft.start(context, amount=draft.amount)  # another card: another key
        return await ask_card(update, context, notice=await ui.explain(update, context, err))
    except WalletError as err:
        TopUpDraft.drop(context)
        await context.bot.send_message(chat, await ui.explain(update, context, err))
        return ConversationHandler.END
    TopUpDraft.drop(context)
    await context.bot.send_message(chat, t(lang, "topup.done", amount=ui.money(result["amount"]),
                                           last4=result["last4"], balance=ui.money(result["balance"])),
                                   reply_markup=entry.home_button(lang))
    return ConversationHandler.END


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("topup", start), CallbackQueryHandler(start, pattern=home_buttons.TopUp.pattern()),
                      # card buttons of an older screen: a popup (stale), or the live draft's choice
                      CallbackQueryHandler(on_card, pattern=TopUpConfirm.pattern())],
        states={
            AMOUNT: [entry.FlowText(FEATURE, on_amount)],
            CARD: [],
            PIN: keypad.state(on_pin, owner=PIN),
        },
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
