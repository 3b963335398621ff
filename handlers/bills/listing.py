"""Bills (账单) in the private chat: ``/bills`` and "Bills" on the wallet home.

One message, edited in place: a page of 10 bill lines, newest first (local time, kind,
counterparty, signed amount, status), with filters (all / money in / money out, a month of the
last 12, a kind) and Prev / "n/m" / Next. Transfers that wait for the person to accept them are
not bills yet; page 1 of the unfiltered list shows them on top, each with Accept / Return.

A line's detail, Accept / Return / Revoke: handlers/bills/detail.py; the monthly summary and the
exports: handlers/bills/export.py. ``bills.register`` adds all three.

callback_data: ``bill:<verb>:<id>:<view>`` where ``<view>`` is the list's page and filters
(``2.o.tr.202611``: page 2, money out, transfers, November 2026; ``1.a..``: page 1, all): ls (the
list), mo / ki (the month / kind pickers), dt <journal id> (a line's detail), wt <transfer id> (a
transfer waiting for the person), sum / ex (summary, export). Every press reads the person's own
rows only; anything else is a popup.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.helpers import escape

from chat.i18n import t
from chat.render.labels import group_name, party, status_name
from handlers.ui import common as ui
from handlers.ui import entry, pages
from wallet.services import bills

FEATURE = "bills"
PER_PAGE = 10
SHORT = "%m-%d %H:%M"  # a list line's local time
WAITING_SHOWN = 5  # transfers waiting for the person, on top of page 1
PICKABLE = ("transfer", "red_packet", "topup", "withdraw", "payment", "fee")
CODES = {"transfer": "tr", "red_packet": "rp", "topup": "tu", "withdraw": "wd", "payment": "py", "fee": "fe",
         "savings": "sv", "interest": "it", "other": "ot"}
GROUP_OF = {v: k for k, v in CODES.items()}
DIRECTIONS = {"a": None, "i": "in", "o": "out"}
VIEW = r"\d{1,4}\.[aio]\.[a-z]{0,2}\.(?:\d{6})?"
CALLBACK = re.compile(rf"bill:(ls|mo|ki|dt|wt|sum|ex):(\d{{1,12}}):({VIEW})")


@dataclass(frozen=True)
class View:
    """A page of the list and its filters, as carried in callback_data."""
    page: int = 1
    direction: str = "a"
    kind: str | None = None
    month: str | None = None  # local 'YYYY-MM'

    @property
    def token(self) -> str:
        return f"{self.page}.{self.direction}.{CODES.get(self.kind, '')}.{(self.month or '').replace('-', '')}"

    def at(self, page: int) -> str:
        return replace(self, page=page).token

    @classmethod
    def parse(cls, token: str) -> "View | None":
        page, direction, kind, month = token.split(".")
        if (kind and kind not in GROUP_OF) or int(page) < 1 or (month and not (1 <= int(month[4:]) <= 12
                                                                               and int(month[:4]) >= 1970)):
            return None
        return cls(int(page), direction, GROUP_OF.get(kind), f"{month[:4]}-{month[4:]}" if month else None)


def button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def local(iso: str, tz, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return ui.local_time(datetime.fromisoformat(iso), tz, fmt)


def last_months(ctx, n: int = 12) -> list[str]:
    """This local month and the n-1 before it, newest first ('YYYY-MM')."""
    month = bills.current_month(ctx)
    year, mon = int(month[:4]), int(month[5:])
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out


# --- the list ------------------------------------------------------------------------------------
def _filters_text(lang: str, view: View) -> str:
    return t(lang, "bills.filters", direction=t(lang, f"bills.dir.{view.direction}"),
             month=view.month or t(lang, "bills.month.all"),
             kind=group_name(lang, view.kind) if view.kind else t(lang, "bills.kind.all"))


def _line(lang: str, n: int, line: dict, tz) -> str:
    status = status_name(lang, line.get("ref_status"))
    return t(lang, "bills.line", n=n, time=local(line["time"], tz, SHORT), kind=group_name(lang, line["group"]),
             party=escape(party(lang, line) or "—"), amount=pages.signed(line["amount"]),
             status=f" · {status}" if status else "")


def _waiting(lang: str, tz, waiting: list[dict], view: View) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """Transfers that wait for the person, above the lines (text, a button each)."""
    text = [t(lang, "bills.waiting_title")] if waiting else []
    rows = []
    for w in waiting:
        amount, name = ui.money(w["amount"]), w["sender_name"] or "?"
        text.append(t(lang, "bills.waiting_line", amount=amount, name=escape(name), time=local(w["time"], tz, SHORT)))
        rows.append([button(t(lang, "bills.waiting_button", amount=amount, name=name),
                            f"bill:wt:{w['transfer_id']}:{view.token}")])
    return text, rows


def _filter_rows(lang: str, view: View) -> list[list[InlineKeyboardButton]]:
    """All / money in / money out (the chosen one ticked), then the month and kind pickers."""
    month = view.month or t(lang, "bills.month.all")
    kind = group_name(lang, view.kind) if view.kind else t(lang, "bills.kind.all")
    return [[button(("✓ " if view.direction == d else "") + t(lang, f"bills.dir.{d}"),
                    f"bill:ls:0:{replace(view, page=1, direction=d).token}") for d in DIRECTIONS],
            [button(t(lang, "bills.month_button", month=month), f"bill:mo:0:{view.token}"),
             button(t(lang, "bills.kind_button", kind=kind), f"bill:ki:0:{view.token}")]]


async def list_screen(update: Update, context: ContextTypes.DEFAULT_TYPE,
                      view: View) -> tuple[str, InlineKeyboardMarkup]:
    ctx, uid = ui.wallet(context), update.effective_user.id
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    query = dict(per_page=PER_PAGE, kind=view.kind, month=view.month, direction=DIRECTIONS[view.direction])
    page = await bills.bills(ctx, uid, page=view.page, **query)
    if view.page > page["pages"]:  # fewer lines since the button was drawn: the last page
        view = replace(view, page=page["pages"])
        page = await bills.bills(ctx, uid, page=view.page, **query)
    text, rows = [t(lang, "bills.title"), _filters_text(lang, view)], []
    if view.page == 1 and view.direction != "o" and view.kind in (None, "transfer") and view.month is None:
        more_text, rows = _waiting(lang, tz, await bills.waiting_transfers(ctx, uid, limit=WAITING_SHOWN), view)
        text += more_text
    text.append(t(lang, "bills.count", total=page["total"], page=page["page"], pages=page["pages"]))
    if not page["items"]:
        text.append(t(lang, "bills.empty"))
    for i, line in enumerate(page["items"], start=(page["page"] - 1) * PER_PAGE + 1):
        text.append(_line(lang, i, line, tz))
        label = f"{i}. {local(line['time'], tz, SHORT)} {group_name(lang, line['group'])} "
        label += pages.signed(line["amount"])
        rows.append([button(label, f"bill:dt:{line['journal_id']}:{view.token}")])
    rows += _filter_rows(lang, view)
    rows.append(pages.nav_row(lang, page=page["page"], pages=page["pages"], data=lambda p: f"bill:ls:0:{view.at(p)}"))
    rows.append([button(t(lang, "bills.summary_button"), f"bill:sum:0:{view.token}"),
                 button(t(lang, "bills.export_button"), f"bill:ex:0:{view.token}")])
    rows.append([button(t(lang, "flow.home"), "home:back")])
    return "\n".join(text), InlineKeyboardMarkup(rows)


async def open_bills(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/bills`` (a new list message) and ``home:bills`` (the home message becomes the list)."""
    if await entry.begin(update, context) is None:
        return
    text, markup = await list_screen(update, context, View())
    await entry.say(update, context, text, markup)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str, int, View] | None:
    """A ``bill:<verb>:<id>:<view>`` press by someone with an open wallet in the private chat, or
    None (answered with a popup)."""
    query = update.callback_query
    lang = await ui.language(update, context)
    m = CALLBACK.fullmatch(query.data or "")
    view = View.parse(m.group(3)) if m else None
    if view is None:
        await query.answer(t(lang, "bills.bad_button"), show_alert=True)
        return None
    if not entry.private(update) or not ui.is_open(await ui.person(update, context)):
        await query.answer(t(lang, "home.not_open"), show_alert=True)
        return None
    return m.group(1), int(m.group(2)), view


async def on_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await pressed(update, context)
    if press is None:
        return
    await update.callback_query.answer()
    await entry.say(update, context, *await list_screen(update, context, press[2]))


async def on_picker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``bill:mo`` (all months, or one of the last 12) and ``bill:ki`` (all kinds, or one)."""
    press = await pressed(update, context)
    if press is None:
        return
    verb, _, view = press
    await update.callback_query.answer()
    lang = await ui.language(update, context)
    if verb == "mo":
        choices = [(t(lang, "bills.month.all"), replace(view, page=1, month=None))]
        choices += [(m, replace(view, page=1, month=m)) for m in last_months(ui.wallet(context))]
        current, title = view.month, t(lang, "bills.pick_month")
        chosen = [c[1].month for c in choices]
    else:
        choices = [(t(lang, "bills.kind.all"), replace(view, page=1, kind=None))]
        choices += [(group_name(lang, g), replace(view, page=1, kind=g)) for g in PICKABLE]
        current, title = view.kind, t(lang, "bills.pick_kind")
        chosen = [c[1].kind for c in choices]
    flat = [button(("✓ " if value == current else "") + label, f"bill:ls:0:{v.token}")
            for (label, v), value in zip(choices, chosen)]
    rows = [flat[:1]] + [flat[i:i + 3] for i in range(1, len(flat), 3)]
    rows.append([button(t(lang, "bills.back"), f"bill:ls:0:{view.token}")])
    await entry.say(update, context, title, InlineKeyboardMarkup(rows))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("bills", open_bills))
    app.add_handler(CallbackQueryHandler(open_bills, pattern=r"^home:bills$"))
    app.add_handler(CallbackQueryHandler(on_list, pattern=r"^bill:ls:"))
    app.add_handler(CallbackQueryHandler(on_picker, pattern=r"^bill:(mo|ki):"))
    from handlers.bills import detail as bill_detail
    from handlers.bills import export as bills_export

    app.add_handler(CallbackQueryHandler(bill_detail.on_detail, pattern=r"^bill:(dt|wt):"))
    app.add_handler(CallbackQueryHandler(bill_detail.on_action, pattern=f"^{bill_detail.ACTION.pattern}$"))
    bills_export.register(app)  # the monthly summary and the exports
    # any other ``bill:`` press (crafted, or from an older version of the bot): a popup
    app.add_handler(CallbackQueryHandler(on_unknown, pattern=r"^bill:"))


async def on_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer(await ui.text(update, context, "bills.bad_button"), show_alert=True)
