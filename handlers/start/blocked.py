"""The person blocked or unblocked the bot (Telegram's ``my_chat_member`` update of their private
chat): marked, so notices and alerts skip them (the outbox also marks them on a 403), and
unmarked when they come back."""
from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler, ContextTypes

from handlers.ui import common as ui
from wallet.services import people

log = logging.getLogger("handlers.start.blocked")


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    blocked = change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)
    log.info("user=%s %s the bot", change.chat.id, "blocked" if blocked else "unblocked")
    await people.mark_blocked(ui.wallet(context), change.chat.id, blocked)  # no wallet: nothing to mark


def register(app: Application) -> None:
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
