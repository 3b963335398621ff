"""The presses on a red packet's card: "Open 拆" claims a share, "Details" shows who got what.

callback_data ``rp:open|info:<packet id>:<card token>`` (``Open`` / ``Details``,
handlers/red_packet/callbacks.py): a press is honoured only on the card kept for that packet with
that token; crafted callback_data, and any other ``rp:`` data, gets a popup and changes nothing.
Every press answers with a popup (amount / already opened / all gone / expired / not for you /
open a wallet first, with a deep link); a claim asks for the card's merged edit
(handlers/red_packet/card.py).
"""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.red_packet.callbacks import OPEN_WALLET, Details, Open
from handlers.red_packet.card import claim_list, record_of, schedule_edit
from handlers.ui import common as ui
from handlers.ui.card import deep_link
from wallet.errors import (AlreadyClaimed, NotForYou, NotVerified, RedPacketEmpty, RedPacketExpired, RedPacketNotFound,
                           WalletError, WalletNotOpen)
from wallet.services import red_packets


def _on_its_card(update: Update, record: dict | None, token: str) -> bool:
    query = update.callback_query
    if record is None or record.get("token") != token:
        return False
    if record.get("inline"):
        return query.inline_message_id == record["inline"]
    msg = query.message
    return (query.inline_message_id is None and msg is not None and msg.chat_id == record.get("chat_id")
            and msg.message_id == record.get("message_id"))


async def _on_its_press(update: Update, context: ContextTypes.DEFAULT_TYPE, press: Open | Details | None):
    """(language, the card's record) when the press is on its own card; else the popup is sent and
    the record is None."""
    lang = await ui.language(update, context)
    record = record_of(context.bot_data, press.packet_id) if press is not None else None
    if press is None or not _on_its_card(update, record, press.token):
        await update.callback_query.answer(t(lang, "rp.bad_button"), show_alert=True)
        return lang, None
    return lang, record


async def on_stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other ``rp:`` press (an unknown verb, a token that cannot be a card's): refused, nothing changes."""
    await _on_its_press(update, context, None)


async def on_details(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = Details.parse(update.callback_query.data)
    lang, record = await _on_its_press(update, context, press)
    if record is None:
        return
    view = await red_packets.details(ui.wallet(context), press.packet_id)
    head = t(lang, "rp.details_head", n=view["claimed_count"], total=view["shares"])
    await update.callback_query.answer(f"{head}\n{claim_list(lang, view, record)}"[:200], show_alert=True)


async def on_open(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = Open.parse(query.data)
    lang, record = await _on_its_press(update, context, press)
    if record is None:
        return
    wallet, packet_id = ui.wallet(context), press.packet_id
    uid = update.effective_user.id
    try:
        # the key is the press's: the same update delivered twice replays, a second press is refused
        got = await red_packets.claim(wallet, key=f"tg:{uid}:rp_claim:{packet_id}:{query.id}",
                                      packet_id=packet_id, user_id=uid)
    except AlreadyClaimed as err:
        await query.answer(t(lang, "rp.already", amount=ui.money(err.amount)), show_alert=True)
        return
    except (WalletNotOpen, NotVerified):
        await query.answer(t(lang, "rp.open_wallet_first"), show_alert=True)
        try:  # the deep link to open one, in the private chat if the bot may write there
            await context.bot.send_message(uid, t(lang, "rp.open_wallet_link"), reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(t(lang, "rp.open_wallet_button"), url=deep_link(context, OPEN_WALLET))]]))
        except TelegramError:
            pass
        return
    except (NotForYou, RedPacketEmpty, RedPacketExpired, RedPacketNotFound) as err:
        await query.answer(await ui.explain(update, context, err), show_alert=True)
        return
    except WalletError as err:
        await query.answer((await ui.explain(update, context, err))[:200], show_alert=True)
        return
    record.setdefault("names", {})[str(uid)] = update.effective_user.first_name
    await query.answer(t(lang, "rp.got", amount=ui.money(got["amount"]), sender=record.get("sender") or "?"),
                       show_alert=True)
    schedule_edit(context.application, packet_id)
