"""``/transfer 20 note`` in a group, replying to a member: the confirm and the PIN in private."""
from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from handlers.transfer import people as who
from chat.i18n import t
from handlers.transfer.confirm import show_confirm
from handlers.transfer.draft import TransferDraft
from handlers.ui import common as ui
from handlers.ui import entry
from handlers.ui.card import deep_link
from wallet.errors import WalletError
from wallet.money import parse_amount, require_amount


async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    lang = await ui.language(update, context)
    target = msg.reply_to_message.from_user if msg.reply_to_message else None
    if target is None or target.is_bot:
        await msg.reply_text(t(lang, "transfer.group_usage"))
        return
    if target.id == update.effective_user.id:
        await msg.reply_text(t(lang, "transfer.self"))
        return
    if not ui.is_open(await ui.person(update, context)):
        await msg.reply_text(t(lang, "transfer.open_first", link=deep_link(context, "wallet")))
        return
    args = context.args or []
    try:
        fen = require_amount(parse_amount(args[0]), max_fen=ui.wallet(context).rules.max_amount) if args else None
    except WalletError as err:
        await msg.reply_text(await ui.explain(update, context, err))
        return
    if fen is None:
        await msg.reply_text(t(lang, "transfer.group_usage"))
        return
    note, limit = " ".join(args[1:]).strip(), ui.wallet(context).rules.transfer_note_max
    if len(note) > limit:  # refused, never cut
        await msg.reply_text(t(lang, "transfer.group_note_too_long", limit=limit, length=len(note)))
        return
    found = await who.recipient(context, target.id)  # None: no wallet yet, the money may wait for them 24 h
    draft = TransferDraft.start(context, recipient_id=target.id, name=who.name(found, target.first_name),
                                newcomer=found is None, amount=fen, note=note, delay=0,
                                group_chat=update.effective_chat.id)
    try:
        await show_confirm(update, context, draft, chat_id=update.effective_user.id, lang=lang)
    except (Forbidden, BadRequest):
        TransferDraft.drop(context)
        await msg.reply_text(t(lang, "transfer.start_private", link=deep_link(context, "wallet")),
                             reply_markup=entry.private_chat_button(context, lang))
        return
    await msg.reply_text(t(lang, "transfer.pin_in_private"), reply_markup=entry.private_chat_button(context, lang))

