"""Binding one more bank card (``/bind`` or the list's button), part of handlers/cards/menu.py's
conversation: card number (deleted at once, held in memory only) -> bank named -> the bank checks
the identity on file and that the wallet's phone is the one it holds for the card (预留手机号), then
sends the card's code there (a Resend button under it) -> the code -> the bank verifies again."""
from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.cards.callbacks import RESEND, Confirm
from handlers.cards.draft import CardsDraft
from handlers.cards.listing import FEATURE, show_list
from handlers.ui import common as ui
from handlers.ui import confirm, entry, held, identity
from wallet.bank import lookup_card, normalize_card_number
from wallet.errors import (BankDeclined, BankTimeout, CardAlreadyBound, CardInvalid, CardNotSupported, IdentityMismatch,
                           PhoneMismatch, SmsCodeExpired, SmsCodeWrong, SmsTooSoon, WalletError)
from wallet.services import cards

BIND_NUMBER, BIND_CODE = "cards.bind_number", "cards.bind_code"
RESEND_WORDS = {"resend", "重发", "重新发送"}
REFUSALS = (IdentityMismatch, PhoneMismatch, CardAlreadyBound, CardNotSupported, CardInvalid, BankDeclined)


def _uid(update: Update) -> int:
    return update.effective_user.id


def end(update: Update, context: ContextTypes.DEFAULT_TYPE):
    held.forget(context, _uid(update), "card_number")
    CardsDraft.drop(context)
    return ConversationHandler.END


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def bind_command(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    CardsDraft.start(context)
    return await bind_prompt(update, context)


async def bind_prompt(update: Update, context: ContextTypes.DEFAULT_TYPE):
    held.forget(context, _uid(update), "card_number")
    await _send(update, context, await ui.text(update, context, "cards.ask_number"))
    return BIND_NUMBER


async def on_number(update: Update, context: ContextTypes.DEFAULT_TYPE):
    message = update.effective_message
    typed = message.text or ""
    try:  # the whole card number must not stay in the chat
        await message.delete()
    except BadRequest:
        pass
    lang = await ui.language(update, context)
    try:
        info = lookup_card(typed)
    except (CardInvalid, CardNotSupported) as err:
        await _send(update, context, t(lang, "cards.deleted") + "\n" + await ui.explain(update, context, err))
        return None
    number = normalize_card_number(typed)
    held.hold(context, _uid(update), "card_number", number)
    draft = (CardsDraft.load(context) or CardsDraft.start(context)).recognised(info).save(context)
    label = entry.card_label(draft.card, lang)
    lines = [t(lang, "cards.deleted"), t(lang, "cards.recognised", card=label)]
    if info.card_type == "credit":
        lines.append(t(lang, "cards.credit_warning"))
    await _send(update, context, "\n".join(lines))
    return await _code(update, context)


async def _code(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """Ask the bank for the card's code (it checks the identity and the phone first) and say what
    happened: sent, not yet (when, with the Resend button), or why not (back to the card number).
    On a Resend press the callback query is answered with the outcome."""
    query = update.callback_query
    lang, uid = await ui.language(update, context), _uid(update)
    draft = CardsDraft.load(context)
    card = entry.card_label(draft.card, lang)
    resend = confirm.keyboard([[(t(lang, "cards.button.resend"), Confirm(RESEND, 0, draft.nonce).data())]])
    try:
        sent = await cards.send_another_code(ui.wallet(context), user_id=uid, card_number=held.recall(context, uid, "card_number"),
                                             lang=ui.wallet_language(lang))
    except SmsTooSoon as err:
        if query is not None:
            await query.answer(await ui.explain(update, context, err), show_alert=True)
            return None
        await _send(update, context, t(lang, "cards.code_live" if err.live else "cards.code_wait", card=card,
                                       seconds=err.retry_after), resend)
        return BIND_CODE
    except REFUSALS as err:
        if query is not None:
            await query.answer()
        return await _refused(update, context, err)
    except WalletError as err:  # the SMS could not be sent: Resend tries again
        if query is not None:
            await query.answer()
        await _send(update, context, await ui.explain(update, context, err), resend)
        return BIND_CODE
    if query is not None:
        await query.answer(t(lang, "cards.code_resent"))
    await _send(update, context, t(lang, "cards.code_sent", card=card, phone=sent["phone"]), resend)
    return BIND_CODE


async def _refused(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError):
    """The bank refused the card: why, and the card number step again."""
    lang = await ui.language(update, context)
    draft = CardsDraft.load(context)
    card = draft.card if draft is not None else {}
    held.forget(context, _uid(update), "card_number")
    CardsDraft.start(context)
    if isinstance(err, IdentityMismatch):
        text = t(lang, "cards.identity_mismatch", card=entry.card_label(card, lang))
    elif isinstance(err, PhoneMismatch):
        text = t(lang, "cards.phone_mismatch", card=entry.card_label(card, lang))
    else:
        text = await ui.explain(update, context, err)
    await _send(update, context, text + "\n" + t(lang, "cards.ask_number"))
    return BIND_NUMBER


async def on_resend(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """The Resend button under a code message: a new code for the card being bound (a popup says
    when, if too soon); a button of an older binding is refused with a popup."""
    query, uid = update.callback_query, _uid(update)
    draft = CardsDraft.load(context)
    press = Confirm.parse(query.data)
    if (draft is None or press is None or press.action != RESEND or press.nonce != draft.nonce
            or held.recall(context, uid, "card_number") is None):
        await query.answer(await ui.text(update, context, "confirm.stale"), show_alert=True)
        return None
    entry.activate(update, FEATURE)
    return await _code(update, context)


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE):
    lang, uid = await ui.language(update, context), _uid(update)
    number = held.recall(context, uid, "card_number")
    draft = CardsDraft.load(context)
    if number is None or draft is None:  # restarted in between: the card number is gone
        await _send(update, context, t(lang, "sec.again_after_restart"))
        return await bind_prompt(update, context)
    if (update.effective_message.text or "").strip().lower() in RESEND_WORDS:
        return await _code(update, context)
    code = await identity.read_code(update, context)
    if code is None:
        return None
    try:
        bound = await cards.bind_another(ui.wallet(context), key=ui.op_key(update, "bind_card", draft),
                                         user_id=uid, card_number=number, sms_code=code)
    except SmsCodeWrong as err:
        await _send(update, context, await ui.explain(update, context, err))
        return None
    except SmsCodeExpired as err:
        await _send(update, context, await ui.explain(update, context, err))
        return await _code(update, context)
    except BankTimeout:
        draft.renewed().save(context)  # the same card, a new attempt: a new key
        await _send(update, context, t(lang, "cards.bank_timeout"))
        return await _code(update, context)
    except REFUSALS as err:
        return await _refused(update, context, err)
    except WalletError as err:
        await _send(update, context, await ui.explain(update, context, err))
        return end(update, context)
    held.forget(context, uid, "card_number")
    return await show_list(update, context, notice=t(lang, "cards.bound", card=entry.card_label(bound, lang)), edit=False)
