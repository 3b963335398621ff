"""Bills (账单) in the private chat: ``/bills`` and "Bills" on the wallet home.

One message, edited in place: a page of 10 bill lines, newest first (local time, kind,
counterparty, signed amount, status), with filters (all / money in / money out, a month of the
last 12, a kind) and Prev / "n/m" / Next. Transfers that wait for the person to accept them are
not bills yet; page 1 of the unfiltered list shows them on top, each with Accept / Return.

A line's detail has every field a person needs to recognise it and its reference number
(交易单号), "I don't recognise this" (``ticket:report:<journal id>``, the abnormal-transaction
flow, handled elsewhere), Revoke on one's own delayed transfer that has not arrived, and the way
back to the same page. Monthly summary and export: handlers/bills_export.py.

callback_data: ``bill:<verb>:<id>:<view>`` where ``<view>`` is the list's page and filters
(``2.o.tr.202611``: page 2, money out, transfers, November 2026; ``1.a..``: page 1, all): ls (the
list), mo / ki (the month / kind pickers), dt <journal id> (a line's detail), wt <transfer id> (a
transfer waiting for the person). ``bill:acc|ret|rev:<transfer id>:<nonce>``: Accept / Return /
Revoke from a detail; the nonce is the live draft's and the operation's key comes from it, so a
double tap replays. Every press reads the person's own rows only; anything else is a popup.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.helpers import escape

from handlers.i18n import t
from handlers.render.labels import group_name, party, status_name
from handlers.ui import common as ui
from handlers.ui import entry, pages
from wallet.errors import NotYourTransfer, TransferNotFound, WalletError
from wallet.services import bills, people, transfers

log = logging.getLogger("handlers.bills")

FEATURE = "bills"
PER_PAGE = 10
PICKABLE = ("transfer", "red_packet", "topup", "withdraw", "payment", "fee")
CODES = {"transfer": "tr", "red_packet": "rp", "topup": "tu", "withdraw": "wd", "payment": "py", "fee": "fe",
         "savings": "sv", "interest": "it", "other": "ot"}
GROUP_OF = {v: k for k, v in CODES.items()}
DIRECTIONS = {"a": None, "i": "in", "o": "out"}
VIEW = r"\d{1,4}\.[aio]\.[a-z]{0,2}\.(?:\d{6})?"
CALLBACK = re.compile(rf"bill:(ls|mo|ki|dt|wt|sum|ex):(\d{{1,12}}):({VIEW})")
ACTION = re.compile(r"bill:(acc|ret|rev):(\d{1,12}):([A-Za-z0-9_-]{6,20})")
ACTIONS = {"acc": ("transfer_accept", transfers.accept, "accepted"),
           "ret": ("transfer_return", transfers.give_back, "returned"),
           "rev": ("transfer_revoke", transfers.revoke, "revoked")}


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
        if (kind and kind not in GROUP_OF) or int(page) < 1 or (month and not 1 <= int(month[4:]) <= 12):
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
    return t(lang, "bills.line", n=n, time=local(line["time"], tz, "%m-%d %H:%M"), kind=group_name(lang, line["group"]),
             party=escape(party(lang, line) or "—"), amount=pages.signed(line["amount"]),
             status=f" · {status}" if status else "")


async def list_screen(update: Update, context: ContextTypes.DEFAULT_TYPE, view: View) -> tuple[str, InlineKeyboardMarkup]:
    ctx, uid = ui.wallet(context), update.effective_user.id
    lang, tz = await ui.language(update, context), await ui.timezone(update, context)
    query = dict(per_page=PER_PAGE, kind=view.kind, month=view.month, direction=DIRECTIONS[view.direction])
    page = await bills.bills(ctx, uid, page=view.page, **query)
    if view.page > page["pages"]:  # fewer lines since the button was drawn: the last page
        view = replace(view, page=page["pages"])
        page = await bills.bills(ctx, uid, page=view.page, **query)
    text = [t(lang, "bills.title"), _filters_text(lang, view)]
    rows: list[list[InlineKeyboardButton]] = []
    if view.page == 1 and view.direction != "o" and view.kind in (None, "transfer") and view.month is None:
        waiting = await bills.waiting_transfers(ctx, uid)
        if waiting:
            text.append(t(lang, "bills.waiting_title"))
        for w in waiting:
            name = escape(w["sender_name"] or "?")
            text.append(t(lang, "bills.waiting_line", amount=ui.money(w["amount"]), name=name,
                          time=local(w["time"], tz, "%m-%d %H:%M")))
            rows.append([button(t(lang, "bills.waiting_button", amount=ui.money(w["amount"]), name=w["sender_name"] or "?"),
                                f"bill:wt:{w['transfer_id']}:{view.token}")])
    text.append(t(lang, "bills.count", total=page["total"], page=page["page"], pages=page["pages"]))
    if not page["items"]:
        text.append(t(lang, "bills.empty"))
    first = (page["page"] - 1) * PER_PAGE
    for i, line in enumerate(page["items"], start=first + 1):
        text.append(_line(lang, i, line, tz))
        label = f"{i}. {local(line['time'], tz, '%m-%d %H:%M')} {group_name(lang, line['group'])} {pages.signed(line['amount'])}"
        rows.append([button(label, f"bill:dt:{line['journal_id']}:{view.token}")])
    rows.append([button(("✓ " if view.direction == d else "") + t(lang, f"bills.dir.{d}"),
                        f"bill:ls:0:{replace(view, page=1, direction=d).token}") for d in DIRECTIONS])
    rows.append([button(t(lang, "bills.month_button", month=view.month or t(lang, "bills.month.all")), f"bill:mo:0:{view.token}"),
                 button(t(lang, "bills.kind_button", kind=group_name(lang, view.kind) if view.kind else t(lang, "bills.kind.all")),
                        f"bill:ki:0:{view.token}")])
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


# --- a bill's detail -------------------------------------------------------------------------------
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
    text.append(t(lang, "bill.detail.reference", reference=line["reference"]))
    rows = [[button(t(lang, "bill.report_button"), f"ticket:report:{journal_id}")]]
    if line["ref_type"] == "transfer" and line.get("ref_status") == "pending" and line["amount"] < 0:
        tf = await transfers.get(ctx, line["ref_id"], viewer_id=uid)
        arrive = datetime.fromisoformat(tf["arrive_at"])
        if arrive > ctx.now():
            text.append(t(lang, "bill.detail.arrives", time=ui.local_time(arrive, tz)))
        if tf["sender_id"] == uid and (arrive > ctx.now() or tf["recipient_id"] is None):
            draft = _draft(context, keep_draft, tid=tf["transfer_id"], jid=journal_id, view=view.token, verbs=["rev"])
            rows.append([button(t(lang, "bill.revoke_button"), f"bill:rev:{tf['transfer_id']}:{draft['nonce']}")])
    rows.append([button(t(lang, "bills.back"), f"bill:ls:0:{view.token}")])
    return "\n".join(text), InlineKeyboardMarkup(rows)


def _draft(context, keep: bool, **fields) -> dict:
    """The detail's draft (its nonce is in the Accept / Return / Revoke buttons): a new one for a
    new detail, the same one when the detail is drawn again after its button was pressed."""
    old = ui.draft(context, FEATURE)
    if keep and old is not None and old.get("tid") == fields["tid"]:
        return old
    return ui.new_draft(context, FEATURE, **fields)


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
        draft = _draft(context, keep_draft, tid=transfer_id, jid=None, view=view.token, verbs=["acc", "ret"])
        rows.append([button(t(lang, "bill.accept_button"), f"bill:acc:{transfer_id}:{draft['nonce']}"),
                     button(t(lang, "bill.return_button"), f"bill:ret:{transfer_id}:{draft['nonce']}")])
    rows.append([button(t(lang, "bills.back"), f"bill:ls:0:{view.token}")])
    return "\n".join(text), InlineKeyboardMarkup(rows)


async def on_detail(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``bill:dt:<journal id>`` and ``bill:wt:<transfer id>``: the person's own rows only."""
    press = await pressed(update, context)
    if press is None:
        return
    verb, row_id, view = press
    query = update.callback_query
    try:
        screen = (await detail_screen(update, context, row_id, view) if verb == "dt"
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
    verb, raw_id, nonce = ACTION.fullmatch(query.data).groups()
    tid, uid = int(raw_id), update.effective_user.id
    draft = ui.draft(context, FEATURE)
    if (draft is None or draft.get("nonce") != nonce or draft.get("tid") != tid or verb not in draft.get("verbs", ())
            or not entry.private(update)):
        await query.answer(t(lang, "confirm.stale"), show_alert=True)
        return
    op, operation, status = ACTIONS[verb]
    key = ui.op_key(update, op, f"{tid}.{nonce}")
    try:
        result = await operation(ui.wallet(context), key=key, user_id=uid, transfer_id=tid)
    except WalletError as err:
        log.info("bill %s refused user=%s transfer=%s: %s", op, uid, tid, err.code)
        await query.answer((await ui.explain(update, context, err))[:200], show_alert=True)
        return
    log.info("bill %s user=%s transfer=%s key=%s", op, uid, tid, key)
    await query.answer(t(lang, f"transfer.done.{status}", amount=ui.money(result["amount"])))
    from handlers import transfer_card

    await transfer_card.refresh(context.application, result)  # the transfer's cards say how it ended
    view = View.parse(draft["view"]) or View()
    if draft.get("jid"):
        screen = await detail_screen(update, context, draft["jid"], view, keep_draft=True)
    else:
        screen = await waiting_screen(update, context, tid, view, keep_draft=True)
    await entry.say(update, context, *screen)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("bills", open_bills))
    app.add_handler(CallbackQueryHandler(open_bills, pattern=r"^home:bills$"))
    app.add_handler(CallbackQueryHandler(on_list, pattern=r"^bill:ls:"))
    app.add_handler(CallbackQueryHandler(on_picker, pattern=r"^bill:(mo|ki):"))
    app.add_handler(CallbackQueryHandler(on_detail, pattern=r"^bill:(dt|wt):"))
    app.add_handler(CallbackQueryHandler(on_action, pattern=f"^{ACTION.pattern}$"))
    from handlers import bills_export

    bills_export.register(app)  # the monthly summary and the exports
    # any other ``bill:`` press (crafted, or from an older version of the bot): a popup
    app.add_handler(CallbackQueryHandler(on_unknown, pattern=r"^bill:"))


async def on_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer(await ui.text(update, context, "bills.bad_button"), show_alert=True)
