"""Presses on a keypad that is not the person's live one, and a PIN typed as text (handlers/ui/keypad.py).

- ``stale``: a press a waiting state took, but not on the person's live keypad (an old one, someone
  else's, or one from before a restart): a popup, the old keypad's keys taken off (never the live
  one's), and, when the person's flow still waits for a PIN, a fresh keypad;
- ``orphan``: a press on a keypad no conversation waits for (the flow ended, /cancel, a time-out, a
  restart): a popup, and the keypad retired;
- ``typed_as_text``: anything typed while the keypad waits is deleted at once (it may be the PIN).

Presses are ``handlers.ui.callbacks.PinKey`` (``pin:<d|x|c>:<position>:<nonce>``); data under ``pin:``
that does not parse never reaches here (the catch-all of handlers/fallback.py answers it).
"""
from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.ui.callbacks import PinKey
from handlers.ui.keypad_screen import META, entries, lang_and_tz, retire
from handlers.ui.keypad_screen import show as _show


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str):
    """A press on a keypad that is not this person's live one: a popup, and (if their flow is
    still waiting for a PIN) a fresh keypad."""
    query = update.callback_query
    store = entries(context)
    live = store.get(query.from_user.id)
    nonce = PinKey.parse(query.data).nonce
    if any(e.nonce == nonce and uid != query.from_user.id for uid, e in store.items()):
        await query.answer(t(lang, "keypad.not_yours"), show_alert=True)
        return None
    meta = context.user_data.get(META) if context.user_data is not None else None
    if live is not None and query.message is not None and live.message_id == query.message.message_id:
        # the live keypad itself, with a nonce it never had: nothing to take away from it
        await query.answer(t(lang, "fallback.stale_button"), show_alert=True)
        return None
    # shown False: the press was answered before (delivered again after a restart): no popup, so
    # the fresh keypad says why it came (the flow's key is the draft's: nothing is done twice)
    if live is not None:
        shown = await query.answer(t(lang, "keypad.use_live"), show_alert=True)
    elif meta:
        shown = await query.answer(t(lang, "keypad.stale"), show_alert=True)
    else:
        shown = await query.answer(t(lang, "keypad.expired"), show_alert=True)
    try:  # take the keys off the old keypad (never the live one: handled above)
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
    if live is None and meta:
        await _show(update, context, title=meta.get("title", ""), twice=bool(meta.get("twice")), owner=meta.get("owner"),
                    notice=None if shown else t(lang, "keypad.retype"))
    return None


async def typed_as_text(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """Anything typed while the keypad waits is deleted at once (it may be the PIN) and never echoed."""
    lang, _ = await lang_and_tz(update, context)
    try:
        await update.effective_message.delete()
    except BadRequest:
        pass
    await context.bot.send_message(update.effective_chat.id, t(lang, "keypad.use_keypad"))
    return None


async def orphan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A keypad press no conversation waits for (flow ended, restart, someone else's keypad)."""
    query = update.callback_query
    lang, _ = await lang_and_tz(update, context)
    entry = entries(context).get(query.from_user.id)
    nonce = PinKey.parse(query.data).nonce
    if entry is None or entry.nonce != nonce:
        others = any(e.nonce == nonce for e in entries(context).values())
        await query.answer(t(lang, "keypad.not_yours" if others else "keypad.expired"), show_alert=True)
        if not others:
            try:
                await query.edit_message_reply_markup(None)
            except BadRequest:
                pass
        return
    await query.answer(t(lang, "keypad.expired"), show_alert=True)
    await retire(context, entry.user_id, lang, t(lang, "keypad.expired"))
