"""``/risk`` (admins only, private chat): the payments risk control holds for review, oldest first
(who paid whom, what kind, how much, when, why: the rules of the decision that held it) with
Release / Return buttons for each (handlers/risk/holds.py asks first), and the latest freezes with
their reasons. ``Review`` (``risk:list:0``) draws it again.

Anyone else gets a clear refusal ("Only an admin can do this"), for the command and the button.
"""
from __future__ import annotations

import logging
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from chat.i18n import lang_of, t
from handlers.risk import words
from handlers.risk.callbacks import Release, Return, Review, button
from handlers.tickets.cards import is_admin
from handlers.ui import common as ui
from handlers.ui import entry
from wallet.errors import NotAdmin
from wallet.services import people, risk_holds, risk_settings

log = logging.getLogger("handlers.risk")

HOLDS_SHOWN = 10  # each with two buttons: a screen, not a report
FREEZES_SHOWN = 5


async def admin_only(update: Update, context: ContextTypes.DEFAULT_TYPE, *, answer: bool = True) -> bool:
    """True for an admin in their private chat (the button answered when ``answer``, else the
    caller answers it); anyone else is told why (a popup on a button, a reply to a command) and False."""
    query = update.callback_query
    uid = ui.user_id(update)
    if not is_admin(context, uid):
        log.warning("user=%s asked for risk control (%s): not an admin, refused", uid,
                    query.data if query is not None else "/risk")
        said = await ui.explain(update, context, NotAdmin(user_id=uid))
    elif not entry.private(update):
        said = await ui.text(update, context, "flow.private_only")
    else:
        if query is not None and answer:
            await query.answer()
        if context.user_data is not None and "lang" not in context.user_data:
            context.user_data["lang"] = lang_of(update.effective_user)  # the notices' language (no wallet)
        return True
    if query is not None:
        await query.answer(said, show_alert=True)
    else:
        await update.effective_message.reply_text(said)
    return False


def _when(moment: str, tz) -> str:
    return ui.local_time(datetime.fromisoformat(moment), tz, "%m-%d %H:%M")


async def screen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of /risk for this admin (their language and time zone)."""
    wallet = ui.wallet(context)
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    held = await risk_holds.review(wallet, limit=HOLDS_SHOWN + 1)
    frozen = await risk_settings.recent_freezes(wallet, limit=FREEZES_SHOWN)
    ids = {h["user_id"] for h in held} | {h["recipient_id"] for h in held if h["recipient_id"]} | \
          {f["user_id"] for f in frozen}
    names = await people.readers(wallet, ids)
    lines = [t(lang, "risk.admin.title"), ""]
    if held:
        lines.append(t(lang, "risk.admin.held_title"))
    else:
        lines.append(t(lang, "risk.admin.held_none"))
    for h in held[:HOLDS_SHOWN]:
        lines.append("")
        lines.append(t(lang, "risk.admin.held_line", hold=h["hold_id"], time=_when(h["created_at"], tz),
                       payer=words.who(lang, names, h["user_id"]), recipient=words.who(lang, names, h["recipient_id"]),
                       kind=words.kind(lang, h["kind"]), amount=ui.money(h["amount"]), why=words.why(lang, h["rules"])))
    if len(held) > HOLDS_SHOWN:
        lines += ["", t(lang, "risk.admin.held_more")]
    lines += ["", t(lang, "risk.admin.freezes_title") if frozen else t(lang, "risk.admin.freezes_none")]
    for f in frozen:
        lines.append("")
        lines.append(t(lang, "risk.admin.freeze_line", time=_when(f["created_at"], tz),
                       name=words.who(lang, names, f["user_id"]), kind=words.kind(lang, f["kind"]),
                       amount=ui.money(f["amount"]), why=words.why(lang, f["rules"])))
    rows = [[button(t(lang, "risk.admin.button.release", hold=h["hold_id"]), Release(h["hold_id"])),
             button(t(lang, "risk.admin.button.return", hold=h["hold_id"]), Return(h["hold_id"]))]
            for h in held[:HOLDS_SHOWN]]
    rows.append([button(t(lang, "risk.admin.button.refresh"), Review())])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/risk`` (a new message) and ``Review`` (the pressed message, redrawn)."""
    if not await admin_only(update, context):
        return
    text, markup = await screen(update, context)
    await entry.say(update, context, text, markup)
