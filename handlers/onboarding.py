"""Open a wallet (开通流程), in the private chat: ``/start`` for a newcomer.

language → what the wallet is and stores → share own phone (reply keyboard, request_contact) →
SMS code (resend after 60 s) → real name → ID number (deleted at once, echoed masked) → card
number (deleted at once, bank named) → card SMS code (bank verification) → PIN on the keypad,
twice → wallet home. Every step refuses bad input with the reason and stays on the step;
/start re-shows the current step; /cancel leaves; 10 idle minutes end it.

The draft (``user_data["draft:onboarding"]``) holds the phone, name, ID and card number only
encrypted with the wallet's PII key; the conversation state and the draft are persisted, so a
restart of the bot continues at the same step.
"""
from __future__ import annotations

import html
import logging
import re

from telegram import (InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup,
                      ReplyKeyboardRemove, Update)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler,
                          MessageHandler, filters)

from handlers import home
from handlers.i18n import t
from handlers.ui import common as ui
from handlers.ui import keypad
from wallet.errors import (BankDeclined, BankTimeout, CardInvalid, CardNotSupported, IdentityMismatch,
                           InvalidIdNumber, InvalidName, InvalidPhone, PhoneTaken, PinAlreadySet, SmsCodeExpired,
                           SmsTooSoon, WalletError)
from wallet.bank import normalize_card_number
from wallet.idnumber import validate_id_number
from wallet.pii import mask_phone, normalize_name, normalize_phone
from wallet.services import cards, people, pins, sms_codes

log = logging.getLogger("handlers.onboarding")

FEATURE = "onboarding"
LANG, INTRO, PHONE, CODE, NAME, ID, CARD, CARD_CODE, PIN = (
    "ob.lang", "ob.intro", "ob.phone", "ob.code", "ob.name", "ob.id", "ob.card", "ob.card_code", "ob.pin")
STEP = "onboarding:step"  # user_data: the step the person is on (for /start to re-show it)
CODE_RE = re.compile(r"\s*([0-9０-９]{6})\s*")


# --- small helpers ---------------------------------------------------------------------------
def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict:
    return ui.draft(context, FEATURE) or ui.new_draft(context, FEATURE)


def _secret(context: ContextTypes.DEFAULT_TYPE, field: str) -> str | None:
    value = _draft(context).get(field)
    return ui.wallet(context).pii.decrypt(value) if value else None


def _keep(context: ContextTypes.DEFAULT_TYPE, field: str, value: str) -> None:
    _draft(context)[field] = ui.wallet(context).pii.encrypt(value)


def _goto(context: ContextTypes.DEFAULT_TYPE, step: str) -> str:
    context.user_data[STEP] = step
    return step


def _sms_lang(lang: str) -> str:
    return ui.wallet_language(lang)


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _delete_message(update: Update) -> None:
    """Delete the person's message at once (it holds an ID or card number)."""
    message = update.effective_message
    if message is None:
        return
    try:
        await message.delete()
    except BadRequest as err:
        log.warning("could not delete a message with PII: %s", err.message)


def _buttons(lang: str, *rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, msgid), callback_data=data) for msgid, data in row]
                                 for row in rows])


# --- prompts (each step's question; /start re-shows it) --------------------------------------
async def prompt_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = ui.chosen_language(update, context)
    mark = {"zh_CN": "", "en": ""}
    mark[lang] = "✓ "
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(mark["zh_CN"] + "中文", callback_data="ob:lang:zh_CN"),
                                    InlineKeyboardButton(mark["en"] + "English", callback_data="ob:lang:en")]])
    name = html.escape(update.effective_user.first_name or "")
    await _say(update, context, t(lang, "ob.welcome", name=name) + "\n\n" + t(lang, "ob.sandbox"), markup)


async def prompt_intro(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    await _say(update, context, t(lang, "ob.intro"), _buttons(lang, [("ob.button.go", "ob:go")]))


async def prompt_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    markup = ReplyKeyboardMarkup([[KeyboardButton(t(lang, "ob.button.share_phone"), request_contact=True)]],
                                 resize_keyboard=True, one_time_keyboard=True)
    await _say(update, context, t(lang, "ob.phone"), markup)


async def prompt_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    phone = _secret(context, "phone") or ""
    await _say(update, context, t(lang, "ob.code", phone=mask_phone(phone)),
               _buttons(lang, [("ob.button.resend", "ob:resend")]))


async def prompt_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, context, await ui.text(update, context, "ob.name"))


async def prompt_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, context, await ui.text(update, context, "ob.id"))


async def prompt_card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, context, await ui.text(update, context, "ob.card"))


async def prompt_card_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    d = _draft(context)
    await _say(update, context, t(lang, "ob.card_code", card=_card_label(lang, d), phone=mask_phone(_secret(context, "phone") or "")),
               _buttons(lang, [("ob.button.resend", "ob:resend"), ("ob.button.other_card", "ob:card")]))


async def prompt_pin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    await keypad.show(update, context, title=t(lang, "ob.pin_title"), twice=True)


PROMPTS = {LANG: prompt_lang, INTRO: prompt_intro, PHONE: prompt_phone, CODE: prompt_code, NAME: prompt_name,
           ID: prompt_id, CARD: prompt_card, CARD_CODE: prompt_card_code, PIN: prompt_pin}


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str) -> str:
    await PROMPTS[step](update, context)
    return _goto(context, step)


def _card_label(lang: str, d: dict) -> str:
    kind = t(lang, f"ob.card_type.{d.get('card_type', 'debit')}")
    bank = d.get("bank_zh") if lang == "zh_CN" else d.get("bank_en")
    return t(lang, "ob.card_label", bank=bank or "", kind=kind, last4=d.get("last4", ""))


# --- entry and resume ------------------------------------------------------------------------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    """/start in the private chat: home for an open wallet, else the opening flow."""
    profile = await ui.person(update, context)
    if ui.is_open(profile):
        await home.show(update, context)
        return ConversationHandler.END
    ui.drop_draft(context, FEATURE)
    ui.new_draft(context, FEATURE)
    if profile and profile.get("verified"):  # card bound before, PIN not set yet
        return await ask(update, context, PIN)
    return await ask(update, context, LANG)


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """/start while opening: the current step again."""
    step = context.user_data.get(STEP) or LANG
    if step == PIN and not (await ui.person(update, context) or {}).get("verified"):
        step = LANG
    return await ask(update, context, step)


async def press_a_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, context, await ui.text(update, context, "ob.press_a_button"))


# --- language and intro ----------------------------------------------------------------------
async def on_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    lang = await ui.set_language(update, context, query.data.rsplit(":", 1)[1])
    await query.answer(t(lang, "language.switched"))
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
    return await ask(update, context, INTRO)


async def on_go(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
    return await ask(update, context, PHONE)


# --- phone and its code ----------------------------------------------------------------------
async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    lang = await ui.language(update, context)
    contact = update.effective_message.contact
    if contact.user_id != update.effective_user.id:
        await _say(update, context, t(lang, "ob.not_own_contact"))
        return None
    try:
        phone = normalize_phone(contact.phone_number)
    except InvalidPhone as err:
        await _say(update, context, await ui.explain(update, context, err))
        return None
    _keep(context, "phone", phone)
    await _say(update, context, t(lang, "ob.phone_ok", phone=mask_phone(phone)), ReplyKeyboardRemove())
    await _send_code(update, context, "open", quiet_too_soon=True)
    return await ask(update, context, CODE)


async def typed_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    await _say(update, context, t(lang, "ob.use_share_button"))


async def _send_code(update: Update, context: ContextTypes.DEFAULT_TYPE, purpose: str, *,
                     quiet_too_soon: bool = False) -> str | None:
    """Send a code to the draft's phone. Returns an error text (too soon, send failed) or None."""
    lang = await ui.language(update, context)
    try:
        await sms_codes.request_code(ui.wallet(context), phone=_secret(context, "phone"), purpose=purpose,
                                     lang=_sms_lang(lang))
    except SmsTooSoon as err:
        return None if quiet_too_soon else await ui.explain(update, context, err)
    except WalletError as err:
        return await ui.explain(update, context, err)
    return None


def _typed_code(text: str) -> str | None:
    m = CODE_RE.fullmatch(text or "")
    return m.group(1).translate({0xFF10 + i: ord("0") + i for i in range(10)}) if m else None


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    code = _typed_code(update.effective_message.text)
    if code is None:
        await _say(update, context, await ui.text(update, context, "ob.code_format"))
        return None
    try:
        await sms_codes.check_code(ui.wallet(context), phone=_secret(context, "phone"), purpose="open", code=code)
    except SmsCodeExpired as err:
        lang = await ui.language(update, context)
        await _say(update, context, await ui.explain(update, context, err),
                   _buttons(lang, [("ob.button.resend", "ob:resend")]))
        return None
    except WalletError as err:
        await _say(update, context, await ui.explain(update, context, err))
        return None
    _draft(context)["phone_ok"] = True
    await _say(update, context, await ui.text(update, context, "ob.code_ok"))
    return await ask(update, context, NAME)


async def on_resend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = await ui.language(update, context)
    step = context.user_data.get(STEP)
    purpose = "bind" if step == CARD_CODE else "open"
    problem = await _send_code(update, context, purpose)
    if problem:
        await query.answer(problem, show_alert=True)
        return None
    await query.answer(t(lang, "ob.code_resent"))
    await PROMPTS[step if step in (CODE, CARD_CODE) else CODE](update, context)
    return None


# --- name, ID number, card -------------------------------------------------------------------
async def on_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    try:
        name = normalize_name(update.effective_message.text)
    except InvalidName as err:
        await _say(update, context, await ui.explain(update, context, err))
        return None
    _keep(context, "name", name)
    return await ask(update, context, ID)


async def on_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    text = update.effective_message.text
    await _delete_message(update)
    lang = await ui.language(update, context)
    try:
        ident = validate_id_number(text)
    except InvalidIdNumber as err:
        await _say(update, context, t(lang, "ob.deleted") + "\n" + await ui.explain(update, context, err))
        return None
    _keep(context, "id", ident.number)
    _draft(context)["id_masked"] = ident.masked
    await _say(update, context, t(lang, "ob.id_ok", id=ident.masked))
    return await ask(update, context, CARD)


async def on_card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    text = update.effective_message.text
    await _delete_message(update)
    lang = await ui.language(update, context)
    wallet = ui.wallet(context)
    try:
        info = wallet.bank.lookup(text)
    except (CardInvalid, CardNotSupported) as err:
        await _say(update, context, t(lang, "ob.deleted") + "\n" + await ui.explain(update, context, err)
                   + ("\n" + t(lang, "ob.card_other") if isinstance(err, CardNotSupported) else ""))
        return None
    d = _draft(context)
    _keep(context, "card", normalize_card_number(text))
    d.update(bank_zh=info.bank_name_zh, bank_en=info.bank_name_en, card_type=info.card_type, last4=info.last4,
             bind_nonce=ui.new_nonce())
    lines = [t(lang, "ob.card_ok", card=_card_label(lang, d))]
    if info.card_type == "credit":
        lines.append(t(lang, "ob.credit_note"))
    await _say(update, context, "\n".join(lines))
    problem = await _send_code(update, context, "bind")
    if problem:
        await _say(update, context, problem)
    return await ask(update, context, CARD_CODE)


async def on_other_card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    await query.answer()
    return await ask(update, context, CARD)


async def on_retype_identity(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    await query.answer()
    return await ask(update, context, NAME)


async def on_retry(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """After a bank time-out: a new card code, nothing typed again."""
    query = update.callback_query
    lang = await ui.language(update, context)
    problem = await _send_code(update, context, "bind")
    if problem:
        await query.answer(problem, show_alert=True)
        return None
    await query.answer(t(lang, "ob.code_resent"))
    return await ask(update, context, CARD_CODE)


async def on_card_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    code = _typed_code(update.effective_message.text)
    lang = await ui.language(update, context)
    if code is None:
        await _say(update, context, t(lang, "ob.code_format"))
        return None
    wallet, d, uid = ui.wallet(context), _draft(context), update.effective_user.id
    try:
        await people.open_wallet(wallet, key=ui.op_key(update, "open_wallet", d), user_id=uid,
                                 language=ui.wallet_language(lang), first_name=update.effective_user.first_name)
        bound = await cards.bind_card(wallet, key=ui.op_key(update, "bind_card", d["bind_nonce"]), user_id=uid,
                                      card_number=_secret(context, "card"), name=_secret(context, "name"),
                                      id_number=_secret(context, "id"), phone=_secret(context, "phone"),
                                      sms_code=code)
    except SmsCodeExpired as err:
        await _say(update, context, await ui.explain(update, context, err),
                   _buttons(lang, [("ob.button.resend", "ob:resend")]))
        return None
    except IdentityMismatch:
        await _say(update, context, t(lang, "ob.identity_mismatch", card=_card_label(lang, d)),
                   _buttons(lang, [("ob.button.other_card", "ob:card")], [("ob.button.retype_identity", "ob:name")]))
        return None
    except BankTimeout:
        await _say(update, context, t(lang, "ob.bank_timeout"), _buttons(lang, [("ob.button.retry", "ob:retry")]))
        return None
    except (CardNotSupported, BankDeclined) as err:
        await _say(update, context, await ui.explain(update, context, err) + "\n" + t(lang, "ob.card_other"),
                   _buttons(lang, [("ob.button.other_card", "ob:card")]))
        return None
    except PhoneTaken as err:
        await _say(update, context, await ui.explain(update, context, err) + "\n" + t(lang, "ob.phone_taken_next"))
        ui.drop_draft(context, FEATURE)
        return ConversationHandler.END
    except WalletError as err:
        await _say(update, context, await ui.explain(update, context, err))
        return None
    await ui.person(update, context, fresh=True)
    await _say(update, context, t(lang, "ob.card_bound", card=_card_label(lang, {**d, **{
        "bank_zh": bound["bank_name_zh"], "bank_en": bound["bank_name_en"], "card_type": bound["card_type"],
        "last4": bound["last4"]}})))
    # nothing secret is needed any more: keep only what the PIN step shows
    for field in ("phone", "name", "id", "card"):
        d.pop(field, None)
    return await ask(update, context, PIN)


# --- PIN and done ----------------------------------------------------------------------------
async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str) -> int | None:
    try:
        await pins.set_pin(ui.wallet(context), update.effective_user.id, pin)
    except PinAlreadySet:
        pass
    except WalletError as err:
        return await keypad.refused(update, context, err)
    ui.drop_draft(context, FEATURE)
    context.user_data.pop(STEP, None)
    await ui.person(update, context, fresh=True)
    await _say(update, context, await ui.text(update, context, "ob.done"))
    await home.show(update, context)
    return ConversationHandler.END


async def on_pin_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _say(update, context, await ui.text(update, context, "ob.pin_later"))
    context.user_data.pop(STEP, None)
    ui.drop_draft(context, FEATURE)
    return ConversationHandler.END


def register(app: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND
    resend = CallbackQueryHandler(on_resend, pattern=r"^ob:resend$")
    app.add_handler(ui.conversation(
        FEATURE,
        entry_points=[CommandHandler("start", start, filters=filters.ChatType.PRIVATE)],
        states={
            LANG: [CallbackQueryHandler(on_lang, pattern=r"^ob:lang:(zh_CN|en)$"), MessageHandler(text, press_a_button)],
            INTRO: [CallbackQueryHandler(on_go, pattern=r"^ob:go$"), MessageHandler(text, press_a_button)],
            PHONE: [MessageHandler(filters.CONTACT, on_contact), MessageHandler(text, typed_phone)],
            CODE: [MessageHandler(text, on_code), resend],
            NAME: [MessageHandler(text, on_name)],
            ID: [MessageHandler(text, on_id)],
            CARD: [MessageHandler(text, on_card)],
            CARD_CODE: [MessageHandler(text, on_card_code), resend,
                        CallbackQueryHandler(on_other_card, pattern=r"^ob:card$"),
                        CallbackQueryHandler(on_retype_identity, pattern=r"^ob:name$"),
                        CallbackQueryHandler(on_retry, pattern=r"^ob:retry$")],
            PIN: keypad.state(on_pin, validate=keypad.strength(), on_cancel=on_pin_cancel),
        },
        fallbacks=[CommandHandler("start", resume, filters=filters.ChatType.PRIVATE)],
        allow_reentry=False,
    ))
