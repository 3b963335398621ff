"""A transfer's confirm screen (amount, recipient, note, arrival; 余额不足: the two card choices).

Shown by the private flow (handlers/transfer/flow.py), the group command (handlers/transfer/group.py)
and an inline transfer's deep link (handlers/transfer/inline.py); its presses are the transfer
conversation's: ``tf:ok|st|sc|no:0:<nonce>`` (the draft's nonce; ``Confirm`` in
handlers/transfer/callbacks.py).
"""
from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes
from telegram.helpers import escape

from chat.i18n import t
from handlers.transfer.callbacks import Confirm
from handlers.transfer.draft import TransferDraft
from handlers.ui import common as ui
from handlers.ui import confirm, shortfall

FEATURE = TransferDraft.FEATURE  # the conversation's name and the draft's (persisted: never rename)


async def show_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: TransferDraft, *, chat_id: int,
                       lang: str) -> None:
    lines = [t(lang, "transfer.confirm", amount=ui.money(draft.amount), name=escape(draft.name))]
    if draft.note:
        lines.append(t(lang, "transfer.note_line", note=escape(draft.note)))
    lines.append(t(lang, f"transfer.delay.{draft.delay or 0}"))
    short = await shortfall.offer(update, context, draft, draft.amount, Confirm.prefix)  # 余额不足: the two choices
    if short is not None:
        lines.append(short.line)
    rows = short.rows if short is not None else [[(t(lang, "transfer.confirm_button"),
                                                   Confirm("ok", 0, draft.nonce).data())]]
    rows.append([(t(lang, "flow.cancel_button"), Confirm("no", 0, draft.nonce).data())])
    await context.bot.send_message(chat_id, "\n".join(lines), parse_mode=ParseMode.HTML,
                                   reply_markup=confirm.keyboard(rows))
