"""Recent safety checks (from /security): what risk control decided about the person's latest
payments, newest first: when, what (kind and amount), what it did (let through, asked for an SMS
code, held for review, stopped, froze the wallet) and why, in words (the ``risk.rule.*`` texts).
"How was I stopped?" answered from the stored decisions (``risk_settings.recent_decisions``).
``last_check`` is the menu's one line about the newest."""
from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from chat.i18n import t
from handlers.home import callbacks as home_buttons
from handlers.risk import words
from handlers.security import callbacks as buttons
from handlers.ui import common as ui
from handlers.ui import confirm, entry
from wallet.services import risk_settings

SHOWN = 10


def _line(lang: str, d: dict, tz) -> str:
    return t(lang, "ats.checks.line", time=ui.local_time(datetime.fromisoformat(d["created_at"]), tz, "%m-%d %H:%M"),
             kind=words.kind(lang, d["kind"]), amount=ui.money(d["amount"]), action=words.action(lang, d["action"]),
             why=words.why(lang, d["rules"]))


async def last_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The security menu's line about the newest decision, or None when there is none."""
    found = await risk_settings.recent_decisions(ui.wallet(context), ui.user_id(update), limit=1)
    if not found:
        return None
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    d = found[0]
    return t(lang, "sec.menu.last_check", time=ui.local_time(datetime.fromisoformat(d["created_at"]), tz, "%m-%d %H:%M"),
             kind=words.kind(lang, d["kind"]), amount=ui.money(d["amount"]), action=words.action(lang, d["action"]))


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``sec:checks``: the person's latest decisions, with the way to the anti-theft settings."""
    if await entry.begin(update, context) is None:
        return
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    found = await risk_settings.recent_decisions(ui.wallet(context), ui.user_id(update), limit=SHOWN)
    parts = [t(lang, "ats.checks.title" if found else "ats.checks.none"), *(_line(lang, d, tz) for d in found)]
    if found:
        parts.append(t(lang, "ats.checks.footer"))
    rows = [[(t(lang, "sec.button.antitheft"), buttons.AntiTheft().data())],
            [(t(lang, "ats.button.back"), home_buttons.Security().data()),
             (t(lang, "flow.home"), home_buttons.Back().data())]]
    await entry.say(update, context, "\n\n".join(parts), confirm.keyboard(rows))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(show, pattern=buttons.Checks.pattern()))
