"""Abnormal transactions (异常交易), the reporter's side, in the private chat.

- ``Report`` (the "I don't recognise this" button of a bill's detail) or ``/report`` / ``Pick``
  (the security menu): the person's last 10 bills to pick from, or a reference number typed ->
  what is wrong (``Confirm`` why, the i-th reason) -> a description or ``Confirm`` skip ->
  ``tickets.open_ticket`` (key from the draft's nonce) -> "Report <number> opened" with
  **Freeze now** (``Freeze``, no PIN) and **Change PIN** (the security flow), and the evidence
  pack as CSV and PDF documents.
- ``/tickets``: the person's reports with their status (``Show``: one with its history;
  handlers/tickets/listing.py); an admin sees the open ones instead (handlers/tickets/admin.py).

The buttons are stated in handlers/tickets/callbacks.py.

Every press is checked by the wallet: a bill or a report that is not the presser's is refused
with a popup (``BillNotFound`` / ``TicketNotFound``) and nothing changes. What admins do reaches
the reporter through the outbox (written with each change, sent by jobs/outbox.py).
"""
from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler, filters
from telegram.helpers import escape

from chat.i18n import t
from handlers.security.callbacks import Change as ChangePin
from handlers.tickets.callbacks import (Confirm, Freeze, Mine, Pick, Report, Show, button,
                                        is_ticket)
from handlers.tickets.cards import admin_ids, bill_line, notify_soon, send_pack
from handlers.tickets.draft import ReportDraft
from handlers.tickets.listing import show_list, show_one
from handlers.ui import common as ui
from handlers.ui import confirm, entry
from wallet.errors import TicketInvalid, WalletError
from wallet.services import bills, tickets

log = logging.getLogger("handlers.tickets.report")

FEATURE = ReportDraft.FEATURE
PICK, WHY, DETAILS = "ticket.pick", "ticket.why", "ticket.details"
RECENT = 10
SKIP_WORDS = {"skip", "跳过", "-"}


# --- which bill ----------------------------------------------------------------------------------
async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``/report`` and ``Pick``: the last bills as buttons, or a reference typed."""
    profile = await entry.begin(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    ReportDraft.drop(context)
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    page = await bills.bills(ui.wallet(context), profile["user_id"], per_page=RECENT)
    rows = [[button(bill_line(lang, ln, tz), Report(ln["journal_id"]))] for ln in page["items"]]
    key = "ticket.pick" if rows else "ticket.pick_none"
    await entry.say(update, context, t(lang, key), InlineKeyboardMarkup(rows) if rows else None)
    return PICK


async def typed_reference(update: Update, context: ContextTypes.DEFAULT_TYPE):
    typed = "".join((update.effective_message.text or "").split())  # "2026 1128 …" as copied
    journal_id = bills.journal_id_of_reference(typed)
    if journal_id is None:
        await update.effective_message.reply_text(await ui.text(update, context, "ticket.bad_reference"))
        return None
    return await _ask_why(update, context, journal_id)


async def report(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``Report``: from a bill's detail or the picker."""
    query = update.callback_query
    if not (entry.private(update) and ui.is_open(await ui.person(update, context, fresh=True))):
        return await entry.begin(update, context)  # says why (a popup), returns None
    return await _ask_why(update, context, Report.parse(query.data).journal_id)


async def _ask_why(update: Update, context: ContextTypes.DEFAULT_TYPE, journal_id: int):
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    try:
        line = await bills.bill(ui.wallet(context), ui.user_id(update), journal_id)
    except WalletError as err:  # not the person's bill (crafted data, someone else's reference)
        log.info("user=%s op=ticket_report journal=%s refused: %s", ui.user_id(update), journal_id, err.code)
        await entry.refuse(update, context, err)
        return None
    if update.callback_query is not None:
        await update.callback_query.answer()
    entry.activate(update, FEATURE)
    draft = ReportDraft.start(context, journal_id=journal_id)
    rows = [[button(t(lang, f"ticket.reason.{r}"), Confirm("why", i, draft.nonce))]
            for i, r in enumerate(tickets.REASONS)]
    rows.append([button(t(lang, "flow.cancel_button"), Confirm("no", 0, draft.nonce))])
    text = t(lang, "ticket.why", bill=escape(bill_line(lang, line, tz)), reference=line["reference"])
    await entry.say(update, context, text, InlineKeyboardMarkup(rows))
    return WHY


# --- what is wrong, a description, the ticket ------------------------------------------------------
async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``Confirm`` (``ticket:why|skip|no:<i>:<nonce>``) on the live draft's screens."""
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    draft = ReportDraft.of(press.draft)
    if press.verb == "no":
        ReportDraft.drop(context)
        await update.callback_query.edit_message_text(t(lang, "flow.cancelled"))
        return ConversationHandler.END
    if press.verb == "skip" and draft.step == "details":
        return await _open(update, context, draft, None)
    if press.verb != "why" or not 0 <= press.row_id < len(tickets.REASONS):
        await context.bot.send_message(update.effective_chat.id,
                                       await ui.explain(update, context, TicketInvalid(reason="reason")))
        return None
    draft = draft.replace(reason=tickets.REASONS[press.row_id]).save(context)
    skip = InlineKeyboardMarkup([[button(t(lang, "ticket.skip"), Confirm("skip", 0, draft.nonce))]])
    await update.callback_query.edit_message_text(
        t(lang, "ticket.details", reason=t(lang, f"ticket.reason.{draft.reason}"), limit=tickets.DETAILS_MAX),
        parse_mode=ParseMode.HTML, reply_markup=skip)
    return DETAILS


async def typed_details(update: Update, context: ContextTypes.DEFAULT_TYPE):
    draft = ReportDraft.load(context)
    if draft is None or draft.step != "details":
        return ConversationHandler.END
    text = update.effective_message.text or ""
    return await _open(update, context, draft, None if text.strip().lower() in SKIP_WORDS else text)


async def _open(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: ReportDraft, details: str | None):
    wallet, uid = ui.wallet(context), ui.user_id(update)
    lang = await ui.language(update, context)
    try:
        ticket = await tickets.open_ticket(wallet, key=ui.op_key(update, "ticket_open", draft), reporter_id=uid,
                                           journal_id=draft.journal_id, reason=draft.reason, details=details,
                                           admin_ids=admin_ids(context))
    except TicketInvalid as err:  # too long: same step
        await context.bot.send_message(update.effective_chat.id, await ui.explain(update, context, err))
        return None
    except WalletError as err:  # open already, or the bill is gone
        ReportDraft.drop(context)
        await context.bot.send_message(update.effective_chat.id, await ui.explain(update, context, err))
        return ConversationHandler.END
    ReportDraft.drop(context)
    log.info("user=%s op=ticket_open ticket=%s journal=%s reason=%s", uid, ticket["ticket_id"],
             draft.journal_id, draft.reason)
    rows = [[button(t(lang, "ticket.freeze_now"), Freeze(ticket["ticket_id"])),
             button(t(lang, "ticket.change_pin"), ChangePin())],
            [button(t(lang, "ticket.my_tickets"), Mine())]]
    await context.bot.send_message(update.effective_chat.id, t(lang, "ticket.opened", number=ticket["number"]),
                                   parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))
    await send_evidence(update, context, ticket["ticket_id"])
    notify_soon(context)
    return ConversationHandler.END


async def send_evidence(update: Update, context: ContextTypes.DEFAULT_TYPE, ticket_id: int) -> None:
    """The evidence pack (the bill and the activity around it) as CSV and PDF documents to keep."""
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    pack = await tickets.evidence(ui.wallet(context), ticket_id, viewer_id=ui.user_id(update))
    await send_pack(context, update.effective_chat.id, pack, lang, tz.key)


# --- after the ticket: freeze now -------------------------------------------------------------------
async def freeze_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``Freeze``: the reporter freezes their own wallet at once, no PIN."""
    query = update.callback_query
    profile = await ui.person(update, context, fresh=True)
    if profile is None:
        await query.answer(await ui.text(update, context, "home.not_open"), show_alert=True)
        return
    if profile.get("frozen"):  # nothing to do (the admins knew, or it was frozen from /security)
        await query.answer(await ui.text(update, context, "sec.already_frozen"), show_alert=True)
        return
    ticket_id = Freeze.parse(query.data).ticket_id
    try:
        await tickets.freeze_self(ui.wallet(context), key=ui.op_key(update, "ticket_freeze", f"t{ticket_id}"),
                                  user_id=ui.user_id(update), ticket_id=ticket_id, admin_ids=admin_ids(context))
    except WalletError as err:
        log.info("user=%s op=ticket_freeze ticket=%s refused: %s", ui.user_id(update), ticket_id, err.code)
        await entry.refuse(update, context, err)
        return
    log.info("user=%s op=ticket_freeze ticket=%s: frozen", ui.user_id(update), ticket_id)
    lang = await ui.language(update, context)
    await query.answer(t(lang, "ticket.frozen_popup"))
    try:  # the freeze button is done; change PIN and the list stay
        await query.edit_message_reply_markup(InlineKeyboardMarkup(
            [[button(t(lang, "ticket.change_pin"), ChangePin()), button(t(lang, "ticket.my_tickets"), Mine())]]))
    except Exception:  # noqa: BLE001 - an old message may be gone
        pass
    await context.bot.send_message(update.effective_chat.id, t(lang, "ticket.frozen"))
    notify_soon(context)


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A ``ticket:`` press nothing above took (an old screen, crafted data): a popup, no change."""
    await update.callback_query.answer(await ui.text(update, context, "confirm.stale"), show_alert=True)


def conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("report", pick, filters=private),
                      CallbackQueryHandler(pick, pattern=Pick.pattern()),
                      CallbackQueryHandler(report, pattern=Report.pattern())],
        states={
            PICK: [entry.FlowText(FEATURE, typed_reference)],
            WHY: [CallbackQueryHandler(on_press, pattern=Confirm.pattern())],
            DETAILS: [CallbackQueryHandler(on_press, pattern=Confirm.pattern()),
                      entry.FlowText(FEATURE, typed_details)],
        },
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
    app.add_handler(CommandHandler("tickets", show_list, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(show_list, pattern=Mine.pattern()))
    app.add_handler(CallbackQueryHandler(freeze_now, pattern=Freeze.pattern()))
    app.add_handler(CallbackQueryHandler(show_one, pattern=Show.pattern()))
    app.add_handler(CallbackQueryHandler(stale, pattern=is_ticket))  # old screens, crafted data
