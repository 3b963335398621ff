"""A card the bot posted (a chat message or an inline message): where it is, its edits, deep links.

    record["card"] = card.where(message)          # {"chat_id", "message_id"}; inline: {"inline": id}
    await card.edit(app.bot, record["card"], text, log=log, what=f"red packet card {packet_id}", reply_markup=markup)
"""
from __future__ import annotations

import logging

from telegram import Bot, Message
from telegram.error import TelegramError


def deep_link(context, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``: opens the private chat with ``/start <payload>``."""
    return f"https://t.me/{context.bot.username}?start={payload}"


def where(msg: Message) -> dict:
    """Where a posted message is, as the persisted card records keep it."""
    return {"chat_id": msg.chat_id, "message_id": msg.message_id}


def place(where: dict) -> dict:
    """A kept location (``{"inline": id}`` or chat and message) as ``edit_message_text`` arguments."""
    if where.get("inline"):
        return {"inline_message_id": where["inline"]}
    return {"chat_id": where["chat_id"], "message_id": where["message_id"]}


async def edit(bot: Bot, where: dict, text: str, *, log: logging.Logger, what: str, **kwargs) -> None:
    """Edit the card at ``where``; "not modified" is fine, any other refusal is logged to the
    flow's ``log`` (``what`` names the card) and the caller goes on."""
    try:
        await bot.edit_message_text(text, **place(where), **kwargs)
    except TelegramError as err:
        if "not modified" not in str(err).lower():
            log.warning("%s not edited: %s", what, err)
