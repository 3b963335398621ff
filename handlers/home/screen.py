"""Wallet home: ``/wallet`` (and ``/start`` once the wallet is open) shows the balance and a button
per feature; one message, edited in place while the person navigates.

Buttons carry ``home:<feature>`` (topup, withdraw, transfer, redpacket, pay, bills, cards,
security, settings; ``home:refresh`` and ``home:back`` redraw the home in place), each a class in
handlers/home/callbacks.py. Flow modules take their feature's button as the entry point of their
conversation (``CallbackQueryHandler(entry, pattern=home_buttons.TopUp.pattern())``) and may call
``await home.show(update, context, edit=True)`` to bring the person back to the home message.
Features not built yet answer "coming soon" here (``home:pay`` is handlers/shop/receive.py).
"""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from chat.i18n import t
from handlers.home import callbacks as buttons
from handlers.ui import common as ui
from wallet.services import bills

FEATURES = tuple(buttons.FEATURES)  # topup, withdraw, transfer, redpacket, pay, bills, cards, security, settings
COMING_SOON: set[str] = set()
HOME_MESSAGE = "home:message"  # user_data: the id of the home message (edited in place)


def keyboard(lang: str) -> InlineKeyboardMarkup:
    def b(button: type[buttons.Button]) -> InlineKeyboardButton:
        return InlineKeyboardButton(t(lang, f"home.button.{button.verb}"), callback_data=button().data())
    return InlineKeyboardMarkup([
        [b(buttons.TopUp), b(buttons.Withdraw)],
        [b(buttons.Transfer), b(buttons.RedPacket), b(buttons.Pay)],
        [b(buttons.Bills), b(buttons.Cards)],
        [b(buttons.Security), b(buttons.Settings), b(buttons.Refresh)],
    ])


async def render(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str, InlineKeyboardMarkup]:
    """The home text (balance, masked phone, frozen or not, sandbox) and its keyboard."""
    lang = await ui.language(update, context)
    profile = await ui.person(update, context)
    bal = await bills.balance(ui.wallet(context), update.effective_user.id)
    lines = [t(lang, "home.title"), t(lang, "home.balance", balance=ui.money(bal["wallet"]))]
    if bal.get("withdrawing"):
        lines.append(t(lang, "home.withdrawing", amount=ui.money(bal["withdrawing"])))
    if bal.get("on_hold"):
        lines.append(t(lang, "home.on_hold", amount=ui.money(bal["on_hold"])))
    if profile and profile.get("frozen"):
        lines.append(t(lang, "home.frozen"))
    lines.append(t(lang, "home.sandbox"))
    return "\n".join(lines), keyboard(lang)


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, *, edit: bool = False) -> None:
    """Show the wallet home: edit the message of the pressed button (``edit=True`` from a
    callback), else send a new home message (the old one loses its buttons)."""
    text, markup = await render(update, context)
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            context.user_data[HOME_MESSAGE] = query.message.message_id
            return
        except BadRequest as err:
            if "not modified" in err.message.lower():
                return
    old = context.user_data.get(HOME_MESSAGE)
    chat_id = update.effective_chat.id
    sent = await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    context.user_data[HOME_MESSAGE] = sent.message_id
    if old and old != sent.message_id:
        try:  # one live home: the older one keeps its text but loses its buttons
            await context.bot.edit_message_reply_markup(chat_id, old, reply_markup=None)
        except BadRequest:
            pass


async def wallet_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    profile = await ui.person(update, context)
    if not ui.is_open(profile):
        await update.effective_message.reply_text(await ui.text(update, context, "home.not_open"))
        return
    await show(update, context)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``home:<feature>`` presses no flow took: back to home, or "coming soon"."""
    query = update.callback_query
    lang = await ui.language(update, context)
    feature = buttons.Pressed.parse(query.data).name
    if not ui.is_open(await ui.person(update, context)):
        await query.answer(t(lang, "home.not_open"), show_alert=True)
        return
    if feature in (buttons.Back.verb, buttons.Refresh.verb):
        await query.answer()
        await show(update, context, edit=True)
        return
    if feature in COMING_SOON or feature in FEATURES:
        await query.answer(t(lang, "home.coming_soon"), show_alert=True)
        return
    await query.answer(t(lang, "fallback.stale_button"), show_alert=True)
    await show(update, context, edit=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("wallet", wallet_command, filters=filters.ChatType.PRIVATE))


def register_last(app: Application) -> None:
    """The ``home:<feature>`` presses no flow took. bot/app.py adds it after every flow, in the
    same group, so a flow's entry point wins."""
    app.add_handler(CallbackQueryHandler(on_button, pattern=buttons.Pressed.pattern()))


def is_private(update: Update) -> bool:
    return bool(update.effective_chat and update.effective_chat.type == ChatType.PRIVATE)
