"""余额不足: the offer when a payment is larger than the balance (DESIGN §8, issue 9).

Every paying flow (transfer, red packet, merchant payment) asks ``offer`` while building its
confirm screen. When the balance is short and the person has a card, the screen shows instead of
"Pay" the two choices, with the flow's own callback_data prefix and the draft's nonce:

    "Top up the ¥7.00 short from card ****1234 and pay"   (verb ``st``)
    "Pay ¥10.00 with card ****1234"                       (verb ``sc``)

What it keeps in the flow's draft is stated in handlers/ui/draft.py (``PaymentDraft``: ``short``,
the choices offered; ``funding``, the one pressed; ``confirmed``; ``declines``): each function takes
the flow's typed draft and stores what it changes.

``choose`` gives the draft with the choice (``funding``) when one is pressed; the flow then
shows its PIN keypad as for "Pay" (``to_keypad`` does both), and runs the payment through
handlers/ui/payment.py ``pay``, which hands it to wallet/services/funded.py (one PIN for the whole; a decline or time-out pays nothing). A balance
found short only after the PIN (it changed meanwhile) gets the same choices through
``after_refusal``, and the PIN is asked again for the chosen one. A card that declines pays
nothing: ``after_decline`` offers the same choices with another bound card (a new attempt, a new
key), else buttons to the cards, a top-up and home (the home's buttons, handlers/home/callbacks.py).
``refused`` answers any refusal after the PIN the same way for every paying flow.

The choices are the paying flow's confirm button (``confirm.button(prefix)``, declared in its
callbacks.py) with the verbs ``st`` and ``sc``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.home import callbacks as home_buttons
from handlers.ui import common as ui
from handlers.ui import confirm, keypad, step_up
from handlers.ui.draft import Funding, PaymentDraft, Short
from wallet.errors import (BankDeclined, BankTimeout, InsufficientBalance, PaymentRefusedAfterCharge, PinLocked,
                           PinWrong, SmsCodeWrong, StepUpRequired, WalletError)
from wallet.services import bills, cards, risk_settings

TOP_UP, CARD = "st", "sc"
VERBS = (TOP_UP, CARD)


@dataclass
class Offer:
    line: str                             # "Your balance ¥3.00 is ¥7.00 short of ¥10.00."
    rows: list[list[tuple[str, str]]]     # the two choices as (label, callback_data)
    draft: PaymentDraft                   # the flow's draft as stored now, with the choices (``short``)


async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: PaymentDraft, amount: int, prefix: str, *,
                card: dict | None = None) -> Offer | None:
    """The choices when the balance is short of ``amount`` (kept in the draft as ``short``), from
    ``card`` or the default card; None when the balance covers it, or there is no card to charge
    (the wallet then explains). The draft is stored either way (no choice kept from before)."""
    wallet = ui.wallet(context)
    uid = update.effective_user.id
    balance = (await bills.balance(wallet, uid))["wallet"]
    draft = draft.replace(short=None, funding=None).save(context)
    if balance >= amount:
        return None
    card = card or await cards.default_card(wallet, uid)
    if card is None:
        return None
    short = amount - balance
    draft = draft.replace(short=Short(amount=amount, short=short, card_id=card["card_id"],
                                      last4=card["last4"])).save(context)
    lang = await ui.language(update, context)
    return Offer(
        line=t(lang, "short.line", balance=ui.money(balance), short=ui.money(short), amount=ui.money(amount)),
        rows=[[(t(lang, "short.top_up_button", short=ui.money(short), last4=card["last4"]),
                confirm.data(prefix, TOP_UP, 0, draft))],
              [(t(lang, "short.card_button", amount=ui.money(amount), last4=card["last4"]),
                confirm.data(prefix, CARD, 0, draft))]],
        draft=draft)


def choose(verb: str, draft: PaymentDraft) -> PaymentDraft | None:
    """A press of "Pay" (``ok``) or of one of the choices: the draft with how it is paid
    (``funding``; none for "Pay"), not stored. None for a choice the draft was never offered (an
    old screen, crafted data)."""
    if verb == "ok":
        return draft.replace(funding=None)
    short = draft.short
    if verb not in VERBS or short is None:
        return None
    return draft.replace(funding=Funding(card_id=short.card_id, last4=short.last4,
                                         top_up=short.short if verb == TOP_UP else short.amount))


async def to_keypad(update: Update, context: ContextTypes.DEFAULT_TYPE, verb: str, draft: PaymentDraft, *, title: str,
                    owner: str, without_pin: tuple[int, Callable[[], Awaitable[object]]] | None = None) -> str | None:
    """"Pay" (``ok``) or one of the choices pressed on a confirm screen: the choice kept, the
    buttons taken off and the PIN keypad shown (``owner``, the state that waits for it, is
    returned). A double tap returns ``owner`` again; a choice never offered, None. A locked PIN
    shows no keypad (told until when, with a reset button): END; the screen works again later.
    ``without_pin`` (amount, the flow's payment without the PIN): when the person's 免密支付
    setting covers that amount and the balance pays (no card), the payment runs at once instead
    (the wallet still refuses it with PinRequired beyond the day's limit: ``payment.pin_after_all``)."""
    if draft.confirmed:  # a double tap: the keypad is on its way
        return owner
    chosen = choose(verb, draft)
    if chosen is None:
        return None
    chosen = chosen.replace(confirmed=True).save(context)
    if without_pin is not None and chosen.funding is None:
        amount, pay_now = without_pin
        prefs = await risk_settings.get_prefs(ui.wallet(context), ui.user_id(update))
        if prefs.no_pin_max is not None and amount <= prefs.no_pin_max:
            await update.callback_query.edit_message_reply_markup(None)
            return await pay_now()
    if not await keypad.show(update, context, title=title, owner=owner):
        chosen.save(context)  # the choice stays, not confirmed
        return ConversationHandler.END
    await update.callback_query.edit_message_reply_markup(None)
    return owner


async def explain(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError,
                  draft: PaymentDraft | None) -> str:
    """A refusal, with what happened to the card's money when the payment went through a card."""
    text = await ui.explain(update, context, err)
    cause = err.__cause__
    if isinstance(err, PaymentRefusedAfterCharge) and isinstance(cause, WalletError):
        text += "\n" + await ui.explain(update, context, cause)
    elif isinstance(err, BankTimeout) and draft is not None and draft.funding is not None:
        text += "\n" + await ui.text(update, context, "short.timeout_nothing_paid")
    return text


async def after_refusal(update: Update, context: ContextTypes.DEFAULT_TYPE, err: InsufficientBalance,
                        draft: PaymentDraft, *, amount: int, prefix: str, cancel: str | None = "no") -> bool:
    """The balance was short after the PIN: the reason and the choices (the PIN is asked again
    for the chosen one). False when there is nothing to offer (no card): the flow ends."""
    if draft.funding is not None:  # short even after the top-up was chosen: do not offer it twice
        return False
    found = await offer(update, context, draft, amount, prefix)
    if found is None:
        return False
    draft = found.draft.replace(confirmed=False).save(context)
    lang = await ui.language(update, context)
    rows = found.rows + ([[(t(lang, "flow.cancel_button"), confirm.data(prefix, cancel, 0, draft))]] if cancel else [])
    text = "\n".join([await ui.explain(update, context, err), found.line])
    await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML,
                                   reply_markup=confirm.keyboard(rows))
    return True


async def refused(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError, draft: PaymentDraft, *,
                  amount: int, prefix: str, confirm_state: str, say: Callable[[str], Awaitable[object]]):
    """A payment of the flow's draft refused after the PIN: a wrong PIN gets a fresh keypad
    (a locked one ends the flow); a balance found short offers the choices again (returns
    ``confirm_state``); anything else ends the flow, the draft dropped and the reason (with
    what happened to a card's money) sent with ``say``."""
    if isinstance(err, (PinWrong, PinLocked)):
        return await keypad.refused(update, context, err, drop=draft.FEATURE)
    if isinstance(err, StepUpRequired):  # the risk engine asks for the SMS code too: stay, wait for it
        await step_up.asked(update, context, err, draft, say)
        return None
    if isinstance(err, SmsCodeWrong) and step_up.waiting(context, draft):  # a wrong step-up code: again
        await say(await ui.explain(update, context, err))
        return None
    step_up.done(context)
    if isinstance(err, InsufficientBalance):
        if await after_refusal(update, context, err, draft, amount=amount, prefix=prefix):
            return confirm_state
        draft.drop(context)
        await say(await ui.explain(update, context, err))
        return ConversationHandler.END
    if isinstance(err, BankDeclined) and draft.funding is not None:
        return await after_decline(update, context, err, draft, amount=amount, prefix=prefix,
                                   confirm_state=confirm_state)
    draft.drop(context)
    await say(await explain(update, context, err, draft))
    return ConversationHandler.END


async def after_decline(update: Update, context: ContextTypes.DEFAULT_TYPE, err: BankDeclined, draft: PaymentDraft, *,
                        amount: int, prefix: str, confirm_state: str):
    """The chosen card declined (nothing was paid): the reason, and the ways on. Another bound card:
    the two choices with it (the PIN asked again; a new key, the declined attempt stays declined),
    returns ``confirm_state``. None: the flow ends with buttons to the cards, a top-up and home."""
    declined = draft.funding.card_id
    draft = draft.replace(declines=draft.declines + 1, confirmed=False).save(context)
    lang = await ui.language(update, context)
    text = await explain(update, context, err, draft)
    bound = await cards.list_cards(ui.wallet(context), update.effective_user.id)
    others = sorted((c for c in bound if c["card_id"] != declined), key=lambda c: not c["default"])
    found = await offer(update, context, draft, amount, prefix, card=others[0]) if others else None
    if found is not None:
        rows = found.rows + [[(t(lang, "flow.cancel_button"), confirm.data(prefix, "no", 0, draft))]]
        await context.bot.send_message(update.effective_chat.id, "\n".join([text, found.line]),
                                       parse_mode=ParseMode.HTML, reply_markup=confirm.keyboard(rows))
        return confirm_state
    draft.drop(context)
    rows = [[(t(lang, "short.cards_button"), home_buttons.Cards().data())],
            [(t(lang, "short.topup_button"), home_buttons.TopUp().data()), (t(lang, "flow.home"), home_buttons.Back().data())]]
    await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML,
                                   reply_markup=confirm.keyboard(rows))
    return ConversationHandler.END
