"""What a transfer card says and its buttons, in the language and time zone of whoever sees it.

The cards themselves (posted after the PIN, pressed, edited when the transfer ends) are
handlers/transfer/card.py; their buttons are stated in handlers/transfer/callbacks.py.
"""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes
from telegram.helpers import escape

from chat.i18n import normalize, t
from handlers.transfer.callbacks import Accept, Return, Revoke, Take, card_link
from handlers.ui import common as ui
from handlers.ui.card import deep_link
from wallet.errors import WalletNotOpen
from wallet.services import people


async def lang_of(context, user_id: int | None, fallback: str = "zh_CN") -> str:
    """Someone else's language: their open wallet's, else what they chose talking to the bot."""
    try:
        profile = await people.profile(ui.wallet(context), user_id)
    except (WalletNotOpen, TypeError):
        profile = None
    if ui.is_open(profile) and profile.get("language"):
        return normalize(profile["language"])
    chosen = context.application.user_data.get(user_id, {}).get("lang") if user_id else None
    return chosen if chosen in ("zh_CN", "en") else fallback


async def tz_of(context, user_id: int | None):
    default = ui.wallet(context).rules.timezone
    try:
        return ui.zone((await people.profile(ui.wallet(context), user_id)).get("timezone"), default)
    except (WalletNotOpen, TypeError):
        return ui.zone(None, default)


# --- what a card says ---------------------------------------------------------------------------
def card_text(lang: str, view: dict, record: dict, *, tz=None) -> str:
    status, untaken = view["status"], view.get("recipient_id") is None
    if untaken:  # an inline card nobody accepted (yet)
        lines = [t(lang, "tc.open_card", sender=escape(record.get("s") or "?"), amount=ui.money(view["amount"]))]
    else:
        lines = [t(lang, "transfer.card", sender=escape(record.get("s") or "?"),
                   recipient=escape(record.get("r") or "?"), amount=ui.money(view["amount"]))]
    if view.get("note"):
        lines.append(t(lang, "transfer.note_line", note=escape(view["note"])))
    lines.append(t(lang, "tc.open_rule" if untaken and status == "pending" else f"transfer.status.{status}"))
    if status == "pending" and tz is not None:
        arrive, created = datetime.fromisoformat(view["arrive_at"]), datetime.fromisoformat(view["created_at"])
        if arrive != created:  # HH:MM, with the date when that is another day
            same_day = arrive.astimezone(tz).date() == created.astimezone(tz).date()
            fmt = "%H:%M" if same_day else "%m-%d %H:%M"
            lines.append(t(lang, "transfer.arrives", at=ui.local_time(arrive, tz, fmt)))
        if record.get("waiting"):
            lines.append(t(lang, "tc.newcomer", name=escape(record.get("r") or "?"),
                           until=ui.local_time(datetime.fromisoformat(view["expires_at"]), tz)))
    return "\n".join(lines)


def both_text(lang: str, view: dict, record: dict, *, tz=None) -> str:
    """A card in a group, read by people of either language: the sender's language, then the other."""
    other = "en" if lang == "zh_CN" else "zh_CN"
    return card_text(lang, view, record, tz=tz) + "\n\n" + card_text(other, view, record, tz=tz)


_BOTH = {"transfer.accept_button": "tc.accept_both", "transfer.return_button": "tc.return_both",
         "tc.open_wallet_button": "tc.open_wallet_both"}  # the labels of a group card, in both languages


def recipient_buttons(context, lang: str, tid: int, *, waiting: bool = False, both: bool = False) -> InlineKeyboardMarkup:
    """Accept / Return (and the deep link for a recipient without a wallet); ``both``: labels in both languages."""
    def label(msgid: str) -> str:
        return t(lang, _BOTH[msgid] if both else msgid)
    rows = [[InlineKeyboardButton(label("transfer.accept_button"), callback_data=Accept(tid).data()),
             InlineKeyboardButton(label("transfer.return_button"), callback_data=Return(tid).data())]]
    if waiting:
        rows.append([InlineKeyboardButton(label("tc.open_wallet_button"), url=deep_link(context, card_link(tid)))])
    return InlineKeyboardMarkup(rows)


def open_buttons(lang: str, tid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(t(lang, "transfer.accept_button"), callback_data=Take(tid).data()),
        InlineKeyboardButton(t(lang, "tc.take_back_button"), callback_data=Revoke(tid).data())]])


def revoke_button(lang: str, tid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "transfer.revoke_button"),
                                                       callback_data=Revoke(tid).data())]])


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The person's language: the wallet's once it is open, else their choice or Telegram's (a
    newcomer's placeholder person has only the default language)."""
    if ui.is_open(await ui.person(update, context)):
        return await ui.language(update, context)
    return ui.chosen_language(update, context)
