"""/help, the group welcome and the command menu (a newcomer's /start is handlers/onboarding/flow.py, the
wallet home handlers/home/screen.py), in zh-CN or English. The welcome's buttons: handlers/start/callbacks.py."""
from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from chat.i18n import LANGUAGES, lang_of, t
from handlers.start import callbacks as buttons

log = logging.getLogger("handlers.start")


def user_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language chosen with the language button, else the one of the user's Telegram client."""
    chosen = context.user_data.get("lang") if context.user_data is not None else None
    return chosen if chosen in LANGUAGES else lang_of(update.effective_user)


def welcome_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(t(lang, "button.help"), callback_data=buttons.Help().data()),
         InlineKeyboardButton(t(lang, "button.about"), callback_data=buttons.About().data())],
        [InlineKeyboardButton(t(lang, "button.language"), callback_data=buttons.Language().data())],
    ])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    lang = user_lang(update, context)
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        await message.reply_text(t(lang, "start.welcome_group"))
        return
    name = update.effective_user.first_name if update.effective_user else ""
    await message.reply_text(t(lang, "start.welcome", name=name), parse_mode=ParseMode.HTML,
                             reply_markup=welcome_keyboard(lang))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(t(user_lang(update, context), "help.text"), parse_mode=ParseMode.HTML)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = user_lang(update, context)
    await query.answer()
    if query.message is not None:
        await query.message.reply_text(t(lang, "help.text"), parse_mode=ParseMode.HTML)


async def on_about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = user_lang(update, context)
    await update.callback_query.answer(t(lang, "about.popup") + "\n" + t(lang, "about.text"), show_alert=True)


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = "en" if user_lang(update, context) == "zh_CN" else "zh_CN"
    context.user_data["lang"] = lang
    await query.answer(t(lang, "language.switched"))
    await query.edit_message_text(t(lang, "start.welcome", name=query.from_user.first_name),
                                  parse_mode=ParseMode.HTML, reply_markup=welcome_keyboard(lang))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CallbackQueryHandler(on_help, pattern=buttons.Help.pattern()))
    app.add_handler(CallbackQueryHandler(on_about, pattern=buttons.About.pattern()))
    app.add_handler(CallbackQueryHandler(on_language, pattern=buttons.Language.pattern()))


async def set_commands(app: Application) -> None:
    """The command menu, in both languages (Telegram picks by the user's language); each admin's
    private chat also lists the admins' commands (a chat Telegram does not know yet is skipped)."""
    for lang, code in (("zh_CN", "zh"), ("en", "en")):
        await app.bot.set_my_commands(commands(lang), language_code=code)
    await app.bot.set_my_commands(commands("zh_CN"))
    settings = app.bot_data.get("settings")
    for admin in getattr(settings, "admin_ids", None) or ():
        try:
            for lang, code in (("zh_CN", "zh"), ("en", "en")):
                await app.bot.set_my_commands(commands(lang, admin=True), scope=BotCommandScopeChat(admin),
                                              language_code=code)
            await app.bot.set_my_commands(commands("zh_CN", admin=True), scope=BotCommandScopeChat(admin))
        except TelegramError as err:  # the admin never wrote to the bot: the plain menu until then
            log.warning("admin=%s: no command menu of the admins' (%s)", admin, err)


# the command menu, every command the bot answers (/help lists them too); flows add theirs here
# (name, msgid of its description)
COMMANDS = [("start", "cmd.start"), ("wallet", "cmd.wallet"), ("topup", "cmd.topup"), ("withdraw", "cmd.withdraw"),
            ("transfer", "cmd.transfer"), ("hongbao", "cmd.hongbao"), ("receive", "cmd.receive"), ("shop", "cmd.shop"),
            ("cards", "cmd.cards"), ("bind", "cmd.bind"), ("bills", "cmd.bills"),
            ("freeze", "cmd.freeze"), ("unfreeze", "cmd.unfreeze"), ("security", "cmd.security"), ("pin", "cmd.pin"),
            ("forgotpin", "cmd.forgotpin"), ("report", "cmd.report"), ("tickets", "cmd.tickets"), ("tip", "cmd.tip"),
            ("tips", "cmd.tips"), ("settings", "cmd.settings"), ("cancel", "cmd.cancel"), ("help", "cmd.help")]


# the admins' commands (``Settings.admin_ids``): in their own chats' menu only; /help names them as such
ADMIN_COMMANDS = [("risk", "cmd.risk")]


def commands(lang: str, *, admin: bool = False) -> list[BotCommand]:
    return [BotCommand(name, t(lang, msgid)) for name, msgid in COMMANDS + (ADMIN_COMMANDS if admin else [])]
