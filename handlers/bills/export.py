"""The bills' monthly summary (a chart sent as a photo, its figures in the caption) and exports
(a month or a typed date range, as a CSV document and a PDF statement), from the bills list
(handlers/bills/listing.py).

- ``Summary`` (``bill:sum:0:<view>``): the chart of the list's month (this month when the list shows all
  months): money in and out for the last 6 months and the month's spending by kind
  (chat/render/chart.py), drawn off the event loop. When it cannot be drawn (no CJK font,
  any drawing error) the figures come as a text message that says why the picture is missing.
- ``Export`` (``bill:ex:0:<view>``): the export step: pick one of the last 12 months
  (``ExportMonth``, ``bill:xm:<YYYYMM>``, also outside the step) or type a range
  ``2026-11-01 2026-11-30`` (one day alone is that day).
  Both files come from one statement (``statements.statement``, one snapshot): the CSV (UTF-8
  with a BOM, so a spreadsheet shows the Chinese text) and the PDF whose opening balance plus
  its lines is its closing balance. Times are shown in the person's time zone. The CSV is always
  sent; when the PDF cannot be made a message says why in its place (chat/render/safe.py).
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler

from chat.i18n import t
from chat.render import chart, csv_export, safe, statement_pdf
from chat.render.labels import group_name
from handlers.bills.callbacks import Export, ExportMonth, List, Summary, button
from handlers.bills.common import FEATURE, last_months, pressed
from handlers.ui import common as ui
from handlers.ui import entry
from wallet.errors import InvalidDateRange, WalletError
from wallet.services import statements

log = logging.getLogger("handlers.bills.export")

RANGE = "bills.range"
_RANGE_RE = re.compile(r"\s*(\S+?)\s*(?:(?:\s|~|～|至|到|to|—|–)+\s*(\S+))?\s*", re.IGNORECASE)


def parse_range(text: str) -> tuple[date, date]:
    """``2026-11-01 2026-11-30`` (also ``~``, ``至``, ``to``, a dash between), or one day alone:
    (first, last). Raises InvalidDateRange(format) for anything else (the order and the length
    are the statement's to check)."""
    m = _RANGE_RE.fullmatch(text or "")
    if m is None:
        raise InvalidDateRange(reason="format")
    first = statements.parse_day(m.group(1))
    return first, statements.parse_day(m.group(2)) if m.group(2) else first


# --- the monthly summary ---------------------------------------------------------------------------
def summary_caption(lang: str, data: dict) -> str:
    lines = [chart.caption(data, lang)]
    if data["spending"]:
        lines.append(t(lang, "bills.sum.by_kind"))
        lines += [t(lang, "bills.sum.kind_line", kind=group_name(lang, g), amount=ui.money(v))
                  for g, v in sorted(data["spending"].items(), key=lambda kv: -kv[1])]
    lines.append(t(lang, "bills.sum.months", n=len(data["series"])))
    lines += [t(lang, "bills.sum.month_line", month=s["month"], total_in=ui.money(s["in"]),
                total_out=ui.money(s["out"])) for s in data["series"]]
    return "\n".join(lines)[:1024]


async def on_summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await pressed(update, context, Summary)
    if press is None:
        return
    view = press.shown
    ctx, uid = ui.wallet(context), update.effective_user.id
    lang = await ui.language(update, context)
    await update.callback_query.answer(t(lang, "bills.sum.drawing"))
    data = await statements.chart_data(ctx, uid, month=view.month)
    png, why = await safe.draw(f"chart user={uid}", chart.monthly_chart, data, lang)
    log.info("bills summary user=%s month=%s chart=%s", uid, data["month"], why or "drawn")
    if png is None:  # the figures alone, and why the picture is missing
        text = summary_caption(lang, data) + "\n\n" + safe.missing(lang, "render.missing.chart", why)
        await context.bot.send_message(update.effective_chat.id, text)
        return
    await context.bot.send_photo(update.effective_chat.id, png, caption=summary_caption(lang, data))


# --- exports ---------------------------------------------------------------------------------------
def _localized(st: dict, tz) -> dict:
    """The statement with its lines' times in the person's time zone."""
    lines = [{**ln, "time": datetime.fromisoformat(ln["time"]).astimezone(tz).isoformat()} for ln in st["lines"]]
    return {**st, "lines": lines}


async def send_export(update: Update, context: ContextTypes.DEFAULT_TYPE, *, month: str | None = None,
                      first=None, last=None) -> None:
    """The CSV and the PDF of one statement. Raises InvalidDateRange / InvalidMonth."""
    ctx, uid, chat = ui.wallet(context), update.effective_user.id, update.effective_chat.id
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    st = _localized(await statements.statement(ctx, uid, month=month, first=first, last=last), tz)
    name = month or f"{st['first']}_{st['last']}"
    profile = await ui.person(update, context)
    holder = (profile or {}).get("first_name") or update.effective_user.first_name
    pdf, why = await safe.draw(f"statement pdf user={uid}", statement_pdf.statement_pdf, st, lang, holder=holder,
                               generated_at=ctx.now().astimezone(tz))
    figures = dict(first=st["first"], last=st["last"], count=st["count"], opening=ui.money(st["opening"]),
                   closing=ui.money(st["closing"]), total_in=ui.money(st["total_in"]),
                   total_out=ui.money(st["total_out"]))
    log.info("bills export user=%s first=%s last=%s lines=%s pdf=%s", uid, st["first"], st["last"], st["count"],
             why or "made")
    await context.bot.send_document(chat, csv_export.bills_csv(st["lines"], lang), filename=f"bills-{name}.csv",
                                    caption=t(lang, "bills.export.csv_caption", **figures))
    if pdf is None:  # the statement's figures and why its PDF is missing (the CSV above has every line)
        await context.bot.send_message(chat, t(lang, "bills.export.pdf_caption", **figures) + "\n\n"
                                       + safe.missing(lang, "render.missing.statement_pdf", why))
        return
    await context.bot.send_document(chat, pdf, filename=f"statement-{name}.pdf",
                                    caption=t(lang, "bills.export.pdf_caption", **figures))


async def ask_export(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await pressed(update, context, Export)
    if press is None:
        return ConversationHandler.END
    await update.callback_query.answer()
    entry.activate(update, FEATURE)
    lang = await ui.language(update, context)
    flat = [button(m, ExportMonth.of(m)) for m in last_months(ui.wallet(context))]
    rows = [flat[i:i + 3] for i in range(0, len(flat), 3)]
    rows.append([button(t(lang, "bills.back"), List.of(press.shown))])
    await context.bot.send_message(update.effective_chat.id, t(lang, "bills.export.ask"), parse_mode=ParseMode.HTML,
                                   reply_markup=InlineKeyboardMarkup(rows))
    return RANGE


async def on_month(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``ExportMonth``, in the export step or from an older export message (a month that is not
    one never gets here: the bills' catch-all refuses it)."""
    query = update.callback_query
    press = ExportMonth.parse(query.data)
    if not entry.private(update) or not ui.is_open(await ui.person(update, context)):
        await query.answer(await ui.text(update, context, "home.not_open"), show_alert=True)
        return None
    await query.answer(await ui.text(update, context, "bills.export.sending"))
    await send_export(update, context, month=press.month)
    return ConversationHandler.END


async def on_range(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``2026-11-01 2026-11-30`` (or one day): the export; a bad range says why and waits."""
    try:
        first, last = parse_range(update.effective_message.text or "")
        await send_export(update, context, first=first, last=last)
    except WalletError as err:
        await update.effective_message.reply_text(await ui.explain(update, context, err))
        return None
    return ConversationHandler.END


def register(app: Application, *, open_list: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]) -> None:
    """Added by handlers/bills/listing.py (``register``), which passes ``open_list``: ``/bills``
    during the export step ends the step and shows the list."""
    async def back_to_bills(update: Update, context: ContextTypes.DEFAULT_TYPE):
        await open_list(update, context)
        return ConversationHandler.END

    app.add_handler(ui.conversation(
        FEATURE, entry_points=[CallbackQueryHandler(ask_export, pattern=Export.pattern())],
        states={RANGE: [entry.FlowText(FEATURE, on_range),
                        CallbackQueryHandler(on_month, pattern=ExportMonth.pattern())]},
        fallbacks=[entry.home_fallback(FEATURE), CommandHandler("bills", back_to_bills)]))
    app.add_handler(CallbackQueryHandler(on_month, pattern=ExportMonth.pattern()))
    app.add_handler(CallbackQueryHandler(on_summary, pattern=Summary.pattern()))
