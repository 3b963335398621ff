"""Red packets in inline mode: ``@bot hb 20 5 greeting`` (or ``@bot 20``) offers "Red packet ¥20"
(``inline_results``, asked by handlers/inline/query.py); choosing it posts the waiting card of
handlers/red_packet/hongbao.py, and ``chosen`` keeps its ``inline_message_id`` with the draft. A query that
breaks a rule the sender can fix by typing (a greeting too long) gets one result that says so.
"""
from __future__ import annotations

import re

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.red_packet.callbacks import InlineRefused, InlineResult
from handlers.red_packet.draft import PacketDraft
from handlers.red_packet.hongbao import Refused, check, describe, waiting_card
from handlers.red_packet.spec import PacketSpec
from handlers.ui import common as ui
from wallet.errors import InvalidAmount, WalletError
from wallet.money import parse_amount

INLINE = re.compile(r"^\s*(?:hb\s+|红包\s*)?(\d+(?:\.\d{1,2})?)(?:\s+(\d{1,3}))?(?:\s+(.*))?$", re.S)


def parse_query(query: str | None) -> PacketSpec | None:
    """``20`` / ``hb 20 5 greeting`` / ``红包20 3`` -> a lucky packet's spec (amount in fen, shares,
    greeting or None); None when it is not one. InvalidAmount for an amount that is no amount."""
    found = INLINE.match(query or "")
    if not found:
        return None
    return PacketSpec("lucky", parse_amount(found.group(1)), int(found.group(2) or 1),
                      (found.group(3) or "").strip() or None)


async def inline_results(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[InlineQueryResultArticle]:
    """The "Red packet ¥20" result for ``@bot 20`` / ``@bot hb 20 5 greeting`` (none if it does not
    parse or break the rules). Choosing it posts the waiting card; the draft is kept now."""
    try:
        spec = parse_query(update.inline_query.query)
    except InvalidAmount:
        return []
    if spec is None:
        return []
    lang = await ui.language(update, context)
    user = update.effective_user
    total = spec.total
    try:
        check(context, user.id, spec, None)
    except Refused as err:  # a greeting too long: say so (and the limit) instead of offering nothing
        return [refusal(lang, err)]
    except WalletError:
        return []
    draft = PacketDraft.start(context, **spec.as_draft(), chat_id=None, exclusive_user_id=None, exclusive_name=None,
                              sender=user.first_name, sender_id=user.id)
    text, markup = waiting_card(context, lang, draft, user.first_name)
    return [InlineQueryResultArticle(
        id=InlineResult(draft.nonce).data(), title=t(lang, "rp.inline_title", total=ui.money(total)),
        description=describe(lang, spec), input_message_content=InputTextMessageContent(text),
        reply_markup=markup)]


def refusal(lang: str, err: Refused) -> InlineQueryResultArticle:
    """An inline result that only says why no packet is offered (choosing it posts that text)."""
    return InlineQueryResultArticle(
        id=InlineRefused(err.msgid).data(), title=t(lang, f"{err.msgid}.title", **err.fields),
        description=t(lang, f"{err.msgid}.inline", **err.fields),
        input_message_content=InputTextMessageContent(t(lang, f"{err.msgid}.title", **err.fields)))


async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The waiting card was posted: remember its inline_message_id with the draft."""
    result = update.chosen_inline_result
    draft = PacketDraft.load(context)
    if draft and InlineResult.parse(result.result_id) == InlineResult(draft.nonce) and result.inline_message_id:
        draft.posted({"inline": result.inline_message_id}).save(context)
