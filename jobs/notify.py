"""Telling people things from scheduled work, in their language; 403 marks them as gone."""
from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from handlers.i18n import t
from wallet.context import Context
from wallet.errors import WalletNotOpen
from wallet.services import people

log = logging.getLogger("jobs.notify")


async def tell(bot: Bot, wallet: Context, user_id: int, msgid: str, **kwargs) -> bool:
    """Send one notice; False if it could not be delivered (blocked, never started, …)."""
    try:
        lang = (await people.profile(wallet, user_id))["language"]
    except WalletNotOpen:
        lang = None
    try:
        await bot.send_message(chat_id=user_id, text=t(lang, msgid, **kwargs), parse_mode="HTML")
        return True
    except Forbidden:
        log.info("user=%s cannot be told (%s): marked as blocked", user_id, msgid)
        await people.mark_blocked(wallet, user_id)
    except TelegramError as exc:
        log.warning("user=%s notice %s failed: %s", user_id, msgid, exc)
    return False
