"""Paged lists in one message: the Prev / "n/m" / Next row, and signed amounts for list lines.

    row = pages.nav_row(lang, page=2, pages=4, data=lambda p: f"bill:ls:0:{view.at(p)}")
    pages.signed(-1234)      # "-¥12.34"; pages.signed(500) -> "+¥5.00"
    pages.clamp(7, 4)        # 4: a page past the end shows the last one

The "n/m" button redraws the page it shows (a refresh). Labels come from the catalogs
(``pages.prev``, ``pages.next``, ``pages.of``)."""
from __future__ import annotations

from typing import Callable

from telegram import InlineKeyboardButton

from chat.i18n import t
from wallet.money import format_amount


def signed(fen: int) -> str:
    """Money in with a plus, money out with a minus: ``+¥5.00`` / ``-¥12.34`` (zero: ``¥0.00``)."""
    return ("+" if fen > 0 else "") + format_amount(fen)


def clamp(page: int, pages: int) -> int:
    return max(1, min(page, max(1, pages)))


def nav_row(lang: str, *, page: int, pages: int, data: Callable[[int], str]) -> list[InlineKeyboardButton]:
    """``◀ Prev`` (from page 2), ``n/m``, ``Next ▶`` (before the last page)."""
    row = []
    if page > 1:
        row.append(InlineKeyboardButton(t(lang, "pages.prev"), callback_data=data(page - 1)))
    row.append(InlineKeyboardButton(t(lang, "pages.of", page=page, pages=pages), callback_data=data(page)))
    if page < pages:
        row.append(InlineKeyboardButton(t(lang, "pages.next"), callback_data=data(page + 1)))
    return row
