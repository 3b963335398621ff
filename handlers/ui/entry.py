"""Starting and answering a private-chat flow of an open wallet (top-up, withdraw, cards,
security, settings): the checks at the door, the card labels, the way back home.

    profile = await entry.begin(update, context)            # None: not open (told), stop
    profile = await entry.begin_unfrozen(update, context, "topup")  # a frozen wallet refused too
    await entry.say(update, context, text, markup)          # edits the pressed message (home), else sends

The buttons it sends are their features': the way home (``home:back``, handlers/home/callbacks.py)
and Unfreeze (``sec:unfreeze``, handlers/security/callbacks.py).
"""
from __future__ import annotations

from collections import OrderedDict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ContextTypes, ConversationHandler, MessageHandler, filters

from chat.i18n import catalog, t
from handlers.home import callbacks as home_buttons
from handlers.security import callbacks as security_buttons
from handlers.ui import common as ui
from handlers.ui import held
from wallet.errors import AccountFrozen, WalletError


# the flow each person used last (user id -> feature): text steps of other flows still waiting
# (a top-up's amount step when the person went on to /bind) leave the person's messages to it.
# The most recent ACTIVE_MAX people are kept (least recently active dropped first): someone who
# fell out of it simply has no "last flow", and any waiting step takes their text again.
ACTIVE_MAX = 50_000
_active: OrderedDict[int, str] = OrderedDict()


def activate(update: Update, feature: str) -> None:
    if update.effective_user is not None:
        uid = update.effective_user.id
        _active[uid] = feature
        _active.move_to_end(uid)
        while len(_active) > ACTIVE_MAX:
            _active.popitem(last=False)


def is_active(update: Update, feature: str) -> bool:
    user = update.effective_user
    return user is None or _active.get(user.id, feature) == feature


class FlowText(MessageHandler):
    """A text step of ``feature``: takes the person's text (not commands) only while ``feature``
    is the flow they used last."""

    def __init__(self, feature: str, callback) -> None:
        super().__init__(filters.TEXT & ~filters.COMMAND, callback)
        self.feature = feature

    def check_update(self, update: object):
        if isinstance(update, Update) and not is_active(update, self.feature):
            return False
        return super().check_update(update)


def private(update: Update) -> bool:
    return bool(update.effective_chat and update.effective_chat.type == ChatType.PRIVATE)


async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE, feature: str | None = None) -> dict | None:
    """Answer the button (if any) and return the person's profile when the wallet is open (and
    make ``feature`` the person's active flow); otherwise say how to open one and return None."""
    lang = await ui.language(update, context)
    query = update.callback_query
    profile = await ui.person(update, context, fresh=True)
    if not private(update):
        if query is not None:
            await query.answer(t(lang, "flow.private_only"), show_alert=True)
        else:
            await update.effective_message.reply_text(t(lang, "flow.private_only"),
                                                      reply_markup=private_chat_button(context, lang))
        return None
    if not ui.is_open(profile):
        if query is not None:
            await query.answer(t(lang, "home.not_open"), show_alert=True)
        else:
            await update.effective_message.reply_text(t(lang, "home.not_open"))
        return None
    if query is not None:
        await query.answer()
    if feature:
        activate(update, feature)
    return profile


async def begin_unfrozen(update: Update, context: ContextTypes.DEFAULT_TYPE, feature: str) -> dict | None:
    """``begin`` for a flow a frozen wallet may not use (top-up, withdraw, transfer): a frozen
    wallet is told that this operation is refused and how to unfreeze (with the button), and gets None."""
    profile = await begin(update, context, feature)
    if profile is not None and profile.get("frozen"):
        lang = await ui.language(update, context)
        operation = f"flow.frozen.{feature}"
        text = (t(lang, "flow.frozen", operation=t(lang, operation)) if operation in catalog(lang)
                else await ui.explain(update, context, AccountFrozen(user_id=profile["user_id"])))
        await say(update, context, text, unfreeze_buttons(lang))
        return None
    return profile


def unfreeze_buttons(lang: str) -> InlineKeyboardMarkup:
    """Unfreeze (the security flow's, PIN + SMS code + ID number) and the way home."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(t(lang, "flow.unfreeze_button"), callback_data=security_buttons.Unfreeze().data()),
        InlineKeyboardButton(t(lang, "flow.home"), callback_data=home_buttons.Back().data())]])


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
              markup: InlineKeyboardMarkup | None = None, *, edit: bool = True) -> Message:
    """Edit the message whose button was pressed (one message while navigating), else send."""
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        try:
            edited = await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            if isinstance(edited, Message):
                return edited
        except BadRequest as err:
            if "not modified" in err.message.lower():
                return query.message
    return await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML,
                                          reply_markup=markup)


async def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError) -> None:
    """A wallet refusal, explained: a popup on a button press, else a reply to the message."""
    text = await ui.explain(update, context, err)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await update.effective_message.reply_text(text)


def card_label(card: dict, lang: str) -> str:
    """"中国工商银行 储蓄卡 ****0018" / "ICBC debit ****0018" (never more than the last four)."""
    bank = card["bank_name_zh"] if lang == "zh_CN" else card["bank_code"]
    return t(lang, f"card.label.{card['card_type']}", bank=bank, last4=card["last4"])


def private_chat_button(context: ContextTypes.DEFAULT_TYPE, lang: str) -> InlineKeyboardMarkup:
    """A button that opens the private chat with the bot (from a group)."""
    link = f"https://t.me/{context.bot.username}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "fallback.open_private"), url=link)]])


def home_button(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "flow.home"), callback_data=home_buttons.Back().data())]])


def home_fallback(feature: str) -> CallbackQueryHandler:
    """The home button pressed while ``feature``'s flow waits: the flow ends (its draft and held
    values dropped, no time-out message later) and the home is shown in that message."""
    async def back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        from handlers.home import screen as home

        held.forget(context, update.effective_user.id)
        ui.drop_draft(context, feature)
        await update.callback_query.answer()
        await home.show(update, context, edit=True)
        return ConversationHandler.END
    return CallbackQueryHandler(back, pattern=home_buttons.Back.pattern())
