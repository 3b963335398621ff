"""The presses on a red packet's card: "Open 拆" claims a share, "Details" shows who got what.

callback_data ``rp:open|info:<packet id>:<card token>``: a press is honoured only on the card
kept for that packet with that token (crafted callback_data gets a popup and changes nothing).
Every press answers with a popup (amount / already opened / all gone / expired / not for you /
open a wallet first, with a deep link); a claim asks for the card's merged edit
(handlers/red_packet/card.py).
"""
from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.red_packet.card import claim_list, record_of, schedule_edit
from handlers.ui import common as ui
from handlers.ui.card import deep_link
from wallet.errors import (AlreadyClaimed, NotForYou, NotVerified, RedPacketEmpty, RedPacketExpired, RedPacketNotFound,
                           WalletError, WalletNotOpen)
from wallet.services import red_packets

CALLBACK = re.compile(r"^rp:(open|info):(\d+):([A-Za-z0-9_-]{6,16})$")


def _on_its_card(update: Update, record: dict | None, token: str) -> bool:
    query = update.callback_query
    if record is None or record.get("token") != token:
        return False
    if record.get("inline"):
        return query.inline_message_id == record["inline"]
    msg = query.message
    return (query.inline_message_id is None and msg is not None and msg.chat_id == record.get("chat_id")
            and msg.message_id == record.get("message_id"))


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = await ui.language(update, context)
    found = CALLBACK.match(query.data or "")
    packet_id = int(found.group(2)) if found else 0
    record = record_of(context.bot_data, packet_id) if found else None
    if not found or not _on_its_card(update, record, found.group(3)):
        await query.answer(t(lang, "rp.bad_button"), show_alert=True)
        return
    wallet = ui.wallet(context)
    if found.group(1) == "info":
        view = await red_packets.details(wallet, packet_id)
        head = t(lang, "rp.details_head", n=view["claimed_count"], total=view["shares"])
        await query.answer(f"{head}\n{claim_list(lang, view, record)}"[:200], show_alert=True)
        return
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
                [[InlineKeyboardButton(t(lang, "rp.open_wallet_button"), url=deep_link(context, "rp"))]]))
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
