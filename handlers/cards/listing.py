"""The list of bank cards (masked), with a button per card to make it the default or unbind it,
one to bind another and the way home: shown by ``/cards`` (handlers/cards/menu.py) and again
after a card was bound (handlers/cards/bind.py) or unbound. Each showing is a new draft: the
buttons of an older list are refused with a popup."""
from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.cards.callbacks import BIND, DEFAULT, UNBIND, Confirm
from handlers.cards.draft import CardsDraft
from handlers.home import callbacks as home_buttons
from handlers.ui import common as ui
from handlers.ui import confirm, entry
from wallet.services import cards

FEATURE = CardsDraft.FEATURE


async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE, *, notice: str | None = None, edit: bool = True):
    lang = await ui.language(update, context)
    bound = await cards.list_cards(ui.wallet(context), update.effective_user.id)
    nonce = CardsDraft.start(context).nonce
    lines = [t(lang, "cards.title")]
    rows = []
    default_id = (next((c for c in bound if c["default"]), bound[0]) if bound else {}).get("card_id")
    for c in bound:
        label = entry.card_label(c, lang)
        mark = t(lang, "card.default_mark") if c["card_id"] == default_id else ""
        lines.append(f"• {label}{mark}" + (t(lang, "cards.credit_note") if c["card_type"] == "credit" else ""))
        row = []
        if c["card_id"] != default_id:
            row.append((t(lang, "cards.button.default", last4=c["last4"]), Confirm(DEFAULT, c["card_id"], nonce).data()))
        row.append((t(lang, "cards.button.unbind", last4=c["last4"]), Confirm(UNBIND, c["card_id"], nonce).data()))
        rows.append(row)
    if not bound:
        lines.append(t(lang, "cards.empty"))
    rows.append([(t(lang, "cards.button.bind"), Confirm(BIND, 0, nonce).data())])
    rows.append([(t(lang, "flow.home"), home_buttons.Back().data())])
    text = "\n".join(([notice, ""] if notice else []) + lines)
    await entry.say(update, context, text, confirm.keyboard(rows), edit=edit)
    return ConversationHandler.END  # the list's buttons are entry points: no state waits (nor times out)
