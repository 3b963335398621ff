"""A bill's detail (handlers/bills/listing.py draws the list): every field a person needs to recognise
the line (time, kind, counterparty, signed amount, fee, status, note) and its reference number
(交易单号); "I don't recognise this" (the abnormal-transaction flow's ``Report`` button,
handlers/tickets/callbacks.py); Revoke on one's own delayed transfer that has not arrived (or an
inline one nobody took); "Back to list" to the same page and filters. A transfer sent to the person
and not accepted yet is not a bill line: its own screen (``Waiting``) has Accept and Return.

Accept / Return / Revoke (``bill:acc|ret|rev:<transfer id>:<nonce>``, handlers/bills/callbacks.py):
the nonce is the live detail's draft (``draft:bills``, ``DetailDraft`` in handlers/bills/draft.py:
the transfer, the line, the list's view, the verbs it offers); the operation's key comes from it,
so a double tap or a re-delivered press replays the first result. The wallet checks who may do
it (the same services as the transfer cards), and the transfer's cards are edited after.
"""
from __future__ import annotations

import logging
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes
from telegram.helpers import escape

from chat.i18n import t
from chat.render.labels import group_name, party, status_name
from handlers.bills.callbacks import (ACTIONS, Accept, Detail, List, Return, Revoke, View, Waiting, any_of, button,
                                      parse_any)
from handlers.bills.common import local, pressed
from handlers.bills.draft import DetailDraft
from handlers.tickets.callbacks import Report
from handlers.ui import common as ui
from handlers.ui import entry, pages
from wallet.errors import NotYourTransfer, TransferNotFound, WalletError
from wallet.services import bills, people, transfers

log = logging.getLogger("handlers.bills.detail")

OPERATIONS = {Accept: transfers.accept, Return: transfers.give_back, Revoke: transfers.revoke}


async def detail_screen(update: Update, context: ContextTypes.DEFAULT_TYPE, journal_id: int, view: View,
                        *, keep_draft: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """Raises BillNotFound for a line that is not the person's own."""
    ctx, uid = ui.wallet(context), update.effective_user.id
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    line = await bills.bill(ctx, uid, journal_id)
    text = [t(lang, "bill.detail.title"), f"<b>{pages.signed(line['amount'])}</b>",
            t(lang, "bill.detail.kind", kind=group_name(lang, line["group"])),
            t(lang, "bill.detail.party", party=escape(party(lang, line) or "—")),
            t(lang, "bill.detail.time", time=local(line["time"], tz))]
    if line.get("ref_status"):
        text.append(t(lang, "bill.detail.status", status=status_name(lang, line["ref_status"])))
    if line["fee"]:
        text.append(t(lang, "bill.detail.fee", fee=ui.money(-line["fee"])))
    if line.get("note"):
        text.append(t(lang, "bill.detail.note", note=escape(line["note"])))
    text.append(t(lang, "bill.detail.balance", balance=ui.money(await bills.balance_after(ctx, uid, journal_id))))
    text.append(t(lang, "bill.detail.reference", reference=line["reference"]))
    rows = [[button(t(lang, "bill.report_button"), Report(journal_id))]]
    if line["ref_type"] == "transfer" and line.get("ref_status") == "pending" and line["amount"] < 0:
        tf = await transfers.get(ctx, line["ref_id"], viewer_id=uid)
        arrive = datetime.fromisoformat(tf["arrive_at"])
        if arrive > ctx.now():
            text.append(t(lang, "bill.detail.arrives", time=ui.local_time(arrive, tz)))
        if tf["sender_id"] == uid and (arrive > ctx.now() or tf["recipient_id"] is None):
            draft = _draft(context, keep_draft, tid=tf["transfer_id"], jid=journal_id, view=view.token,
                           verbs=(Revoke.verb,))
            rows.append([button(t(lang, "bill.revoke_button"), Revoke(tf["transfer_id"], draft.nonce))])
    rows.append([button(t(lang, "bills.back"), List.of(view))])
    return "\n".join(text), InlineKeyboardMarkup(rows)


def _draft(context, keep: bool, **fields) -> DetailDraft:
    """The detail's draft (its nonce is in the Accept / Return / Revoke buttons): a new one for a
    new detail, the same one when the detail is drawn again after its button was pressed."""
    old = DetailDraft.load(context)
    if keep and old is not None and old.tid == fields["tid"]:
        return old
    return DetailDraft.start(context, **fields)


async def waiting_screen(update: Update, context: ContextTypes.DEFAULT_TYPE, transfer_id: int, view: View,
                         *, keep_draft: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """A transfer sent to the person: Accept / Return while it waits. Raises NotYourTransfer for
    anyone but its recipient."""
    ctx, uid = ui.wallet(context), update.effective_user.id
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    tf = await transfers.get(ctx, transfer_id, viewer_id=uid)
    if tf["recipient_id"] != uid or datetime.fromisoformat(tf["arrive_at"]) > ctx.now():
        raise NotYourTransfer(transfer_id=transfer_id)
    sender = (await people.profile(ctx, tf["sender_id"]))["first_name"] or "?"
    text = [t(lang, "bill.waiting.title"), f"<b>{pages.signed(tf['amount'])}</b>",
            t(lang, "bill.detail.kind", kind=group_name(lang, "transfer")),
            t(lang, "bill.detail.party", party=escape(sender)),
            t(lang, "bill.detail.time", time=local(tf["created_at"], tz)),
            t(lang, "bill.detail.status", status=status_name(lang, tf["status"]))]
    if tf.get("note"):
        text.append(t(lang, "bill.detail.note", note=escape(tf["note"])))
    rows = []
    if tf["status"] == "pending":
        text.append(t(lang, "bill.waiting.expires", time=local(tf["expires_at"], tz)))
        draft = _draft(context, keep_draft, tid=transfer_id, jid=None, view=view.token,
                       verbs=(Accept.verb, Return.verb))
        rows.append([button(t(lang, "bill.accept_button"), Accept(transfer_id, draft.nonce)),
                     button(t(lang, "bill.return_button"), Return(transfer_id, draft.nonce))])
    rows.append([button(t(lang, "bills.back"), List.of(view))])
    return "\n".join(text), InlineKeyboardMarkup(rows)


async def on_detail(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``Detail`` (a journal id) and ``Waiting`` (a transfer id): the person's own rows only."""
    press = await pressed(update, context, Detail, Waiting)
    if press is None:
        return
    verb, row_id, view = press.verb, press.row_id, press.shown
    query = update.callback_query
    try:
        screen = (await detail_screen(update, context, row_id, view) if isinstance(press, Detail)
                  else await waiting_screen(update, context, row_id, view))
    except (NotYourTransfer, TransferNotFound):
        await query.answer(await ui.text(update, context, "error.bill_not_found"), show_alert=True)
        return
    except WalletError as err:  # BillNotFound: not theirs, or no such line (the same answer)
        log.info("bill detail refused user=%s verb=%s id=%s: %s", update.effective_user.id, verb, row_id, err.code)
        await query.answer((await ui.explain(update, context, err))[:200], show_alert=True)
        return
    await query.answer()
    await entry.say(update, context, *screen)


async def on_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Accept / Return / Revoke from a detail: the live draft's nonce and transfer only; the wallet
    checks who may do it (the same services as the transfer cards)."""
    query = update.callback_query
    lang = await ui.language(update, context)
    press = parse_any(query.data, *ACTIONS)  # never None: the handler's pattern parsed it
    tid, nonce, uid = press.transfer_id, press.nonce, update.effective_user.id
    draft = DetailDraft.load(context)
    if (draft is None or draft.nonce != nonce or draft.tid != tid
            or not draft.offers(press.verb) or not entry.private(update)):
        await query.answer(t(lang, "confirm.stale"), show_alert=True)
        return
    op, status = press.op, press.done
    key = ui.op_key(update, op, f"{tid}.{nonce}")
    try:
        result = await OPERATIONS[type(press)](ui.wallet(context), key=key, user_id=uid, transfer_id=tid)
    except WalletError as err:
        log.info("bill %s refused user=%s transfer=%s: %s", op, uid, tid, err.code)
        await query.answer((await ui.explain(update, context, err))[:200], show_alert=True)
        return
    log.info("bill %s user=%s transfer=%s key=%s", op, uid, tid, key)
    await query.answer(t(lang, f"transfer.done.{status}", amount=ui.money(result["amount"])))
    from handlers.transfer import card as transfer_card

    await transfer_card.refresh(context.application, result)  # the transfer's cards say how it ended
    view = View.parse(draft.view) or View()
    if draft.jid:
        screen = await detail_screen(update, context, draft.jid, view, keep_draft=True)
    else:
        screen = await waiting_screen(update, context, tid, view, keep_draft=True)
    await entry.say(update, context, *screen)


def register(app: Application) -> None:
    """Added by handlers/bills/listing.py (``register``), before the bills' catch-all."""
    app.add_handler(CallbackQueryHandler(on_detail, pattern=any_of(Detail, Waiting)))
    app.add_handler(CallbackQueryHandler(on_action, pattern=any_of(*ACTIONS)))
