"""The personal receive code (收款码), for friends: ``/receive`` or "Pay / Collect" -> "My receive code";
and ``home:pay``, the "Pay / Collect" menu (how to pay; the receive code; the shops of /shop).

The person's open-amount receive code (made on first use) as a QR picture and a payment link;
a friend who opens it pays like a shop (handlers/shop/pay.py) but the money arrives as a transfer
accepted at once. "Set an amount" makes a code with a fixed amount (the amount step of
handlers/shop/steps.py); "Revoke" withdraws a code (the next ``/receive`` makes a new one).
"""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from chat.i18n import t
from handlers.shop.callbacks import MyReceiveCode, ReceiveAmount, Revoke, Shops, button
from handlers.home import callbacks as home_buttons
from handlers.shop.codes import send_code
from handlers.ui import common as ui
from handlers.ui import entry
from wallet.errors import WalletError
from wallet.services import merchants


def buttons(lang: str, code: dict) -> list[list[InlineKeyboardButton]]:
    return [[button(t(lang, "receive.set_amount_button"), ReceiveAmount()),
             button(t(lang, "receive.revoke_button"), Revoke(code["code_id"]))]]


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    profile = await entry.begin(update, context)
    if profile is None:
        return
    lang = await ui.language(update, context)
    wallet, uid = ui.wallet(context), profile["user_id"]
    codes = await merchants.codes_of(wallet, uid, personal=True, include_revoked=True)
    code = next((c for c in codes if c["status"] == "active" and c["amount"] is None and not c["label"]), None)
    if code is None:
        try:  # the n-th open receive code: a double tap makes one, a revoked one is replaced
            code = await merchants.create_code(wallet, key=ui.op_key(update, "receive_code", f"open{len(codes)}"),
                                               owner_id=uid)
        except WalletError as err:
            await context.bot.send_message(update.effective_chat.id, await ui.explain(update, context, err))
            return
    await context.bot.send_message(update.effective_chat.id, t(lang, "receive.intro"))
    await send_code(update, context, code, title=t(lang, "receive.title"), buttons=buttons(lang, code))


async def pay_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``home:pay``: how to pay (scan / open a link) and the ways to collect."""
    if await entry.begin(update, context) is None:
        return
    lang = await ui.language(update, context)
    rows = [[button(t(lang, "receive.button"), MyReceiveCode()), button(t(lang, "shop.my_shops_button"), Shops())],
            *entry.home_button(lang).inline_keyboard]
    await entry.say(update, context, t(lang, "shop.pay_menu"), InlineKeyboardMarkup(rows))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("receive", show, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(show, pattern=MyReceiveCode.pattern()))
    app.add_handler(CallbackQueryHandler(pay_menu, pattern=home_buttons.Pay.pattern()))
