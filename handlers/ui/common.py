"""What every chat flow shares: the wallet, the person's language and time zone, money and
time formatting, /cancel and the idle timeout, idempotency keys from draft nonces.

How to use it in a flow module (``handlers/<feature>.py``)::

    from handlers.ui import common as ui

    async def on_amount(update, context):
        wallet = ui.wallet(context)                   # wallet.context.Context (bot_data["wallet"])
        who = await ui.person(update, context)        # profile dict, or None if no wallet yet
        lang = await ui.language(update, context)     # "zh_CN" or "en"
        tz = await ui.timezone(update, context)       # a ZoneInfo (default the rules' Asia/Shanghai)
        ui.money(1234)                                # "¥12.34"
        ui.local_time(dt, tz)                         # "2026-11-28 20:00" in the person's zone
        try:
            ...
        except WalletError as err:
            await update.effective_message.reply_text(await ui.explain(update, context, err))

    # a draft leading to a money operation carries a nonce; the key comes from it, so a double
    # tap replays the first result (DESIGN §8). Drafts are typed (handlers/ui/draft.py):
    draft = TopUpDraft.start(context, amount=10000)
    key = ui.op_key(update, "topup", draft)                  # pass as key=... to the service
    TopUpDraft.drop(context)                                 # when the flow ends

    # a conversation with the house conventions: persistent (survives a restart), /cancel
    # leaves it, 10 minutes idle ends it with a message (ConversationHandler.TIMEOUT state):
    app.add_handler(ui.conversation("topup", entry_points=[...], states={...}))

Language: the wallet's ``users.language`` once the wallet is open, before that the choice kept in
``user_data["lang"]`` (onboarding's language step), else the Telegram client's language_code.
``set_language`` changes it in both places. Time zone: ``profile()["timezone"]`` when the wallet
has one, else ``Rules.timezone``.

Never put a PIN or part of one in ``user_data`` / ``chat_data``: they are persisted in the
database (handlers.persistence). Keep PII there only encrypted (``wallet.pii.encrypt``).
"""
from __future__ import annotations

import logging
import warnings
from datetime import datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import Update
from telegram.warnings import PTBUserWarning
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, ConversationHandler, TypeHandler

from chat.errors import explain as _explain
from chat.i18n import LANGUAGES, lang_of, normalize, t
from handlers.ui import callbacks
from handlers.ui.context import ChatContext
from wallet.context import Context
from wallet.errors import WalletError, WalletNotOpen
from wallet.money import format_amount
from wallet.services import people

log = logging.getLogger("handlers.ui")

IDLE_TIMEOUT_SECONDS = 600  # a flow left idle this long ends with a message


# --- the wallet ------------------------------------------------------------------------------
def wallet(context: ContextTypes.DEFAULT_TYPE) -> Context:
    """The wallet Context of the running bot (``bot_data["wallet"]``)."""
    return context.bot_data["wallet"]


def user_id(update: Update) -> int:
    return update.effective_user.id


async def person(update: Update, context: ContextTypes.DEFAULT_TYPE, *, fresh: bool = False) -> dict | None:
    """The wallet's profile of the person (``wallet.services.people.profile``: masked phone and
    ID, verified, frozen, pin_set, language...), or None while they have no wallet. Read once
    per update (``fresh=True`` reads again, e.g. after an operation changed it)."""
    uid = update.effective_user.id if update and update.effective_user else None
    if uid is None:
        return None
    cache = getattr(context, "person_cache", None)
    if not fresh and cache is not None and cache[0] == uid:
        return cache[1]
    try:
        found = await people.profile(wallet(context), uid)
    except WalletNotOpen:
        found = None
    if isinstance(context, ChatContext):
        context.person_cache = (uid, found)
    return found


def is_open(profile: dict | None) -> bool:
    """A wallet is open once the person finished opening it: real-name card bound and PIN set."""
    return bool(profile and profile.get("pin_set"))


# --- language and time zone --------------------------------------------------------------------
def chosen_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Without a database read: user_data's choice, else Telegram's language_code."""
    chosen = context.user_data.get("lang") if context.user_data is not None else None
    return chosen if chosen in LANGUAGES else lang_of(update.effective_user)


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """"zh_CN" or "en": the wallet's language once open, else the choice, else Telegram's."""
    profile = await person(update, context)
    if profile and profile.get("language"):
        return normalize(profile["language"])
    return chosen_language(update, context)


def wallet_language(lang: str) -> str:
    """i18n code ("zh_CN"/"en") -> the wallet's stored form ("zh-CN"/"en")."""
    return "zh-CN" if normalize(lang) == "zh_CN" else "en"


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> str:
    """Remember the person's language in user_data and, if they have a wallet, in the wallet."""
    lang = normalize(lang)
    if context.user_data is not None:
        context.user_data["lang"] = lang
    if await person(update, context) is not None:
        await people.set_language(wallet(context), update.effective_user.id, wallet_language(lang))
        await person(update, context, fresh=True)
    return lang


def zone(name: str | None, default: str = "Asia/Shanghai") -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ZoneInfo:
    """The person's time zone (their setting when the wallet has one), else the rules' default."""
    default = wallet(context).rules.timezone
    profile = await person(update, context)
    return zone((profile or {}).get("timezone"), default)


# --- formatting --------------------------------------------------------------------------------
def money(fen: int) -> str:
    """``1234`` -> ``¥12.34`` (``wallet.money.format_amount``)."""
    return format_amount(fen)


def local_time(moment: datetime, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime shown in the person's time zone."""
    return moment.astimezone(tz).strftime(fmt)


async def explain(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError) -> str:
    """A wallet refusal in the person's language, times in their zone (``chat.errors``)."""
    tz = await timezone(update, context)
    return _explain(err, await language(update, context), timezone=tz.key)


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE, msgid: str, **kwargs: Any) -> str:
    """``t()`` in the person's language."""
    return t(await language(update, context), msgid, **kwargs)


# --- drafts and idempotency keys ------------------------------------------------------------
def new_nonce() -> str:
    """12 characters of [A-Za-z0-9_-] (fits callback_data), never a number: a field of digits in a
    button is always a row id (handlers/ui/callbacks.py)."""
    return callbacks.token(9)


def keep_draft(context: ContextTypes.DEFAULT_TYPE, feature: str, draft: dict) -> dict:
    """Store ``draft`` as ``feature``'s live draft (replaces what was there). The flows' typed
    drafts (handlers/ui/draft.py) store themselves through this."""
    context.user_data[f"draft:{feature}"] = draft
    return draft


def draft(context: ContextTypes.DEFAULT_TYPE, feature: str) -> dict | None:
    return context.user_data.get(f"draft:{feature}") if context.user_data is not None else None


def drop_draft(context: ContextTypes.DEFAULT_TYPE, feature: str) -> None:
    if context.user_data is not None:
        context.user_data.pop(f"draft:{feature}", None)


def op_key(update: Update, op: str, draft_or_nonce: Any) -> str:
    """The idempotency key of ``op`` for the draft's nonce (a typed draft, handlers/ui/draft.py, its
    stored dict, or the nonce): the same draft always gives the same key (a double tap replays), a
    new draft a new one. Treat it as opaque."""
    if isinstance(draft_or_nonce, dict):
        nonce = draft_or_nonce["nonce"]
    else:
        nonce = str(getattr(draft_or_nonce, "nonce", draft_or_nonce))
    return f"tg:{update.effective_user.id}:{op}:{nonce}"


# --- /cancel and the idle timeout ------------------------------------------------------------
async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, msgid: str) -> None:
    lang = await language(update, context)
    chat = update.effective_chat
    if chat is not None:
        from telegram import ReplyKeyboardRemove

        await context.bot.send_message(chat.id, t(lang, msgid), reply_markup=ReplyKeyboardRemove())


def _drop_feature_state(context: ContextTypes.DEFAULT_TYPE, feature: str) -> None:
    if context.user_data is None:
        return
    for key in [k for k in context.user_data if k == f"draft:{feature}" or k.startswith(f"{feature}:")]:
        context.user_data.pop(key, None)


def cancel_handler(feature: str) -> CommandHandler:
    """A /cancel fallback: drops the feature's draft (``draft:<feature>`` and ``<feature>:*``
    keys of user_data), says so, and ends the conversation."""
    async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        _drop_feature_state(context, feature)
        await _reply(update, context, "flow.cancelled")
        return ConversationHandler.END
    return CommandHandler("cancel", cancel)


def timeout_handler(feature: str) -> TypeHandler:
    """Runs when a conversation of ``feature`` has been idle for IDLE_TIMEOUT_SECONDS."""
    async def timed_out(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        _drop_feature_state(context, feature)
        await _reply(update, context, "flow.timed_out")
    return TypeHandler(Update, timed_out)


def conversation(feature: str, *, entry_points: list[BaseHandler], states: dict[object, list[BaseHandler]],
                 fallbacks: Iterable[BaseHandler] = (), timeout: float | None | bool = True,
                 **kwargs: Any) -> ConversationHandler:
    """A ConversationHandler with the house conventions: named ``feature`` and persistent (its
    state survives a restart), re-entry allowed, ``/cancel`` among the fallbacks, and an idle
    timeout (IDLE_TIMEOUT_SECONDS, or ``timeout`` seconds; False for none) that ends it with a
    message."""
    if timeout is True:
        timeout = IDLE_TIMEOUT_SECONDS
    states = dict(states)
    if timeout:
        states.setdefault(ConversationHandler.TIMEOUT, []).append(timeout_handler(feature))
    with warnings.catch_warnings():
        # per_message=False is meant: a flow's buttons belong to the person's conversation, not
        # to one message (PTB warns that callback queries are then tracked per chat and user)
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points, states=states, fallbacks=[*fallbacks, cancel_handler(feature)],
            name=feature, persistent=True, allow_reentry=kwargs.pop("allow_reentry", True),
            conversation_timeout=timeout or None, **kwargs)


async def cancel_outside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel when no flow is running."""
    await _reply(update, context, "flow.nothing_to_cancel")


def register(app) -> None:
    """The /cancel that answers outside any flow. Add it after every flow (same group): a
    conversation that is running takes /cancel first."""
    app.add_handler(CommandHandler("cancel", cancel_outside))
