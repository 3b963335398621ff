"""Updates of different people run concurrently; those of one person in arrival order (DESIGN §8).

``PerPersonUpdateProcessor(n)`` runs at most ``n`` updates at a time. Updates are keyed by the
person who acts (``effective_user``), else by the chat; one key's updates run one after another in
the order they arrived, others run alongside. An update waiting for an earlier one of the same
person does not hold one of the ``n`` slots, so one person sending a burst cannot starve the rest.

One step at a time: a press of a button while an earlier press of the same button by the same
person (same message, same data) is still waiting or running (a double tap, an impatient third
tap) is answered at once ("one moment…") and dropped, so a step never runs twice over. Presses of
other buttons wait their turn. Keypad digits (``pin:``) are exempt: each is a keystroke the person
means (a PIN may repeat a digit), and the keypad keeps its own order.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from chat.i18n import lang_of, t

KEYSTROKES = ("pin:",)  # presses that are never dropped as repeats


def press_key(update: object) -> tuple | None:
    """The person, the message and the button of a press, or None (not a press, or a keystroke)."""
    if not isinstance(update, Update) or update.callback_query is None:
        return None
    query = update.callback_query
    if (query.data or "").startswith(KEYSTROKES):
        return None
    if query.inline_message_id:
        return (query.from_user.id, query.inline_message_id, query.data)
    if query.message is not None:
        return (query.from_user.id, query.message.chat.id, query.message.message_id, query.data)
    return None


def order_key(update: object) -> tuple[str, int] | None:
    """Whose turn an update waits for: the acting person, else the chat, else nobody."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return None


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    __slots__ = ("_tails", "_pressing")

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        # per key: the future of the newest update of that key (done when it has been processed)
        self._tails: dict[tuple[str, int], asyncio.Future] = {}
        # (person, message, data) of the presses waiting or running
        self._pressing: set[tuple] = set()

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        press = press_key(update)
        if press is not None:
            if press in self._pressing:
                await _one_moment(update, coroutine)
                return
            self._pressing.add(press)
        try:
            await self._in_order(update, coroutine)
        finally:
            if press is not None:
                self._pressing.discard(press)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = order_key(update)
        if key is None:
            async with self._semaphore:
                await self.do_process_update(update, coroutine)
            return
        previous = self._tails.get(key)
        mine = asyncio.get_running_loop().create_future()
        self._tails[key] = mine  # set before the first await: arrival order is kept
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._semaphore:
                await self.do_process_update(update, coroutine)
        finally:
            mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def waiting_keys(self) -> int:
        """How many people have updates queued or running (for tests and metrics)."""
        return len(self._tails)


async def _one_moment(update: Update, coroutine: Awaitable[Any]) -> None:
    """Answer a repeated press without running it."""
    getattr(coroutine, "close", lambda: None)()  # never started: nothing of it ran
    try:
        await update.callback_query.answer(t(lang_of(update.effective_user), "busy.one_moment"))
    except TelegramError:
        pass
