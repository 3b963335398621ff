"""What no flow took: every update still gets an answer (DESIGN §8, never silence).

Added by bot/app.py after every flow, in the default group, so any flow's handler wins:
- a button whose data no handler parses (an old screen, a restart, crafted data): a popup "this
  button is no longer valid" and, in a private chat, the current screen again (the wallet home, or
  for a newcomer the way to open one);
- a command nobody handles: in a private chat, what the bot can do; in a group, a command addressed
  to the bot (``/x`` or ``/x@thisbot``) that works only in private says so with a button to the
  private chat, any other says what works in groups;
- text or anything else sent in a private chat outside any step: what the bot can do.
Group chatter that is not a command addressed to the bot is left alone.
"""
from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from handlers.home import screen as home
from chat.i18n import t
from handlers.ui import callbacks
from handlers.ui import common as ui
from handlers.ui import entry

# commands that only work in the private chat with the bot (their handlers filter private chats)
PRIVATE_ONLY = {"start", "wallet", "topup", "withdraw", "cards", "bind", "security", "freeze", "unfreeze", "pin",
                "forgotpin", "tips", "settings", "bills", "shop", "receive", "report", "tickets", "cancel", "tip"}


def command_of(update: Update, bot_username: str | None) -> str | None:
    """``/name`` of a command addressed to this bot (``/name`` or ``/name@thisbot``), else None."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    if not text.startswith("/"):
        return None
    head = text.split()[0][1:]
    name, _, target = head.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None  # meant for another bot
    return name.lower()[:32] or None


def _private(update: Update) -> bool:
    return bool(update.effective_chat and update.effective_chat.type == ChatType.PRIVATE)


async def show_current(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    """The screen a person who lost their place should see: the home, or how to open a wallet."""
    if ui.is_open(await ui.person(update, context)):
        await home.show(update, context)
    else:
        await context.bot.send_message(update.effective_chat.id, t(lang, "fallback.open_first"))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = await ui.language(update, context)
    await query.answer(t(lang, "fallback.stale_button"), show_alert=True)
    if _private(update):
        await show_current(update, context, lang)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    message = update.effective_message
    if _private(update):  # in the private chat everything is meant for this bot
        name = command_of(update, None) or "?"
        await message.reply_text(t(lang, "fallback.unknown_command", command=f"/{name}"))
        return
    name = command_of(update, context.bot.username)
    if name is None:
        return
    if name in PRIVATE_ONLY:
        await message.reply_text(t(lang, "fallback.group_private_only", command=f"/{name}"),
                                 reply_markup=entry.private_chat_button(context, lang))
        return
    await message.reply_text(t(lang, "fallback.group_unknown", command=f"/{name}"))


async def unexpected_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    message = update.effective_message
    msgid = "fallback.text" if message.text else "fallback.not_text"
    await message.reply_text(t(lang, msgid))


GATE_GROUP = -999  # after the error handler's record (handlers.ui.failure, -1000), before every flow


async def _refuse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await stale_button(update, context)
    raise ApplicationHandlerStop


def register_gate(app: Application) -> None:
    """Before every flow: a press whose data breaks the grammar (``callbacks.well_formed``) gets
    the stale-button answer and goes no further."""
    app.add_handler(CallbackQueryHandler(_refuse, pattern=lambda data: not callbacks.well_formed(data)),
                    group=GATE_GROUP)


def register(app: Application) -> None:
    """Add after every flow (same group): only what no flow took reaches these."""
    new_message = filters.UpdateType.MESSAGE
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(MessageHandler(new_message & filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(new_message & filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, unexpected_message))
