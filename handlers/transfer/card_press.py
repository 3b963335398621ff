"""Presses on transfer cards (Accept / Return / Revoke / inline Accept) and the ``/start tf_<id>``
deep link that shows a card to its recipient. Posting and editing the cards: handlers/transfer/card.py;
what a card says: handlers/transfer/card_text.py."""
from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from chat.i18n import t
from handlers.transfer import callbacks
from handlers.transfer.callbacks import (CARD_BUTTONS, OPEN_WALLET, Accept, Return, Revoke, Take, card_link,
                                         card_link_id)
from handlers.transfer.card import CARDS, _record, refresh
from handlers.transfer.card_text import card_text, language, recipient_buttons
from handlers.ui import card as card_ui
from handlers.ui import common as ui
from handlers.ui.card import deep_link
from wallet.errors import NotVerified, NotYourTransfer, TransferNotFound, WalletError, WalletNotOpen
from wallet.services import transfers

log = logging.getLogger("handlers.transfer.card")


# --- presses on the cards -------------------------------------------------------------------------
# the button -> the status it ends in, the service, the operation's name in its key (never rename: keys)
_ACTIONS = {Accept: ("accepted", transfers.accept, "transfer_acc"),
            Return: ("returned", transfers.give_back, "transfer_ret"),
            Revoke: ("revoked", transfers.revoke, "transfer_rev"),
            Take: ("accepted", transfers.take, "transfer_take")}


def _on_its_card(query, record: dict | None, press: callbacks.CardPress) -> bool:
    """A press on an inline card must carry that card's inline_message_id; ``take`` exists only there."""
    inline = [c["inline"] for c in (record or {}).get("cards", []) if c.get("inline")]
    if query.inline_message_id is not None:
        return query.inline_message_id in inline
    return not isinstance(press, Take) and not inline


async def open_first(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, payload: str) -> None:
    """A popup saying how to open a wallet, and the deep link in the private chat if the bot may write there."""
    query = update.callback_query
    await query.answer(t(lang, "tc.open_first_popup", bot=context.bot.username or "bot"), show_alert=True)
    uid = update.effective_user.id
    if query.message is not None and query.message.chat_id == uid:
        return  # the card is in the private chat already
    button = InlineKeyboardButton(t(lang, "tc.open_wallet_button"), url=deep_link(context, payload))
    try:
        await context.bot.send_message(uid, t(lang, "tc.open_first_dm"), reply_markup=InlineKeyboardMarkup([[button]]))
    except TelegramError:
        pass


async def on_card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Accept / Return (the recipient), Revoke (the sender), Accept on an inline card (the first taker)."""
    query = update.callback_query
    press = callbacks.card_press(query.data)  # registered with the buttons' own patterns: never None here
    tid = press.transfer_id
    lang = await language(update, context)
    record = _record(context, tid)
    if not _on_its_card(query, record, press):
        await query.answer(t(lang, "tc.bad_button"), show_alert=True)
        return
    status, operation, op = _ACTIONS[type(press)]
    try:
        view = await operation(ui.wallet(context), key=ui.op_key(update, op, str(tid)),
                               user_id=update.effective_user.id, transfer_id=tid)
    except NotYourTransfer:
        refusal = {Take: "tc.taken", Revoke: "tc.revoke_sender_only"}.get(type(press), "transfer.not_yours")
        await query.answer(t(lang, refusal), show_alert=True)
        return
    except (WalletNotOpen, NotVerified):  # its recipient, or a would-be taker, without an open wallet
        await open_first(update, context, lang, OPEN_WALLET if isinstance(press, Take) else card_link(tid))
        return
    except WalletError as err:
        await query.answer((await ui.explain(update, context, err))[:200], show_alert=True)
        return
    await query.answer(t(lang, f"transfer.done.{status}", amount=ui.money(view["amount"])))
    if record is None:  # a card from before the cards were kept: edit the pressed one
        record = {"s": "?", "r": "?", "cards": [{"chat_id": query.message.chat_id,
                                                  "message_id": query.message.message_id, "lang": lang}]
                  if query.message else []}
        context.bot_data.setdefault(CARDS, {})[str(tid)] = record
    if isinstance(press, Take):
        record["r"] = update.effective_user.first_name
    await refresh(context.application, view)


# --- the deep links -------------------------------------------------------------------------------
async def show_to_recipient(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/start tf_<id>`` (group -1: /start's own handler runs too, so a newcomer goes on opening a
    wallet): the transfer's card, for its recipient only."""
    lang = await language(update, context)
    tid = card_link_id(update.effective_message.text)
    uid = update.effective_user.id
    if tid is None:  # digits no row id can be (a crafted link): no transfer of theirs
        await update.effective_message.reply_text(t(lang, "tc.link_not_yours"))
        return
    try:
        view = await transfers.get(ui.wallet(context), tid, viewer_id=uid)
    except (NotYourTransfer, TransferNotFound, WalletNotOpen):
        await update.effective_message.reply_text(t(lang, "tc.link_not_yours"))
        return
    if view["recipient_id"] != uid:
        await update.effective_message.reply_text(t(lang, "tc.link_not_yours"))
        return
    record = context.bot_data.setdefault(CARDS, {}).setdefault(str(tid), {"s": "?", "r": "?", "cards": []})
    record["r"] = record.get("r") or update.effective_user.first_name
    tz = await ui.timezone(update, context)
    pending = view["status"] == "pending"
    if pending and not ui.is_open(await ui.person(update, context)):
        await update.effective_message.reply_text(t(lang, "tc.open_then_accept"))
    card = await update.effective_message.reply_text(
        card_text(lang, view, {**record, "waiting": False}, tz=tz), parse_mode=ParseMode.HTML,
        reply_markup=recipient_buttons(context, lang, tid) if pending else None)
    if pending:
        record.setdefault("cards", []).append({**card_ui.where(card), "lang": lang})


def register(app: Application) -> None:
    """The cards' buttons and ``/start tf_<id>`` (group -1). Inline transfers: handlers/transfer/inline.py."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", show_to_recipient, filters=private & filters.Regex(callbacks.CARD_LINK)),
                    group=-1)
    for button in CARD_BUTTONS:  # tf:acc|ret|rev|take:<transfer id>
        app.add_handler(CallbackQueryHandler(on_card, pattern=button.pattern()))
