"""Withdraw (提现): amount or "all" -> preview (fee, free quota left, what arrives) with the cards
to pay out to -> PIN on the keypad -> result. ``/withdraw`` or the home button.

Credit cards cannot receive withdrawals: they are listed as such, without a button. A bank
time-out answers "processing" (the reconcile sweep tells the outcome); a declined card says why
(the amount and fee are back in the balance) and offers the other cards with a new draft.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler)

from chat.i18n import t
from handlers.home import callbacks as home_buttons
from handlers.topup_withdraw.callbacks import WithdrawConfirm
from handlers.topup_withdraw.draft import WithdrawDraft
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry, keypad, step_up
from wallet.errors import (BankDeclined, BankTimeout, InsufficientBalance, PinLocked, PinWrong, SmsCodeWrong,
                           StepUpRequired, WalletError)
from wallet.services import cards

FEATURE = WithdrawDraft.FEATURE
AMOUNT, CARD, PIN = "withdraw.amount", "withdraw.card", "withdraw.pin"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    profile = await entry.begin_unfrozen(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    if not await cards.list_cards(ui.wallet(context), profile["user_id"]):
        await entry.say(update, context, t(lang, "card.none"))
        return ConversationHandler.END
    WithdrawDraft.drop(context)
    q = await cards.withdrawal_quote(ui.wallet(context), profile["user_id"])
    await entry.say(update, context, t(lang, "withdraw.ask_amount", balance=ui.money(q["balance"]),
                                       free_left=ui.money(q["free_left"])))
    return AMOUNT


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    fen = await amount_ui.read(update, context, allow_all=True)
    if fen is None:
        return None
    wallet, uid = ui.wallet(context), update.effective_user.id
    lang = await ui.language(update, context)
    q = await cards.withdrawal_quote(wallet, uid, None if fen == amount_ui.ALL else fen)
    if q["amount"] <= 0 or q["total"] > q["balance"]:
        needed = q["total"] if q["amount"] > 0 else wallet.rules.withdraw_fee_min + 1
        await update.effective_message.reply_text(
            await ui.explain(update, context, InsufficientBalance(needed=needed, available=q["balance"])))
        return None
    WithdrawDraft.start(context, amount=None if fen == amount_ui.ALL else fen, quoted=q["amount"], fee=q["fee"])
    return await ask_card(update, context, preview=t(lang, "withdraw.preview", amount=ui.money(q["amount"]),
                                                     fee=ui.money(q["fee"]), total=ui.money(q["total"]),
                                                     free_left=ui.money(q["free_left"]),
                                                     arrives=ui.money(q["amount"])))


async def ask_card(update: Update, context: ContextTypes.DEFAULT_TYPE, *, preview: str, notice: str | None = None):
    lang = await ui.language(update, context)
    draft = WithdrawDraft.load(context)
    bound = await cards.list_cards(ui.wallet(context), update.effective_user.id)
    bound.sort(key=lambda c: not c["default"])
    rows, credit = [], []
    for c in bound:
        label = entry.card_label(c, lang) + (t(lang, "card.default_mark") if c["default"] else "")
        if c["card_type"] == "credit":
            credit.append(label)
        else:
            rows.append([(label, WithdrawConfirm("card", c["card_id"], draft.nonce).data())])
    rows.append([(t(lang, "flow.cancel_button"), WithdrawConfirm("no", 0, draft.nonce).data())])
    parts = [notice] if notice else []
    parts.append(preview)
    if credit:
        parts.append(t(lang, "withdraw.credit_cards", cards=", ".join(credit)))
    parts.append(t(lang, "withdraw.choose_card" if len(rows) > 1 else "withdraw.no_debit_card"))
    draft.replace(preview=preview).save(context)
    await context.bot.send_message(update.effective_chat.id, "\n\n".join(parts), reply_markup=confirm.keyboard(rows))
    return CARD


async def on_card(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    if await press.cancelled(update, context):
        return ConversationHandler.END
    draft = WithdrawDraft.of(press.draft)
    bound = await cards.list_cards(ui.wallet(context), update.effective_user.id)
    card = next((c for c in bound if c["card_id"] == press.row_id), None)
    if card is None and bound:  # not one of the person's cards (crafted, or unbound since): the choice again
        return await ask_card(update, context, preview=draft.preview or "", notice=t(lang, "card.not_yours"))
    if card is None:
        await update.callback_query.edit_message_text(t(lang, "card.none"))
        return ConversationHandler.END
    draft = draft.replace(card_id=card["card_id"]).save(context)
    await update.callback_query.edit_message_text(
        (draft.preview or "") + "\n\n" + t(lang, "withdraw.to_card", card=entry.card_label(card, lang)))
    if not await keypad.show(update, context, title=t(lang, "withdraw.pin_title", amount=ui.money(draft.quoted)),
                             owner=PIN):
        WithdrawDraft.drop(context)  # the PIN is locked: told, with the reset button
        return ConversationHandler.END
    return PIN


async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    return await pay_out(update, context, pin=pin)


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str):
    """The SMS code the risk engine asked for (handlers/ui/step_up.py): the same withdrawal again."""
    return await pay_out(update, context, pin=None, step_up_code=code)


async def pay_out(update: Update, context: ContextTypes.DEFAULT_TYPE, *, pin: str | None,
                  step_up_code: str | None = None):
    lang = await ui.language(update, context)
    draft = WithdrawDraft.load(context)
    chat = update.effective_chat.id
    if draft is None or draft.step != "pin":
        await context.bot.send_message(chat, t(lang, "confirm.stale"))
        return ConversationHandler.END
    checked = step_up_code is not None and step_up.waiting(context, draft)
    try:
        result = await cards.withdraw(ui.wallet(context), key=ui.op_key(update, "withdraw", draft),
                                      user_id=update.effective_user.id, card_id=draft.card_id,
                                      amount=draft.amount, pin=None if checked else pin, pin_checked=checked,
                                      step_up_code=step_up_code if checked else None)
    except StepUpRequired as err:  # the risk engine asks for the SMS code too: stay, wait for it
        await step_up.asked(update, context, err, draft, lambda text: context.bot.send_message(chat, text))
        return None
    except SmsCodeWrong as err:
        if step_up.waiting(context, draft):
            await context.bot.send_message(chat, await ui.explain(update, context, err))
            return None
        raise
    except (PinWrong, PinLocked) as err:
        return await keypad.refused(update, context, err, drop=FEATURE)
    except BankTimeout:
        WithdrawDraft.drop(context)
        await context.bot.send_message(chat, t(lang, "withdraw.processing", amount=ui.money(draft.quoted)),
                                       reply_markup=entry.home_button(lang))
        return ConversationHandler.END
    except BankDeclined as err:  # another card: a new draft, another key
        fresh = WithdrawDraft.start(context, amount=draft.amount, quoted=draft.quoted, fee=draft.fee,
                                    preview=draft.preview or "")
        return await ask_card(update, context, preview=fresh.preview, notice=await ui.explain(update, context, err))
    except WalletError as err:
        WithdrawDraft.drop(context)
        step_up.done(context)
        await context.bot.send_message(chat, await ui.explain(update, context, err))
        return ConversationHandler.END
    WithdrawDraft.drop(context)
    step_up.done(context)
    await context.bot.send_message(chat, t(lang, "withdraw.done", amount=ui.money(result["amount"]),
                                           fee=ui.money(result["fee"]), last4=result["last4"],
                                           balance=ui.money(result["balance"])),
                                   reply_markup=entry.home_button(lang))
    return ConversationHandler.END


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("withdraw", start), CallbackQueryHandler(start, pattern=home_buttons.Withdraw.pattern()),
                      # card buttons of an older screen: a popup (stale), or the live draft's choice
                      CallbackQueryHandler(on_card, pattern=WithdrawConfirm.pattern())],
        states={
            AMOUNT: [entry.FlowText(FEATURE, on_amount)],
            CARD: [],
            PIN: [*step_up.state(FEATURE, on_code, load=WithdrawDraft.load), *keypad.state(on_pin, owner=PIN)],
        },
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
