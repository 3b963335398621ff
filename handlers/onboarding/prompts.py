"""Opening a wallet (handlers/onboarding/flow.py): the steps' names, the draft's helpers (the draft:
handlers/onboarding/draft.py) and each step's question (``ask`` shows it; /start re-shows the current one)."""
from __future__ import annotations

import html
import logging
import re

from telegram import (InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup,
                      Update)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.onboarding import callbacks as buttons
from handlers.onboarding.draft import OpeningDraft, Secret
from handlers.ui import common as ui
from handlers.ui.callbacks import Button
from handlers.ui import keypad
from wallet.pii import mask_phone

log = logging.getLogger("handlers.onboarding.flow")

FEATURE = OpeningDraft.FEATURE
LANG, INTRO, PHONE, CODE, NAME, ID, CARD, CARD_CODE, PIN = (
    "ob.lang", "ob.intro", "ob.phone", "ob.code", "ob.name", "ob.id", "ob.card", "ob.card_code", "ob.pin")
STEP = "onboarding:step"  # user_data: the step the person is on (for /start to re-show it)
CODE_RE = re.compile(r"\s*([0-9０-９]{6})\s*")


# --- small helpers ---------------------------------------------------------------------------
def get_draft(context: ContextTypes.DEFAULT_TYPE) -> OpeningDraft:
    """The opening's draft (a new one if there is none)."""
    return OpeningDraft.load(context) or OpeningDraft.start(context)


def get_secret(context: ContextTypes.DEFAULT_TYPE, field: Secret) -> str | None:
    return get_draft(context).secret(ui.wallet(context).pii, field)


def keep_secret(context: ContextTypes.DEFAULT_TYPE, field: Secret, value: str) -> None:
    get_draft(context).with_secret(ui.wallet(context).pii, field, value).save(context)


def goto(context: ContextTypes.DEFAULT_TYPE, step: str) -> str:
    context.user_data[STEP] = step
    return step


def sms_lang(lang: str) -> str:
    return ui.wallet_language(lang)


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def delete_message(update: Update) -> None:
    """Delete the person's message at once (it holds an ID or card number)."""
    message = update.effective_message
    if message is None:
        return
    try:
        await message.delete()
    except BadRequest as err:
        log.warning("could not delete a message with PII: %s", err.message)


def step_buttons(lang: str, *rows: list[tuple[str, Button]]) -> InlineKeyboardMarkup:
    """Rows of (msgid of the label, button) (handlers/onboarding/callbacks.py)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, msgid), callback_data=button.data()) for msgid, button in row]
                                 for row in rows])


# --- prompts (each step's question; /start re-shows it) --------------------------------------
async def prompt_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = ui.chosen_language(update, context)
    mark = {"zh_CN": "", "en": ""}
    mark[lang] = "✓ "
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(mark[code] + label, callback_data=buttons.Language(code).data())
                                    for code, label in (("zh_CN", "中文"), ("en", "English"))]])
    name = html.escape(update.effective_user.first_name or "")
    await say(update, context, t(lang, "ob.welcome", name=name) + "\n\n" + t(lang, "ob.sandbox"), markup)


async def prompt_intro(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    await say(update, context, t(lang, "ob.intro"), step_buttons(lang, [("ob.button.go", buttons.Go())]))


async def prompt_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    markup = ReplyKeyboardMarkup([[KeyboardButton(t(lang, "ob.button.share_phone"), request_contact=True)]],
                                 resize_keyboard=True, one_time_keyboard=True)
    await say(update, context, t(lang, "ob.phone"), markup)


async def prompt_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    phone = get_secret(context, "phone") or ""
    await say(update, context, t(lang, "ob.code", phone=mask_phone(phone)),
               step_buttons(lang, [("ob.button.resend", buttons.Resend())]))


async def prompt_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, await ui.text(update, context, "ob.name"))


async def prompt_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, await ui.text(update, context, "ob.id"))


async def prompt_card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, await ui.text(update, context, "ob.card"))


async def prompt_card_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    d = get_draft(context)
    await say(update, context, t(lang, "ob.card_code", card=card_label(lang, d), phone=mask_phone(get_secret(context, "phone") or "")),
               step_buttons(lang, [("ob.button.resend", buttons.Resend()), ("ob.button.other_card", buttons.OtherCard())]))


async def prompt_pin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    await keypad.show(update, context, title=t(lang, "ob.pin_title"), twice=True)


PROMPTS = {LANG: prompt_lang, INTRO: prompt_intro, PHONE: prompt_phone, CODE: prompt_code, NAME: prompt_name,
           ID: prompt_id, CARD: prompt_card, CARD_CODE: prompt_card_code, PIN: prompt_pin}


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str) -> str:
    await PROMPTS[step](update, context)
    return goto(context, step)


def card_label(lang: str, d: OpeningDraft) -> str:
    kind = t(lang, f"ob.card_type.{d.card_type or 'debit'}")
    bank = d.bank_zh if lang == "zh_CN" else d.bank_en
    return t(lang, "ob.card_label", bank=bank or "", kind=kind, last4=d.last4 or "")


