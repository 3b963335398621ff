"""Inline transfers (``@bot 20`` or ``@bot 20 note``): the "Transfer ¥20" result (asked by
handlers/inline/query.py), the chosen card "waiting for the sender's confirmation" with a deep link
(``?start=tfi_<nonce>``, handlers/transfer/callbacks.py) into the private chat, where the transfer flow's own confirm screen
(handlers/transfer/confirm.py) and PIN keypad follow (handlers/transfer/flow.py, recipient ``None``).
After the PIN the card goes live (handlers/transfer/card.py): the first person other than the
sender, with an open wallet, who presses Accept receives it.

The waiting card's draft is a persisted one (``user_data["draft:transfer_inline"]``,
``InlineWaiting`` in handlers/transfer/draft.py) with a nonce; only its sender has it, so the deep
link confirms nothing for anyone else, and a newer inline query replaces it (an old card's link is
then stale). No money moves before the PIN.
"""
from __future__ import annotations

import re

from telegram import (InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle, InputTextMessageContent,
                      Update)
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes, filters
from telegram.helpers import escape

from chat.i18n import t
from handlers.transfer import callbacks
from handlers.transfer.callbacks import InlineRefused, InlineResult, inline_link, inline_link_nonce
from handlers.transfer.confirm import show_confirm
from handlers.transfer.draft import InlineWaiting, TransferDraft
from handlers.ui.card import deep_link
from handlers.ui import common as ui
from wallet.errors import WalletError
from wallet.money import parse_amount, require_amount

INLINE = re.compile(r"^\s*(?:tf\s+|转账\s*)?(\d+(?:\.\d{1,2})?)(?:\s+(\D.*))?$", re.S)


def parse_query(query: str | None) -> tuple[str, str] | None:
    """``20`` / ``tf 20 dinner`` / ``转账20 午饭`` -> (the amount as typed, the note, stripped); None
    when it is not a transfer (``20 5``: a red packet)."""
    found = INLINE.match(query or "")
    return (found.group(1), (found.group(2) or "").strip()) if found else None


async def confirm_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/start tfi_<nonce>`` from an inline card: the transfer flow's confirm screen and PIN."""
    lang = await ui.language(update, context)
    nonce = inline_link_nonce(update.effective_message.text)
    waiting = InlineWaiting.load(context)
    if waiting is None or waiting.nonce != nonce or not waiting.card:
        await update.effective_message.reply_text(t(lang, "tc.stale"))
        return
    if not ui.is_open(await ui.person(update, context)):
        await update.effective_message.reply_text(t(lang, "tc.sender_open_first"))
        return
    InlineWaiting.drop(context)
    draft = TransferDraft.start(context, recipient_id=None, name=t(lang, "tc.anyone"),
                                amount=waiting.amount, note=waiting.note or "", delay=0,
                                inline=waiting.inline_message_id)
    await show_confirm(update, context, draft, chat_id=update.effective_chat.id, lang=lang)


async def inline_results(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[InlineQueryResultArticle]:
    """"Transfer ¥20" for ``@bot 20`` or ``@bot 20 note`` (not ``@bot 20 5``: that is a red packet)."""
    found = parse_query(update.inline_query.query)
    if not found:
        return []
    typed, note = found
    try:
        fen = require_amount(parse_amount(typed), max_fen=ui.wallet(context).rules.max_amount)
    except WalletError:
        return []
    lang = await ui.language(update, context)
    user = update.effective_user
    limit = ui.wallet(context).rules.transfer_note_max
    if len(note) > limit:  # refused, never cut: one result that says so
        title = t(lang, "transfer.inline_note_too_long", limit=limit)
        return [InlineQueryResultArticle(
            id=InlineRefused("note").data(), title=title, input_message_content=InputTextMessageContent(title),
            description=t(lang, "transfer.inline_note_too_long.hint", length=len(note)))]
    draft = InlineWaiting.start(context, amount=fen, note=note, sender=user.first_name)
    text = t(lang, "tc.inline_waiting", sender=escape(user.first_name), amount=ui.money(fen))
    if note:
        text += "\n" + t(lang, "transfer.note_line", note=escape(note))
    button = InlineKeyboardButton(t(lang, "tc.confirm_button"), url=deep_link(context, inline_link(draft.nonce)))
    return [InlineQueryResultArticle(
        id=InlineResult(draft.nonce).data(), title=t(lang, "tc.inline_title", amount=ui.money(fen)),
        description=t(lang, "tc.inline_description"),
        input_message_content=InputTextMessageContent(text, parse_mode=ParseMode.HTML),
        reply_markup=InlineKeyboardMarkup([[button]]))]


async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The waiting card was posted: keep its inline_message_id with the draft."""
    result = update.chosen_inline_result
    draft = InlineWaiting.load(context)
    if draft and InlineResult.parse(result.result_id) == InlineResult(draft.nonce) and result.inline_message_id:
        draft.posted(result.inline_message_id).save(context)


def register(app: Application) -> None:
    """Before onboarding and the transfer flow (``/start tfi_<nonce>`` is ours)."""
    app.add_handler(CommandHandler("start", confirm_inline,
                                   filters=filters.ChatType.PRIVATE & filters.Regex(callbacks.INLINE_LINK)))
