"""The error handler: an exception in any handler never leaves a person in silence (DESIGN §8).

Every update opens a record of the operations it asks the wallet for (``wallet.attempts``, by the
pre-handler ``track``). When a handler raises, ``on_error``:
- answers the button (a popup), so nothing spins;
- looks up whether any of those operations committed (``wallet.services.outcomes``) and tells the
  person, in their language, which it was: "nothing was paid or changed" or "it went through, the
  bills show it" (or, if even that cannot be checked, to look at the bills before trying again);
- logs one line with the update id, the person, what they did (a command name or a button's
  ``prefix:verb``, never text they typed) and the operation keys, with the traceback.

``register(app)`` adds both; bot/app.py calls it once.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from chat.i18n import lang_of, t
from handlers.ui import common as ui
from wallet import attempts
from wallet.services import outcomes

log = logging.getLogger("handlers.failure")

TRACK_GROUP = -1000  # before every other handler group


def what(update: Update) -> str:
    """What the person did, without anything they typed: ``press tf:acc``, ``/topup``, ``text``."""
    if update.callback_query is not None:
        data = update.callback_query.data or ""
        return "press " + ":".join(data.split(":")[:2])[:24]
    if update.inline_query is not None:
        return "inline query"
    if update.chosen_inline_result is not None:
        return "inline choice"
    message = update.effective_message
    if message is not None:
        if message.text and message.text.startswith("/"):
            return message.text.split()[0].split("@")[0][:33]
        if message.contact is not None:
            return "contact"
        return "text" if message.text else "message"
    return type(update).__name__


async def track(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    attempts.begin()


def _harmless(error: BaseException | None) -> bool:
    """An edit that changed nothing: the screen is already what the person should see."""
    return isinstance(error, BadRequest) and "not modified" in (error.message or "").lower()


async def _outcome(context: ContextTypes.DEFAULT_TYPE, keys: tuple[str, ...]) -> list[str] | None:
    """The committed operations among ``keys``; None when the database cannot say."""
    if not keys:
        return []
    try:
        return await outcomes.finished(ui.wallet(context), keys)
    except Exception:  # noqa: BLE001 - the error handler must not fail on a second error
        log.warning("could not look up the outcome of %s", keys, exc_info=True)
        return None


async def _language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    try:
        return await ui.language(update, context)
    except Exception:  # noqa: BLE001 - the database may be what failed
        return lang_of(update.effective_user)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %s", type(error).__name__, exc_info=error)
        return
    query = update.callback_query
    if _harmless(error):
        log.info("update %s: edit changed nothing (%s)", update.update_id, what(update))
        if query is not None:
            try:
                await query.answer()
            except TelegramError:
                pass
        return
    keys = attempts.current()
    done = await _outcome(context, keys)
    user = update.effective_user
    log.error("update %s failed: user=%s op=%s keys=%s committed=%s: %s", update.update_id,
              user.id if user else None, what(update), list(keys), done, type(error).__name__, exc_info=error)
    if isinstance(error, Forbidden):  # the person blocked the bot: nobody to tell
        return
    lang = await _language(update, context)
    msgid = "failure.unknown" if done is None else ("failure.done" if done else "failure.nothing")
    if query is not None:
        try:
            await query.answer(t(lang, msgid + ".popup"), show_alert=True)
        except TelegramError:
            pass  # already answered by the handler, or too old
    chat = update.effective_chat
    if chat is None:
        return  # an inline card's button: the popup is the answer
    if chat.type != ChatType.PRIVATE and query is not None:
        return  # a group card: the popup said it; the group need not hear it
    try:
        await context.bot.send_message(chat.id, t(lang, msgid))
    except TelegramError:
        log.warning("update %s: could not tell user=%s about the failure", update.update_id,
                    user.id if user else None, exc_info=True)


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, track), group=TRACK_GROUP)
    app.add_error_handler(on_error)
