"""callback_data: the grammar every button follows, checked before any flow sees a press.

Every button the bot sends carries ``<prefix>:<field>[:<field>…]`` (DESIGN §4, §8): a short
lower-case prefix naming the feature, then fields of ``[A-Za-z0-9_.-]``, 64 bytes at most. Row ids
are decimal numbers within a database integer (0 … 2³¹−1, what PostgreSQL's ``integer`` holds).

The gate (``register``, added by bot/app.py before every flow) answers any press that breaks the
grammar (including a number a database integer cannot hold) with "this button is no longer valid"
and stops it there, so no flow ever parses an id the database cannot hold. Flows parse the
fields of their own buttons with ``row_id`` and friends.

Nonces and tokens in buttons are never all digits (``handlers.ui.common.new_nonce``), so a field
of digits is always a number.
"""
from __future__ import annotations

import re
import secrets

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, ContextTypes

from handlers.i18n import t

ID_MAX = 2**31 - 1
MAX_BYTES = 64
GATE_GROUP = -999  # after failure.track (-1000), before everything else

_GRAMMAR = re.compile(r"[a-z]{1,12}(?::[A-Za-z0-9_.-]{1,48}){0,6}")
_NUMBER = re.compile(r"-?\d+")


def row_id(field: str) -> int | None:
    """A row id field as an int, or None when it is not one (not digits, negative, too large)."""
    if not field.isdigit() or len(field) > 10:
        return None
    value = int(field)
    return value if value <= ID_MAX else None


def token(nbytes: int) -> str:
    """A random field for a button (a nonce): ``secrets.token_urlsafe(nbytes)`` that never reads as
    a number, so the gate never takes it for an id."""
    while True:
        value = secrets.token_urlsafe(nbytes)
        if not _NUMBER.fullmatch(value):
            return value


def in_bounds(field: str) -> bool:
    """A number field a database integer can hold (a negative one is left to the flow to refuse)."""
    digits = field.lstrip("-")
    return len(digits) <= 10 and int(digits) <= ID_MAX


def well_formed(data: object) -> bool:
    """True when ``data`` follows the grammar and every number in it fits a database integer."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES or not _GRAMMAR.fullmatch(data):
        return False
    return all(in_bounds(f) for f in data.split(":")[1:] if _NUMBER.fullmatch(f))


async def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from handlers.fallback import stale_button  # the same answer as any button nobody takes

    await stale_button(update, context)
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(refuse, pattern=lambda data: not well_formed(data)), group=GATE_GROUP)
