"""Updates of different people run concurrently; those of one person in arrival order (DESIGN §8).

``PerPersonUpdateProcessor(n)`` runs at most ``n`` updates at a time. Updates are keyed by the
person who acts (``effective_user``), else by the chat; one key's updates run one after another in
the order they arrived, others run alongside. An update waiting for an earlier one of the same
person does not hold one of the ``n`` slots, so one person sending a burst cannot starve the rest.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def order_key(update: object) -> tuple[str, int] | None:
    """Whose turn an update waits for: the acting person, else the chat, else nobody."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return None


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    __slots__ = ("_tails",)

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        # per key: the future of the newest update of that key (done when it has been processed)
        self._tails: dict[tuple[str, int], asyncio.Future] = {}

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
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
