"""Opening a wallet: the phone (own contact shared, someone else's refused) and its SMS code (resend after
60 s). Part of the conversation of handlers/onboarding/flow.py."""
from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.onboarding import callbacks as buttons
from handlers.ui import common as ui
from wallet.errors import InvalidPhone, SmsCodeExpired, SmsTooSoon, WalletError
from wallet.pii import mask_phone, normalize_phone
from wallet.services import sms_codes
from handlers.onboarding.prompts import (CODE, CODE_RE, NAME, step_buttons, get_draft, keep_secret, say,
                                        get_secret, sms_lang, PROMPTS, ask)


# --- phone and its code ----------------------------------------------------------------------
async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    lang = await ui.language(update, context)
    contact = update.effective_message.contact
    if contact.user_id != update.effective_user.id:
        await say(update, context, t(lang, "ob.not_own_contact"))
        return None
    try:
        phone = normalize_phone(contact.phone_number)
    except InvalidPhone as err:
        await say(update, context, await ui.explain(update, context, err))
        return None
    keep_secret(context, "phone", phone)
    await say(update, context, t(lang, "ob.phone_ok", phone=mask_phone(phone)), ReplyKeyboardRemove())
    await send_code(update, context, "open", quiet_too_soon=True)
    return await ask(update, context, CODE)


async def typed_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    await say(update, context, t(lang, "ob.use_share_button"))


async def send_code(update: Update, context: ContextTypes.DEFAULT_TYPE, purpose: str, *,
                     quiet_too_soon: bool = False) -> str | None:
    """Send a code to the draft's phone. Returns an error text (too soon, send failed) or None."""
    lang = await ui.language(update, context)
    try:
        await sms_codes.request_code(ui.wallet(context), phone=get_secret(context, "phone"), purpose=purpose,
                                     lang=sms_lang(lang))
    except SmsTooSoon as err:
        return None if quiet_too_soon else await ui.explain(update, context, err)
    except WalletError as err:
        return await ui.explain(update, context, err)
    return None


def typed_code(text: str) -> str | None:
    m = CODE_RE.fullmatch(text or "")
    return m.group(1).translate({0xFF10 + i: ord("0") + i for i in range(10)}) if m else None


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    code = typed_code(update.effective_message.text)
    if code is None:
        await say(update, context, await ui.text(update, context, "ob.code_format"))
        return None
    try:
        await sms_codes.check_code(ui.wallet(context), phone=get_secret(context, "phone"), purpose="open", code=code)
    except SmsCodeExpired as err:
        lang = await ui.language(update, context)
        await say(update, context, await ui.explain(update, context, err),
                   step_buttons(lang, [("ob.button.resend", buttons.Resend())]))
        return None
    except WalletError as err:
        await say(update, context, await ui.explain(update, context, err))
        return None
    get_draft(context).replace(phone_ok=True).save(context)
    await say(update, context, await ui.text(update, context, "ob.code_ok"))
    return await ask(update, context, NAME)


async def on_resend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Resend on the phone's code step (the card's code step has its own: card.on_retry)."""
    query = update.callback_query
    lang = await ui.language(update, context)
    problem = await send_code(update, context, "open")
    if problem:
        await query.answer(problem, show_alert=True)
        return None
    await query.answer(t(lang, "ob.code_resent"))
    await PROMPTS[CODE](update, context)
    return None


