"""Transfer cards (转账): posted after the PIN, their presses, their edits, the ``tf_<id>`` deep link.

What a card says and its buttons are handlers/transfer_card_text.py.

Cards. After the PIN (handlers/transfer.py) the sender gets their copy (Revoke while a delayed
transfer has not arrived) and the recipient gets the card with Accept / Return, in their private
chat, or in the group for ``/transfer`` by reply. A delayed transfer's card is shown at once and
says "arrives at HH:MM" (the wallet refuses an early Accept with TransferNotArrived). Every card
is edited when the transfer ends (accepted, returned, revoked, refunded by the sweep): the status
line, buttons removed. Where the cards are is kept in ``bot_data["transfer:cards"]`` (persisted).

A recipient without a wallet (a newcomer the bot knows: picked with the button, or replied to in a
group) still gets the transfer: the wallet keeps a placeholder person, the money waits 24 h
(``transfers.send(to_newcomer=True)``), and the card says how to open a wallet, with the deep link
``?start=tf_<id>``. That link shows them the card in the private chat (and /start's onboarding
runs as usual); they can accept once the wallet is open, else it is refunded after 24 h.

Inline (``@bot 20 [note]``, handlers/transfer_inline.py): after the sender's PIN the card goes
live with Accept and Take back. An inline card names nobody, so the
rule is: **the first person other than the sender, with an open wallet, who presses Accept
receives it** (``transfers.take``: one transaction, a conditional update; everyone after gets a
popup "already taken"); someone without a wallet gets a popup telling how to open one and the
card stays open; the sender may take it back while nobody has accepted it; unaccepted in 24 h it
is refunded. Presses on an inline card must carry that card's ``inline_message_id``.

callback_data: ``tf:acc|ret|rev|take:<transfer id>``; the wallet checks who may do what.
"""
from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters
from telegram.helpers import escape

from handlers.i18n import t
from handlers.transfer_card_text import (PREFIX, card_text, lang_of, language, open_buttons, recipient_buttons,
                                         revoke_button, tz_of)
from handlers.ui import card as card_ui
from handlers.ui import common as ui
from handlers.ui import entry
from handlers.ui.card import deep_link
from wallet.errors import (NotVerified, NotYourTransfer, TransferNotFound, WalletError, WalletNotOpen)
from wallet.services import transfers

log = logging.getLogger("handlers.transfer_card")

CARDS = "transfer:cards"          # bot_data: transfer id -> names, languages, where its cards are
CARD_CALLBACK = rf"^{PREFIX}:(acc|ret|rev|take):\d+$"
START_CARD = re.compile(r"^/start(?:@\w+)? tf_(\d{1,12})$")


def _record(context, tid: int) -> dict | None:
    return context.bot_data.get(CARDS, {}).get(str(tid))


# --- after the PIN: post the cards ----------------------------------------------------------------
async def post_cards(update: Update, context: ContextTypes.DEFAULT_TYPE, view: dict, draft: dict, *,
                     sender_name: str, lang: str) -> None:
    """The sender's copy and the recipient's card (or the inline card goes live)."""
    tid = view["transfer_id"]
    waiting = bool(view.get("recipient_waiting"))
    record = {"s": sender_name, "r": draft.get("name") if draft.get("recipient_id") else None,
              "slang": lang, "cards": [], "waiting": waiting}
    context.bot_data.setdefault(CARDS, {})[str(tid)] = record
    stz = await ui.timezone(update, context)
    delayed = view["arrive_at"] != view["created_at"]
    chat = update.effective_chat.id
    if draft.get("inline"):
        record["cards"].append({"inline": draft["inline"], "lang": lang})
        try:
            await context.bot.edit_message_text(card_text(lang, view, record, tz=stz),
                                                inline_message_id=draft["inline"], parse_mode=ParseMode.HTML,
                                                reply_markup=open_buttons(lang, tid))
        except TelegramError as err:
            log.warning("inline transfer card %s not edited: %s", tid, err)
        await context.bot.send_message(chat, t(lang, "tc.inline_live", amount=ui.money(view["amount"])),
                                       reply_markup=entry.home_button(lang))
        return
    mine = await context.bot.send_message(chat, card_text(lang, view, record, tz=stz), parse_mode=ParseMode.HTML,
                                          reply_markup=revoke_button(lang, tid) if delayed else entry.home_button(lang))
    record["sender_msg"] = card_ui.where(mine)
    group = draft.get("group_chat")
    if group:
        where, card_lang, tz = group, lang, stz
    else:
        where, card_lang = draft["recipient_id"], await lang_of(context, draft["recipient_id"], lang)
        tz = await tz_of(context, draft["recipient_id"])
    try:
        card = await context.bot.send_message(where, card_text(card_lang, view, record, tz=tz),
                                              parse_mode=ParseMode.HTML,
                                              reply_markup=recipient_buttons(context, card_lang, tid, waiting=waiting))
        record["cards"].append({**card_ui.where(card), "lang": card_lang})
    except (Forbidden, BadRequest):
        # the recipient never started the bot: the sender passes the link on; the money waits 24 h
        await context.bot.send_message(chat, t(lang, "tc.pass_link", name=escape(draft.get("name") or "?"),
                                               link=deep_link(context, f"tf_{tid}")), parse_mode=ParseMode.HTML)


def send_extras(draft: dict) -> dict:
    """The ``transfers.send`` arguments a draft adds: a recipient who may not have a wallet yet."""
    if draft.get("newcomer"):
        return {"to_newcomer": True, "recipient_name": draft.get("name")}
    return {}


# --- edits when a transfer ends -------------------------------------------------------------------
async def refresh(app: Application, view: dict) -> None:
    """Edit every card of the transfer to the state it ended in: the status line, no buttons."""
    record = app.bot_data.get(CARDS, {}).get(str(view["transfer_id"]))
    if record is None:
        return
    targets = [(c, c.get("lang") or "zh_CN") for c in record.get("cards", [])]
    if record.get("sender_msg"):
        targets.append((record["sender_msg"], record.get("slang") or "zh_CN"))
    for where, lang in targets:
        await card_ui.edit(app.bot, where, card_text(lang, view, record), log=log,
                        what=f"transfer card {view['transfer_id']}", parse_mode=ParseMode.HTML, reply_markup=None)


async def on_refunded(app: Application, refunded: list[dict]) -> None:
    """jobs.sweeps: transfers refunded at expiry (both people are told by the outbox): their cards."""
    for view in refunded:
        await refresh(app, view)


# --- presses on the cards -------------------------------------------------------------------------
_VERBS = {"acc": ("accepted", transfers.accept), "ret": ("returned", transfers.give_back),
          "rev": ("revoked", transfers.revoke), "take": ("accepted", transfers.take)}


def _on_its_card(query, record: dict | None, verb: str) -> bool:
    """A press on an inline card must carry that card's inline_message_id; ``take`` exists only there."""
    inline = [c["inline"] for c in (record or {}).get("cards", []) if c.get("inline")]
    if query.inline_message_id is not None:
        return query.inline_message_id in inline
    return verb != "take" and not inline


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
    _, verb, raw_id = query.data.split(":")
    tid = int(raw_id)
    lang = await language(update, context)
    record = _record(context, tid)
    if not _on_its_card(query, record, verb):
        await query.answer(t(lang, "tc.bad_button"), show_alert=True)
        return
    status, operation = _VERBS[verb]
    op = "transfer_take" if verb == "take" else f"transfer_{verb}"
    try:
        view = await operation(ui.wallet(context), key=ui.op_key(update, op, str(tid)),
                               user_id=update.effective_user.id, transfer_id=tid)
    except NotYourTransfer:
        await query.answer(t(lang, "tc.taken" if verb == "take" else "transfer.not_yours"), show_alert=True)
        return
    except (WalletNotOpen, NotVerified):  # its recipient, or a would-be taker, without an open wallet
        await open_first(update, context, lang, "wallet" if verb == "take" else f"tf_{tid}")
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
    if verb == "take":
        record["r"] = update.effective_user.first_name
    await refresh(context.application, view)


# --- the deep links -------------------------------------------------------------------------------
async def show_to_recipient(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/start tf_<id>`` (group -1: /start's own handler runs too, so a newcomer goes on opening a
    wallet): the transfer's card, for its recipient only."""
    lang = await language(update, context)
    tid = int(START_CARD.match(update.effective_message.text or "").group(1))
    uid = update.effective_user.id
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
    """The cards' buttons and ``/start tf_<id>`` (group -1). Inline transfers: handlers/transfer_inline.py."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", show_to_recipient, filters=private & filters.Regex(START_CARD)),
                    group=-1)
    app.add_handler(CallbackQueryHandler(on_card, pattern=CARD_CALLBACK))
