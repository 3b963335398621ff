"""Secrets a flow holds between two steps (an old PIN, an SMS code, an ID or card number), in memory only.

    held.hold(context, user_id, "id_number", number)     # for the next step, at most HOLD_SECONDS
    number = held.recall(context, user_id, "id_number")  # None: a restart, /cancel or too long ago
    held.forget(context, user_id)                        # all of the person's held values
"""
from __future__ import annotations

import time
import weakref

from telegram.ext import Application, ContextTypes

HOLD_SECONDS = 600  # as long as a flow may stay idle (handlers.ui.common.IDLE_TIMEOUT_SECONDS)
_held: "weakref.WeakKeyDictionary[Application, dict[tuple[int, str], tuple[str, float]]]" = weakref.WeakKeyDictionary()


def hold(context: ContextTypes.DEFAULT_TYPE, user_id: int, name: str, value: str) -> None:
    """Keep ``value`` for the next step in this process's memory only (never persisted, never
    logged), for at most HOLD_SECONDS. After a restart, /cancel or that long it is gone: the flow
    asks for it again (``recall`` gives None)."""
    store = _held.setdefault(context.application, {})
    now = time.monotonic()
    for key in [k for k, (_, at) in store.items() if now - at > HOLD_SECONDS]:
        del store[key]
    store[(user_id, name)] = (value, now)


def recall(context: ContextTypes.DEFAULT_TYPE, user_id: int, name: str) -> str | None:
    held = _held.get(context.application, {}).get((user_id, name))
    if held is None or time.monotonic() - held[1] > HOLD_SECONDS:
        return None
    return held[0]


def forget(context: ContextTypes.DEFAULT_TYPE, user_id: int, *names: str) -> None:
    """Drop what the flow held (all of the person's held values when no name is given)."""
    store = _held.get(context.application, {})
    for key in [k for k in store if k[0] == user_id and (not names or k[1] in names)]:
        del store[key]
