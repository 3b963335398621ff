"""Confirm screens: a button that carries the draft's nonce (DESIGN §8, idempotency from chat).

    draft = WithdrawDraft.start(context, amount=2000, ...)       # the flow's typed draft (handlers/ui/draft.py)
    markup = confirm.keyboard([[(label, confirm.data("wd", "card", card_id, draft))],
                               [(t(lang, "confirm.cancel"), confirm.data("wd", "no", 0, draft))]])
    ...
    # on the press:
    press = await confirm.pressed(update, context, "withdraw")   # None: stale (popup sent)
    press.verb, press.row_id                                     # "card", 42
    draft = WithdrawDraft.of(press.draft)                        # the live draft, typed

Each feature names its confirm button once, in its ``callbacks.py``: ``Confirm = confirm.button("wd")``
(a typed ``callbacks.Button``: ``<prefix>:<action>:<row id>:<nonce>``, stated in handlers/ui/callbacks.py
as ``ConfirmPress`` / ``confirm_button``); ``data`` and ``pattern`` below build and match it.

The operation's key is ``ui.op_key(update, op, draft)``: a double tap, or Telegram delivering the
press again, finds the same draft and the same key, and the wallet replays the first result.
A press whose nonce is not the live draft's (an old screen) is refused with a popup.
"""
from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.ui import common as ui
from handlers.ui.callbacks import ConfirmPress  # noqa: F401 (confirm.ConfirmPress)
from handlers.ui.callbacks import confirm_button as button  # confirm.button(prefix): the class of that prefix


def data(prefix: str, verb: str, row_id: int, draft) -> str:
    """``<prefix>:<verb>:<id>:<nonce>`` (at most 64 bytes; ValueError otherwise): the nonce of
    ``draft``, a typed draft (handlers/ui/draft.py) or its stored dict."""
    nonce = draft["nonce"] if isinstance(draft, dict) else draft.nonce
    return button(prefix)(verb, int(row_id), nonce).data()


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=cb) for label, cb in row] for row in rows])


def pattern(prefix: str):
    """For ``CallbackQueryHandler(pattern=...)``: this feature's confirm presses, ids in bounds."""
    return button(prefix).pattern()


@dataclass
class Press:
    verb: str
    row_id: int
    draft: dict           # the live draft as stored; the flow reads it typed (``XDraft.of(press.draft)``)
    feature: str = ""

    async def cancelled(self, update: Update, context: ContextTypes.DEFAULT_TYPE, *,
                        msgid: str = "keypad.cancelled") -> bool:
        """A press of Cancel (verb ``no``): the draft is dropped and the screen says so. A flow
        returns ``ConversationHandler.END`` when this is True."""
        if self.verb != "no":
            return False
        ui.drop_draft(context, self.feature)
        lang = await ui.language(update, context)
        await update.callback_query.edit_message_text(t(lang, msgid))
        return True


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, feature: str) -> Press | None:
    """The press on a confirm screen of ``feature``'s live draft, answered; None (with a popup)
    when the screen is old. Private chats only, so the presser is the draft's owner."""
    query = update.callback_query
    parsed = button((query.data or "").split(":", 1)[0]).parse(query.data)  # matched by pattern(prefix)
    verb, row_id, nonce = (parsed.action, parsed.row_id, parsed.nonce) if parsed else ("", 0, "")
    draft = ui.draft(context, feature)
    if parsed is None or draft is None or draft.get("nonce") != nonce:
        lang = await ui.language(update, context)
        await query.answer(t(lang, "confirm.stale"), show_alert=True)
        try:
            await query.edit_message_reply_markup(None)
        except Exception:  # noqa: BLE001 - the old screen may be gone already
            pass
        return None
    await query.answer()
    from handlers.ui import entry

    entry.activate(update, feature)
    return Press(verb=verb, row_id=int(row_id), draft=draft, feature=feature)
