"""Bills (账单) in the private chat: ``/bills`` and "Bills" on the wallet home.

One message, edited in place: a page of 10 bill lines, newest first (local time, kind,
counterparty, signed amount, status), with filters (all / money in / money out, a month of the
last 12, a kind) and Prev / "n/m" / Next. Transfers that wait for the person to accept them are
not bills yet; page 1 of the unfiltered list shows them on top, each with Accept / Return.

A line's detail, Accept / Return / Revoke: handlers/bills/detail.py; the monthly summary and the
exports: handlers/bills/export.py. ``register`` here adds all three (bot/app.py calls it).

The buttons (``bill:<verb>:<id>:<view>``, the view being the list's page and filters) are stated
in handlers/bills/callbacks.py. Every press reads the person's own rows only; anything else is a
popup.
"""
from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.helpers import escape

from chat.i18n import t
from chat.render.labels import group_name, party, status_name
from handlers.bills import detail, export
from handlers.home import callbacks as home_buttons
from handlers.bills.callbacks import (DIRECTIONS, Detail, Export, KindPicker, List, MonthPicker, Summary, View, Waiting,
                                      any_of, button, is_bill)
from handlers.bills.common import last_months, local, pressed
from handlers.ui import common as ui
from handlers.ui import entry, pages
from wallet.services import bills

PER_PAGE = 10
SHORT = "%m-%d %H:%M"  # a list line's local time
WAITING_SHOWN = 5  # transfers waiting for the person, on top of page 1
PICKABLE = ("transfer", "red_packet", "topup", "withdraw", "payment", "fee")


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
                            Waiting.of(view, w["transfer_id"]))])
    return text, rows


def _filter_rows(lang: str, view: View) -> list[list[InlineKeyboardButton]]:
    """All / money in / money out (the chosen one ticked), then the month and kind pickers."""
    month = view.month or t(lang, "bills.month.all")
    kind = group_name(lang, view.kind) if view.kind else t(lang, "bills.kind.all")
    return [[button(("✓ " if view.direction == d else "") + t(lang, f"bills.dir.{d}"),
                    List.of(replace(view, page=1, direction=d))) for d in DIRECTIONS],
            [button(t(lang, "bills.month_button", month=month), MonthPicker.of(view)),
             button(t(lang, "bills.kind_button", kind=kind), KindPicker.of(view))]]


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
        rows.append([button(label, Detail.of(view, line["journal_id"]))])
    rows += _filter_rows(lang, view)
    rows.append(pages.nav_row(lang, page=page["page"], pages=page["pages"],
                              data=lambda p: List(0, view.at(p)).data()))
    rows.append([button(t(lang, "bills.summary_button"), Summary.of(view)),
                 button(t(lang, "bills.export_button"), Export.of(view))])
    rows += entry.home_button(lang).inline_keyboard
    return "\n".join(text), InlineKeyboardMarkup(rows)


async def open_bills(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/bills`` (a new list message) and ``home:bills`` (the home message becomes the list)."""
    if await entry.begin(update, context) is None:
        return
    text, markup = await list_screen(update, context, View())
    await entry.say(update, context, text, markup)


async def on_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await pressed(update, context, List)
    if press is None:
        return
    await update.callback_query.answer()
    await entry.say(update, context, *await list_screen(update, context, press.shown))


async def on_picker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``bill:mo`` (all months, or one of the last 12) and ``bill:ki`` (all kinds, or one)."""
    press = await pressed(update, context, MonthPicker, KindPicker)
    if press is None:
        return
    view = press.shown
    await update.callback_query.answer()
    lang = await ui.language(update, context)
    if isinstance(press, MonthPicker):
        choices = [(t(lang, "bills.month.all"), replace(view, page=1, month=None))]
        choices += [(m, replace(view, page=1, month=m)) for m in last_months(ui.wallet(context))]
        current, title = view.month, t(lang, "bills.pick_month")
        chosen = [c[1].month for c in choices]
    else:
        choices = [(t(lang, "bills.kind.all"), replace(view, page=1, kind=None))]
        choices += [(group_name(lang, g), replace(view, page=1, kind=g)) for g in PICKABLE]
        current, title = view.kind, t(lang, "bills.pick_kind")
        chosen = [c[1].kind for c in choices]
    flat = [button(("✓ " if value == current else "") + label, List.of(v))
            for (label, v), value in zip(choices, chosen)]
    rows = [flat[:1]] + [flat[i:i + 3] for i in range(1, len(flat), 3)]
    rows.append([button(t(lang, "bills.back"), List.of(view))])
    await entry.say(update, context, title, InlineKeyboardMarkup(rows))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("bills", open_bills))
    app.add_handler(CallbackQueryHandler(open_bills, pattern=home_buttons.Bills.pattern()))
    app.add_handler(CallbackQueryHandler(on_list, pattern=List.pattern()))
    app.add_handler(CallbackQueryHandler(on_picker, pattern=any_of(MonthPicker, KindPicker)))
    detail.register(app)  # a line's detail, Accept / Return / Revoke
    export.register(app, open_list=open_bills)  # the monthly summary and the exports
    # any other ``bill:`` press (crafted, or from an older version of the bot): a popup
    app.add_handler(CallbackQueryHandler(on_unknown, pattern=is_bill))


async def on_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer(await ui.text(update, context, "bills.bad_button"), show_alert=True)
