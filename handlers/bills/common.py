"""What the bills' screens share (the list, a detail, the summary and exports): the draft's name,
local times, the last months, and the door every list press goes through (``pressed``)."""
from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.bills.callbacks import OnList, parse_any
from handlers.bills.draft import DetailDraft
from handlers.ui import common as ui
from handlers.ui import entry
from wallet.services import bills

FEATURE = DetailDraft.FEATURE  # the draft's and the export conversation's name (persisted: never rename)


def local(iso: str, tz, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return ui.local_time(datetime.fromisoformat(iso), tz, fmt)


def months_back(month: str, n: int = 12) -> list[str]:
    """``month`` ('YYYY-MM') and the n-1 before it, newest first."""
    year, mon = int(month[:4]), int(month[5:])
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out


def last_months(ctx, n: int = 12) -> list[str]:
    """This local month and the n-1 before it, newest first ('YYYY-MM')."""
    return months_back(bills.current_month(ctx), n)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, *kinds: type[OnList]) -> OnList | None:
    """The press (one of ``kinds``) by someone with an open wallet in the private chat, or None
    (answered with a popup)."""
    query = update.callback_query
    lang = await ui.language(update, context)
    press = parse_any(query.data, *kinds)
    if press is None:
        await query.answer(t(lang, "bills.bad_button"), show_alert=True)
        return None
    if not entry.private(update) or not ui.is_open(await ui.person(update, context)):
        await query.answer(t(lang, "home.not_open"), show_alert=True)
        return None
    return press
