"""The transfer's last step: the PIN on the keypad (or the SMS code the risk engine asked for, or
no PIN at all under the person's 免密支付 setting), the payment, and what the sender sees after it:
the cards (handlers/transfer/card.py), or the held screen when the risk engine holds it for review.
A refusal goes through handlers/ui/shortfall.py ``refused`` (a short balance offers the card
choices again: back to ``CONFIRM``)."""
from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes, ConversationHandler
from telegram.helpers import escape

from chat.i18n import t
from handlers.transfer import card as transfer_card
from handlers.transfer import people as who
from handlers.transfer.callbacks import Confirm
from handlers.transfer.draft import TransferDraft
from handlers.ui import common as ui
from handlers.ui import payment, shortfall
from wallet.errors import PinRequired, WalletError
from wallet.services import transfers

CONFIRM, PIN = "transfer.confirm", "transfer.pin"  # the conversation's states (persisted: never rename)


async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    return await pay(update, context, pin=pin)


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str):
    """The SMS code the risk engine asked for (handlers/ui/step_up.py): the same payment again."""
    return await pay(update, context, pin=None, step_up_code=code)


def pin_title(lang: str, draft: TransferDraft) -> str:
    return t(lang, "transfer.pin_title", amount=ui.money(draft.amount), name=draft.name)


async def pay(update: Update, context: ContextTypes.DEFAULT_TYPE, *, pin: str | None, step_up_code: str | None = None,
              no_pin: bool = False):
    lang = await ui.language(update, context)
    draft = TransferDraft.load(context)
    chat = update.effective_chat.id
    if draft is None or draft.delay is None:
        await context.bot.send_message(chat, t(lang, "confirm.stale"))
        return ConversationHandler.END
    uid = update.effective_user.id
    try:
        result = await payment.pay(
            context, draft, key=ui.op_key(update, "transfer", draft), user_id=uid, pin=pin, step_up_code=step_up_code,
            no_pin=no_pin,
            pay=lambda **kw: transfers.send(ui.wallet(context), sender_id=uid, recipient_id=draft.recipient_id,
                                            amount=draft.amount, note=draft.note or None,
                                            delay_seconds=draft.delay, **draft.send_extras(), **kw))
    except PinRequired as err:  # 免密支付 does not cover it now: the keypad after all
        return await payment.pin_after_all(update, context, err, title=pin_title(lang, draft), owner=PIN,
                                           say=lambda text: context.bot.send_message(chat, text))
    except WalletError as err:
        return await shortfall.refused(update, context, err, draft, amount=draft.amount,
                                       prefix=Confirm.prefix, confirm_state=CONFIRM,
                                       say=lambda text: context.bot.send_message(chat, text))
    TransferDraft.drop(context)
    charged = payment.charged_line(lang, draft)
    if charged:
        await context.bot.send_message(chat, charged)
    if result.get("held"):  # the risk engine holds it for review: nothing reaches the recipient yet
        await context.bot.send_message(chat, t(lang, "risk.held", amount=ui.money(result["amount"]),
                                               name=escape(draft.name or "?")), parse_mode=ParseMode.HTML)
        return ConversationHandler.END
    sender_name = who.name(await ui.person(update, context), update.effective_user.first_name)
    await transfer_card.post_cards(update, context, result, draft, sender_name=sender_name, lang=lang)
    return ConversationHandler.END
