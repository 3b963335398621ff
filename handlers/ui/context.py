"""The bot's CallbackContext: what the chat keeps for the length of one update."""
from __future__ import annotations

from telegram.ext import CallbackContext


class ChatContext(CallbackContext):
    """The bot's CallbackContext (bot/persistence.py's ``context_types``): one declared slot for
    the person's profile, read once per update (a new context is made for every update)."""

    __slots__ = ("person_cache",)

    def __init__(self, application, chat_id=None, user_id=None) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.person_cache: tuple[int, dict | None] | None = None
