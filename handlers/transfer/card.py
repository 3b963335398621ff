"""Transfer cards (转账): posted after the PIN, and their edits when a transfer ends.

What a card says and its buttons are handlers/transfer/card_text.py; presses on the cards and the
``tf_<id>`` deep link are handlers/transfer/card_press.py.

Cards. After the PIN (handlers/transfer/flow.py) the sender gets their copy (Revoke while a delayed
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

Inline (``@bot 20 [note]``, handlers/transfer/inline.py): after the sender's PIN the card goes
live with Accept and Take back. An inline card names nobody, so the
rule is: **the first person other than the sender, with an open wallet, who presses Accept
receives it** (``transfers.take``: one transaction, a conditional update; everyone after gets a
popup "already taken"); someone without a wallet gets a popup telling how to open one and the
card stays open; the sender may take it back while nobody has accepted it; unaccepted in 24 h it
is refunded. Presses on an inline card must carry that card's ``inline_message_id``.

The cards' buttons and the deep links (``tf:acc|ret|rev|take:<transfer id>``, ``tf_<id>``) are
stated in handlers/transfer/callbacks.py; the wallet checks who may do what.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes
from telegram.helpers import escape

from chat.i18n import t
from handlers.transfer.callbacks import card_link
from handlers.transfer.draft import TransferDraft
from handlers.transfer.card_text import (both_text, card_text, lang_of, open_buttons, recipient_buttons, revoke_button,
                                         tz_of)
from handlers.ui import card as card_ui
from handlers.ui import common as ui
from handlers.ui import entry
from handlers.ui.card import deep_link

log = logging.getLogger("handlers.transfer.card")

CARDS = "transfer:cards"          # bot_data: transfer id -> names, languages, where its cards are


def _record(context, tid: int) -> dict | None:
    return context.bot_data.get(CARDS, {}).get(str(tid))


# --- after the PIN: post the cards ----------------------------------------------------------------
async def post_cards(update: Update, context: ContextTypes.DEFAULT_TYPE, view: dict, draft: TransferDraft, *,
                     sender_name: str, lang: str) -> None:
    """The sender's copy and the recipient's card (or the inline card goes live)."""
    tid = view["transfer_id"]
    waiting = bool(view.get("recipient_waiting"))
    record = {"s": sender_name, "r": draft.name if draft.recipient_id else None,
              "slang": lang, "cards": [], "waiting": waiting}
    context.bot_data.setdefault(CARDS, {})[str(tid)] = record
    stz = await ui.timezone(update, context)
    delayed = view["arrive_at"] != view["created_at"]
    chat = update.effective_chat.id
    if draft.inline:
        record["cards"].append({"inline": draft.inline, "lang": lang})
        try:
            await context.bot.edit_message_text(card_text(lang, view, record, tz=stz),
                                                inline_message_id=draft.inline, parse_mode=ParseMode.HTML,
                                                reply_markup=open_buttons(lang, tid))
        except TelegramError as err:
            log.warning("inline transfer card %s not edited: %s", tid, err)
        await context.bot.send_message(chat, t(lang, "tc.inline_live", amount=ui.money(view["amount"])),
                                       reply_markup=entry.home_button(lang))
        return
    mine = await context.bot.send_message(chat, card_text(lang, view, record, tz=stz), parse_mode=ParseMode.HTML,
                                          reply_markup=revoke_button(lang, tid) if delayed else entry.home_button(lang))
    record["sender_msg"] = card_ui.where(mine)
    group = draft.group_chat
    if group:  # read by people of either language: both, the sender's first
        where, card_lang, tz = group, lang, stz
    else:
        where, card_lang = draft.recipient_id, await lang_of(context, draft.recipient_id, lang)
        tz = await tz_of(context, draft.recipient_id)
    text = (both_text if group else card_text)(card_lang, view, record, tz=tz)
    try:
        card = await context.bot.send_message(where, text, parse_mode=ParseMode.HTML, reply_markup=recipient_buttons(
            context, card_lang, tid, waiting=waiting, both=bool(group)))
        record["cards"].append({**card_ui.where(card), "lang": card_lang, **({"both": True} if group else {})})
    except (Forbidden, BadRequest):
        # the recipient never started the bot: the sender passes the link on; the money waits 24 h
        await context.bot.send_message(chat, t(lang, "tc.pass_link", name=escape(draft.name or "?"),
                                               link=deep_link(context, card_link(tid))), parse_mode=ParseMode.HTML)


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
        text = (both_text if where.get("both") else card_text)(lang, view, record)
        await card_ui.edit(app.bot, where, text, log=log,
                        what=f"transfer card {view['transfer_id']}", parse_mode=ParseMode.HTML, reply_markup=None)


async def on_refunded(app: Application, refunded: list[dict]) -> None:
    """jobs.sweeps: transfers refunded at expiry (both people are told by the outbox): their cards."""
    for view in refunded:
        await refresh(app, view)
