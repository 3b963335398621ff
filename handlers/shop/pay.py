"""Paying a collection code (扫码付款), in the private chat (DESIGN §8 "pay a merchant").

The QR picture or payment link of a shop (or a friend's receive code) is the deep link
``t.me/<bot>?start=pay_<code>``: opening it sends ``/start pay_<code>``. Then:
who is paid (the shop's name, or the friend's name) and the amount (fixed, or typed) -> confirm
(the button carries the draft's nonce) -> PIN keypad -> paid at once (a shop) or a transfer
accepted for the friend at once (a receive code); the payee is told through the outbox.

Refused with the reason: an unknown or revoked code, one's own shop or code, a payee who cannot
collect; a person without a wallet is told how to open one. Not enough balance: the confirm
screen offers to top up the shortfall or pay with a card (handlers/ui/shortfall.py).

The confirm screen's buttons are ``PayConfirm`` (``pay:ok|st|sc|no:0:<nonce>``,
handlers/shop/callbacks.py; the shortfall's choices are built by handlers/ui/shortfall.py with the
same prefix): the nonce of the person's live draft, so an old screen or a double tap cannot pay
twice; private chats only, so the presser is the draft's owner.
"""
from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler, filters
from telegram.helpers import escape

from chat.i18n import t
from handlers.shop.callbacks import PAY_PREFIX, PayConfirm
from handlers.shop.draft import PayDraft
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry, keypad, payment, shortfall, step_up
from wallet.errors import AccountFrozen, PayCodeNotFound, PayOwnCode, PinRequired, WalletError
from wallet.services import merchants

log = logging.getLogger("handlers.shop.pay")

FEATURE = PayDraft.FEATURE
PREFIX = PAY_PREFIX  # the confirm screen's (shortfall.offer builds its choices with it)
AMOUNT, CONFIRM, PIN = "pay.amount", "pay.confirm", "pay.pin"
DEEP_LINK = re.compile(r"^/start(?:@\w+)? pay_([A-Za-z0-9_-]{1,60})$")


def payee_label(lang: str, code: dict) -> str:
    """"🏪 Noodle House (Food & drink)" for a shop; "👤 Bob (*b)" for a receive code (plain text:
    escape it for an HTML message)."""
    if code["kind"] == "shop":
        return t(lang, "pay.payee_shop", shop=code["shop_name"] or "", category=t(lang, f"shop.category.{code['category']}"))
    real = f" ({code['payee_real_name']})" if code.get("payee_real_name") else ""
    return t(lang, "pay.payee_person", name=code["payee_name"] or "?", real=real)


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``/start pay_<code>``: who is paid and how much (or ask for the amount)."""
    lang = await ui.language(update, context)
    PayDraft.drop(context)
    match = DEEP_LINK.match(update.effective_message.text or "")
    code = merchants.code_from_payload("pay_" + match.group(1)) if match else None
    profile = await ui.person(update, context, fresh=True)
    if not ui.is_open(profile):
        await _say(update, context, t(lang, "pay.no_wallet"))
        return ConversationHandler.END
    entry.activate(update, FEATURE)
    try:
        if code is None:
            raise PayCodeNotFound()
        found = await merchants.lookup(ui.wallet(context), code)
        if found["payee_id"] == update.effective_user.id:
            raise PayOwnCode()
        if profile.get("frozen"):
            raise AccountFrozen(user_id=profile["user_id"])
    except WalletError as err:
        await _say(update, context, await ui.explain(update, context, err), entry.home_button(lang))
        return ConversationHandler.END
    draft = PayDraft.start(context, code=code, kind=found["kind"], payee=payee_label(lang, found),
                           label=found.get("label"), amount=found["amount"], fixed=found["amount"] is not None)
    if draft.fixed:
        return await show_confirm(update, context, draft)
    await _say(update, context, t(lang, "pay.ask_amount", payee=escape(draft.payee)))
    return AMOUNT


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    # too large: said now, not after the PIN
    draft = await amount_ui.into_draft(update, context, PayDraft, payment=True)
    if not isinstance(draft, PayDraft):
        return draft  # END: no draft; None: refused, stay on the step
    return await show_confirm(update, context, draft)


async def show_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: PayDraft):
    lang = await ui.language(update, context)
    lines = [t(lang, "pay.confirm", payee=escape(draft.payee), amount=ui.money(draft.amount))]
    if draft.label:
        lines.append(t(lang, "pay.label_line", label=escape(draft.label)))
    short = await shortfall.offer(update, context, draft, draft.amount, PREFIX)
    if short is not None:
        lines.append(short.line)
    rows = (short.rows if short is not None else
            [[(t(lang, "pay.confirm_button", amount=ui.money(draft.amount)),
               PayConfirm("ok", 0, draft.nonce).data())]])
    rows.append([(t(lang, "flow.cancel_button"), PayConfirm("no", 0, draft.nonce).data())])
    await _say(update, context, "\n".join(lines), confirm.keyboard(rows))
    return CONFIRM


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    draft = PayDraft.of(press.draft)
    if await press.cancelled(update, context):
        return ConversationHandler.END
    if press.verb in ("ok", *shortfall.VERBS) and draft.amount:
        return await shortfall.to_keypad(update, context, press.verb, draft, owner=PIN, title=_pin_title(lang, draft),
                                         without_pin=(draft.amount, lambda: pay(update, context, pin=None, no_pin=True)))
    return None


async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    return await pay(update, context, pin=pin)


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str):
    """The SMS code the risk engine asked for (handlers/ui/step_up.py): the same payment again."""
    return await pay(update, context, pin=None, step_up_code=code)


def _pin_title(lang: str, draft: PayDraft) -> str:
    return t(lang, "pay.pin_title", amount=ui.money(draft.amount), payee=draft.payee)


async def pay(update: Update, context: ContextTypes.DEFAULT_TYPE, *, pin: str | None, step_up_code: str | None = None,
              no_pin: bool = False):
    lang = await ui.language(update, context)
    draft = PayDraft.load(context)
    if draft is None or not draft.confirmed:
        await _say(update, context, t(lang, "confirm.stale"))
        return ConversationHandler.END
    uid = update.effective_user.id
    try:
        paid = await payment.pay(
            context, draft, key=ui.op_key(update, "pay", draft), user_id=uid, pin=pin, step_up_code=step_up_code, no_pin=no_pin,
            pay=lambda **kw: merchants.pay(ui.wallet(context), payer_id=uid, code=draft.code,
                                           amount=draft.amount, **kw))
    except PinRequired as err:  # 免密支付 does not cover it now: the keypad after all
        return await payment.pin_after_all(update, context, err, title=_pin_title(lang, draft), owner=PIN,
                                             say=lambda text: _say(update, context, text))
    except WalletError as err:
        return await shortfall.refused(update, context, err, draft, amount=draft.amount,
                                       prefix=PREFIX, confirm_state=CONFIRM,
                                       say=lambda text: _say(update, context, text, entry.home_button(lang)))
    PayDraft.drop(context)
    log.info("paid user=%s kind=%s amount=%s funded=%s held=%s", uid, paid["kind"], paid["amount"],
             draft.funding is not None, bool(paid.get("held")))
    done = "risk.held" if paid.get("held") else "pay.done"  # held: in a safety review, nothing reached them
    lines = [t(lang, done, payee=escape(draft.payee), name=escape(draft.payee), amount=ui.money(paid["amount"]))]
    charged = payment.charged_line(lang, draft)
    if charged:
        lines.append(charged)
    await _say(update, context, "\n".join(lines), entry.home_button(lang))
    return ConversationHandler.END


def conversation() -> ConversationHandler:
    press = CallbackQueryHandler(on_press, pattern=PayConfirm.pattern())
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("start", start, filters=filters.ChatType.PRIVATE & filters.Regex(DEEP_LINK)),
                      press],  # an older confirm screen: a popup (stale)
        states={
            AMOUNT: [entry.FlowText(FEATURE, on_amount)],
            CONFIRM: [press],
            PIN: [press, *step_up.state(FEATURE, on_code, load=PayDraft.load), *keypad.state(on_pin, owner=PIN)],
        },
    )


def register(app: Application) -> None:
    """Before onboarding: the deep link ``/start pay_<code>`` is ours."""
    app.add_handler(conversation())
