"""An admin ends a held payment: Release or Return (on the admins' notice of a held payment, or on
/risk) asks first ("Release ¥70.00 from Alice to Bob?"), then ``ReleaseYes`` releases it
(``risk_holds.release``: the payment goes out now) or ``ReturnYes`` returns it to the payer
(``risk_holds.give_back``); ``Keep`` leaves it in review. The question becomes its outcome and the
payer and the recipient are told (the outbox, sent at once).

One idempotency key per admin, hold and ending: a double tap replays the same outcome. A hold
another admin ended (or a stale card) gets "already released" / "already returned". A release
that cannot run now (the payer frozen since, a cap) changes nothing: the admin is told why, and the
hold stays for a return. Only admins may press; anyone else gets a popup and nothing changes (the
wallet checks the admin list too). The buttons: handlers/risk/callbacks.py.
"""
from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.helpers import escape

from chat.i18n import t
from handlers.risk import review, words
from handlers.risk.callbacks import HoldButton, Keep, Release, ReleaseYes, Return, ReturnYes, Review, button, is_risk
from handlers.tickets.cards import notify_soon
from handlers.ui import common as ui
from wallet.errors import AccountFrozen, HoldNotHeld, WalletError
from wallet.services import people, risk_holds

log = logging.getLogger("handlers.risk")


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: type[HoldButton]) -> int | None:
    """The hold id of an admin's press of a ``kind`` button; anyone else is refused (None)."""
    if not await review.admin_only(update, context, answer=False):
        return None
    return kind.parse(update.callback_query.data).hold_id


async def _says(update: Update, context: ContextTypes.DEFAULT_TYPE, msgid: str, h: dict, **more: str) -> str:
    """A text about hold ``h``: its amount, kind, payer and recipient by name (and ``more``)."""
    lang = await ui.language(update, context)
    names = await people.readers(ui.wallet(context), {h["user_id"]} | ({h["recipient_id"]} - {None}))
    return t(lang, msgid, hold=h["hold_id"], amount=ui.money(h["amount"]), kind=words.kind(lang, h["kind"]),
             payer=words.who(lang, names, h["user_id"]), recipient=words.who(lang, names, h["recipient_id"]), **more)


async def _popup(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError) -> None:
    await update.callback_query.answer(await ui.explain(update, context, err), show_alert=True)


async def _ask(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: type[HoldButton]) -> None:
    hold_id = await _pressed(update, context, kind)
    if hold_id is None:
        return
    h = await risk_holds.get(ui.wallet(context), hold_id)
    if h is None or h["status"] != "held":  # ended already (another admin, a stale card), or no such hold
        await _popup(update, context, HoldNotHeld(hold_id=hold_id, status=h["status"] if h else "unknown"))
        return
    await update.callback_query.answer()
    lang = await ui.language(update, context)
    release = kind is Release
    yes = ReleaseYes(hold_id) if release else ReturnYes(hold_id)
    markup = InlineKeyboardMarkup([[
        button(t(lang, "risk.admin.button.yes_release" if release else "risk.admin.button.yes_return"), yes),
        button(t(lang, "risk.admin.button.keep"), Keep(hold_id))]])
    text = await _says(update, context, "risk.admin.ask_release" if release else "risk.admin.ask_return", h)
    await context.bot.send_message(update.effective_chat.id, text, parse_mode="HTML", reply_markup=markup)


async def ask_release(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _ask(update, context, Release)


async def ask_return(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _ask(update, context, Return)


async def _outcome(update: Update, context: ContextTypes.DEFAULT_TYPE, said: str, toast: str | None = None, *,
                   alert: bool = False, markup: InlineKeyboardMarkup | None = None) -> None:
    """The question becomes its answer ``said`` (HTML; no buttons but ``markup``); ``toast``
    (plain text) pops up when ``alert``, else shows briefly."""
    await update.callback_query.answer(toast, show_alert=alert)
    try:
        await update.callback_query.edit_message_text(said, parse_mode="HTML", reply_markup=markup)
    except BadRequest:  # not modified (a replay), or the message is gone
        pass


async def do_release(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    hold_id = await _pressed(update, context, ReleaseYes)
    if hold_id is None:
        return
    uid = ui.user_id(update)
    try:
        done = await risk_holds.release(ui.wallet(context), key=ui.op_key(update, "risk_release", f"h{hold_id}"),
                                        hold_id=hold_id, admin_id=uid)
    except HoldNotHeld as err:
        await _popup(update, context, err)
        return
    except WalletError as err:  # the payment cannot go out now: nothing changed, the hold stays
        h = await risk_holds.get(ui.wallet(context), hold_id)
        reason = (await ui.text(update, context, "risk.admin.payer_frozen") if isinstance(err, AccountFrozen)
                  else await ui.explain(update, context, err))
        log.warning("admin=%s op=risk_release hold=%s refused: %s", uid, hold_id, err.code)
        if h is None or h["status"] != "held":  # pragma: no cover - ended between the press and now
            await _popup(update, context, HoldNotHeld(hold_id=hold_id, status=h["status"] if h else "unknown"))
            return
        said = await _says(update, context, "risk.admin.release_failed", h, reason=escape(reason))
        lang = await ui.language(update, context)
        instead = InlineKeyboardMarkup([[button(t(lang, "risk.admin.button.return", hold=hold_id), Return(hold_id))]])
        await _outcome(update, context, said, reason, alert=True, markup=instead)
        return
    log.info("admin=%s op=risk_release hold=%s", uid, hold_id)
    await _outcome(update, context, await _says(update, context, "risk.admin.released", done),
                   await ui.text(update, context, "risk.admin.toast.released"))
    notify_soon(context)


async def do_return(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    hold_id = await _pressed(update, context, ReturnYes)
    if hold_id is None:
        return
    uid = ui.user_id(update)
    try:
        done = await risk_holds.give_back(ui.wallet(context), key=ui.op_key(update, "risk_return", f"h{hold_id}"),
                                          hold_id=hold_id, by_id=uid)
    except WalletError as err:
        await _popup(update, context, err)
        return
    log.info("admin=%s op=risk_return hold=%s", uid, hold_id)
    await _outcome(update, context, await _says(update, context, "risk.admin.returned", done),
                   await ui.text(update, context, "risk.admin.toast.returned"))
    notify_soon(context)


async def keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if await _pressed(update, context, Keep) is None:
        return
    await _outcome(update, context, await ui.text(update, context, "risk.admin.kept"))


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A ``risk:`` press nothing above took (crafted data): refused, nothing changes."""
    if await review.admin_only(update, context, answer=False):
        await update.callback_query.answer(await ui.text(update, context, "confirm.stale"), show_alert=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("risk", review.show))
    app.add_handler(CallbackQueryHandler(review.show, pattern=Review.pattern()))
    app.add_handler(CallbackQueryHandler(ask_release, pattern=Release.pattern()))
    app.add_handler(CallbackQueryHandler(ask_return, pattern=Return.pattern()))
    app.add_handler(CallbackQueryHandler(do_release, pattern=ReleaseYes.pattern()))
    app.add_handler(CallbackQueryHandler(do_return, pattern=ReturnYes.pattern()))
    app.add_handler(CallbackQueryHandler(keep, pattern=Keep.pattern()))
    app.add_handler(CallbackQueryHandler(stale, pattern=is_risk))
