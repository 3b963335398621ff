"""Who is who for transfers: the @usernames the bot has seen, a recipient's wallet, the names shown."""
from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from handlers.ui import common as ui
from wallet.errors import WalletNotOpen
from wallet.services import people

USERNAMES = "transfer:usernames"  # bot_data: lower-case username -> user id, of people the bot has seen


async def remember_username(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every update: note the sender's @username, so ``@bob`` can name a wallet user."""
    user = update.effective_user
    if user is not None and user.username and not user.is_bot:
        names = context.bot_data.setdefault(USERNAMES, {})
        if names.get(user.username.lower()) != user.id:
            names[user.username.lower()] = user.id


def user_id_of(context, username: str) -> int | None:
    """The user id behind a lower-case @username the bot has seen, if any."""
    return context.bot_data.get(USERNAMES, {}).get(username)


def known_name(context, uid: int) -> str:
    """``@username`` of someone the bot has seen, else "?"."""
    names = {v: k for k, v in context.bot_data.get(USERNAMES, {}).items()}
    return f"@{names[uid]}" if uid in names else "?"


async def recipient(context, user_id: int) -> dict | None:
    """The recipient's profile when they have a wallet with a PIN; None: a newcomer."""
    try:
        found = await people.profile(ui.wallet(context), user_id)
    except WalletNotOpen:
        return None
    return found if found.get("pin_set") else None


def name(profile: dict | None, fallback: str = "") -> str:
    return (profile or {}).get("first_name") or fallback or "?"
