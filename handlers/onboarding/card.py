"""Opening a wallet: real name, ID number (deleted at once, echoed masked), card number (deleted, bank
named) and the card's SMS code: the bank checks the card's holder and that the phone is the one it holds
for the card before the code goes out, and again when it comes back. Part of handlers/onboarding/flow.py's
conversation."""
from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.onboarding import callbacks as buttons
from handlers.ui import common as ui
from wallet.errors import (BankDeclined, BankTimeout, CardInvalid, CardNotSupported, IdentityMismatch,
                           InvalidIdNumber, InvalidName, PhoneMismatch, PhoneTaken, SmsCodeExpired, SmsTooSoon,
                           WalletError)
from wallet.bank import normalize_card_number
from wallet.idnumber import validate_id_number
from wallet.pii import mask_phone, normalize_name
from wallet.services import cards, people
from handlers.onboarding.prompts import (CARD, CARD_CODE, ID, NAME, PIN, step_buttons, card_label, delete_message,
                                        get_draft, goto, keep_secret, say, get_secret, sms_lang, ask)
from handlers.onboarding.phone import typed_code
from handlers.onboarding.draft import OpeningDraft


# --- name, ID number, card -------------------------------------------------------------------
async def on_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    try:
        name = normalize_name(update.effective_message.text)
    except InvalidName as err:
        await say(update, context, await ui.explain(update, context, err))
        return None
    keep_secret(context, "name", name)
    return await ask(update, context, ID)


async def on_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    text = update.effective_message.text
    await delete_message(update)
    lang = await ui.language(update, context)
    try:
        ident = validate_id_number(text)
    except InvalidIdNumber as err:
        await say(update, context, t(lang, "ob.deleted") + "\n" + await ui.explain(update, context, err))
        return None
    keep_secret(context, "id", ident.number)
    get_draft(context).replace(id_masked=ident.masked).save(context)
    await say(update, context, t(lang, "ob.id_ok", id=ident.masked))
    return await ask(update, context, CARD)


async def on_card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    text = update.effective_message.text
    await delete_message(update)
    lang = await ui.language(update, context)
    wallet = ui.wallet(context)
    try:
        info = wallet.bank.lookup(text)
    except (CardInvalid, CardNotSupported) as err:
        await say(update, context, t(lang, "ob.deleted") + "\n" + await ui.explain(update, context, err)
                   + ("\n" + t(lang, "ob.card_other") if isinstance(err, CardNotSupported) else ""))
        return None
    keep_secret(context, "card", normalize_card_number(text))
    d = get_draft(context).replace(bank_zh=info.bank_name_zh, bank_en=info.bank_name_en, card_type=info.card_type,
                                   last4=info.last4, bind_nonce=ui.new_nonce()).save(context)
    lines = [t(lang, "ob.card_ok", card=card_label(lang, d))]
    if info.card_type == "credit":
        lines.append(t(lang, "ob.credit_note"))
    await say(update, context, "\n".join(lines))
    return await card_code(update, context)


async def card_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    """Ask the bank for the card's code (it checks the holder and the phone first) and say what
    happened: sent (the code step), not yet (when, with a Resend button), or why not (the card step).
    On a press (Resend, Try again) the callback query is answered with the outcome."""
    query = update.callback_query
    lang, d = await ui.language(update, context), get_draft(context)
    card, phone = card_label(lang, d), mask_phone(get_secret(context, "phone") or "")
    try:
        await cards.send_bind_code(ui.wallet(context), user_id=update.effective_user.id,
                                   card_number=get_secret(context, "card"), name=get_secret(context, "name"),
                                   id_number=get_secret(context, "id"), phone=get_secret(context, "phone"),
                                   lang=sms_lang(lang))
    except SmsTooSoon as err:
        if query is not None:  # the code step stays as it is
            await query.answer(await ui.explain(update, context, err), show_alert=True)
            return None
        msgid = "ob.card_code_live" if err.live else "ob.card_code_wait"
        await say(update, context, t(lang, msgid, card=card, phone=phone, seconds=err.retry_after), code_buttons(lang))
        return goto(context, CARD_CODE)
    except WalletError as err:
        if query is not None:
            await query.answer()
        return await refused(update, context, err)
    if query is not None:
        await query.answer(t(lang, "ob.code_resent"))
    return await ask(update, context, CARD_CODE)


def code_buttons(lang: str):
    return step_buttons(lang, [("ob.button.resend", buttons.Resend()), ("ob.button.other_card", buttons.OtherCard())])


async def refused(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError) -> str | int | None:
    """The bank (or the wallet) refused the card: why, and what to do; back to the card step."""
    lang, d = await ui.language(update, context), get_draft(context)
    card, phone = card_label(lang, d), mask_phone(get_secret(context, "phone") or "")
    other = step_buttons(lang, [("ob.button.other_card", buttons.OtherCard())])
    if isinstance(err, IdentityMismatch):
        await say(update, context, t(lang, "ob.identity_mismatch", card=card),
                  step_buttons(lang, [("ob.button.other_card", buttons.OtherCard())], [("ob.button.retype_identity", buttons.RetypeIdentity())]))
    elif isinstance(err, PhoneMismatch):
        await say(update, context, t(lang, "ob.phone_mismatch", card=card, phone=phone), other)
    elif isinstance(err, (CardNotSupported, BankDeclined)):
        await say(update, context, await ui.explain(update, context, err) + "\n" + t(lang, "ob.card_other"), other)
    elif isinstance(err, PhoneTaken):
        await say(update, context, await ui.explain(update, context, err) + "\n" + t(lang, "ob.phone_taken_next"))
        OpeningDraft.drop(context)
        return ConversationHandler.END
    else:  # the SMS could not be sent, or something else: say it; Resend tries again
        await say(update, context, await ui.explain(update, context, err), code_buttons(lang))
        return goto(context, CARD_CODE)
    return goto(context, CARD)


async def on_other_card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    await query.answer()
    return await ask(update, context, CARD)


async def on_retype_identity(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    await query.answer()
    return await ask(update, context, NAME)


async def on_retry(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    """Resend, or Try again after a bank time-out: a new code for the same card, nothing typed again."""
    return await card_code(update, context)


async def on_card_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    code = typed_code(update.effective_message.text)
    lang = await ui.language(update, context)
    if code is None:
        await say(update, context, t(lang, "ob.code_format"))
        return None
    wallet, d, uid = ui.wallet(context), get_draft(context), update.effective_user.id
    try:
        await people.open_wallet(wallet, key=ui.op_key(update, "open_wallet", d), user_id=uid,
                                 language=ui.wallet_language(lang), first_name=update.effective_user.first_name)
        bound = await cards.bind_card(wallet, key=ui.op_key(update, "bind_card", d.bind_nonce), user_id=uid,
                                      card_number=get_secret(context, "card"), name=get_secret(context, "name"),
                                      id_number=get_secret(context, "id"), phone=get_secret(context, "phone"),
                                      sms_code=code)
    except SmsCodeExpired as err:
        await say(update, context, await ui.explain(update, context, err), code_buttons(lang))
        return None
    except BankTimeout:
        await say(update, context, t(lang, "ob.bank_timeout"), step_buttons(lang, [("ob.button.retry", buttons.Retry())]))
        return None
    except (IdentityMismatch, PhoneMismatch, CardNotSupported, BankDeclined, PhoneTaken) as err:
        return await refused(update, context, err)
    except WalletError as err:
        await say(update, context, await ui.explain(update, context, err))
        return None
    await ui.person(update, context, fresh=True)
    await say(update, context, t(lang, "ob.card_bound", card=card_label(lang, d.replace(
        bank_zh=bound["bank_name_zh"], bank_en=bound["bank_name_en"], card_type=bound["card_type"],
        last4=bound["last4"]))))
    d.without_secrets().save(context)  # nothing secret is needed any more: keep only what the PIN step shows
    return await ask(update, context, PIN)


