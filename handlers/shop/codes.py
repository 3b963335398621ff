"""A collection code: its QR picture and payment link, and the QR / revoke buttons on one's own codes.

``send_code`` is shared with handlers/shop/receive.py (the personal receive code). The buttons
``ShowQr``, ``Revoke``, ``RevokeYes`` (a code id) and ``RevokeNo`` (handlers/shop/callbacks.py) are
checked on every press against the presser's own codes.
"""
from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes
from telegram.helpers import escape

from chat.i18n import t
from chat.render.qr import pay_link, qr_png
from handlers.shop.callbacks import NewCode, OpenShop, Revoke, RevokeNo, RevokeYes, ShowQr, button
from handlers.ui import common as ui
from handlers.ui import entry
from wallet.errors import WalletError
from wallet.services import merchants

log = logging.getLogger("handlers.shop.menu")


def code_amount(lang: str, code: dict) -> str:
    return ui.money(code["amount"]) if code["amount"] is not None else t(lang, "shop.any_amount")


def code_buttons(lang: str, shop_id: int) -> list[list[InlineKeyboardButton]]:
    return [[button(t(lang, "shop.new_code_button"), NewCode(shop_id)),
             button(t(lang, "shop.open_button"), OpenShop(shop_id))]]


# --- the QR picture and the link (shared with handlers/shop/receive.py) ---------------------------
async def send_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code: dict, *, title: str,
                    buttons: list[list[InlineKeyboardButton]] | None = None) -> None:
    """The code's QR picture (a photo) with ``title`` and its amount, then the payment link as text."""
    lang = await ui.language(update, context)
    link = pay_link(context.bot.username, code["code"])
    chat = update.effective_chat.id
    caption = t(lang, "shop.qr_caption", title=escape(title), amount=code_amount(lang, code))
    await context.bot.send_photo(chat, qr_png(link), caption=caption, parse_mode=ParseMode.HTML)
    await context.bot.send_message(chat, t(lang, "shop.link", link=link),
                                   reply_markup=InlineKeyboardMarkup(buttons) if buttons else None)


async def own_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code_id: int) -> dict | None:
    """The presser's own code with this id (revoked ones too), or None after a popup."""
    codes = await merchants.codes_of(ui.wallet(context), update.effective_user.id, include_revoked=True)
    found = next((c for c in codes if c["code_id"] == code_id), None)
    if found is None:
        await update.callback_query.answer(await ui.text(update, context, "shop.not_yours"), show_alert=True)
    return found


# --- a code's buttons ----------------------------------------------------------------------
async def on_qr(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    code = await own_code(update, context, ShowQr.parse(update.callback_query.data).code_id)
    if code is None:
        return
    lang = await ui.language(update, context)
    if code["status"] != "active":
        await update.callback_query.answer(t(lang, "shop.code_revoked"), show_alert=True)
        return
    await update.callback_query.answer()
    title = code["shop_name"] or t(lang, "receive.title")
    await send_code(update, context, code, title=title)


async def on_revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``Revoke`` asks; ``RevokeYes`` revokes (twice is harmless: the same key replays)."""
    query = update.callback_query
    press = Revoke.parse(query.data) or RevokeYes.parse(query.data)
    code = await own_code(update, context, press.code_id)
    if code is None:
        return
    lang = await ui.language(update, context)
    if isinstance(press, Revoke):
        await query.answer()
        rows = [[button(t(lang, "shop.revoke_yes"), RevokeYes(code["code_id"])),
                 button(t(lang, "flow.cancel_button"), RevokeNo())]]
        await entry.say(update, context, t(lang, "shop.revoke_ask", amount=code_amount(lang, code)),
                        InlineKeyboardMarkup(rows), edit=False)
        return
    try:
        await merchants.revoke_code(ui.wallet(context), key=ui.op_key(update, "pay_code_revoke", str(code["code_id"])),
                                    owner_id=update.effective_user.id, code=code["code"])
    except WalletError as err:
        await query.answer(await ui.explain(update, context, err), show_alert=True)
        return
    await query.answer(t(lang, "shop.revoked"))
    log.info("pay code revoked user=%s code_id=%s", update.effective_user.id, code["code_id"])
    await query.edit_message_text(t(lang, "shop.revoked"), reply_markup=entry.home_button(lang))


async def on_revoke_no(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(await ui.text(update, context, "keypad.cancelled"))
