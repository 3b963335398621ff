"""One PIN keypad on the screen: the in-memory entry, its shuffled keys and dots, shown, redrawn, retired.

Rules it keeps:
- the digits are shuffled each time it is shown; ``callback_data`` is ``pin:<verb>:<position>:<nonce>``
  (verb ``d`` a key position, ``x`` delete, ``c`` cancel: ``handlers.ui.callbacks.PinKey``, which
  builds and parses it) and never holds a digit;
- what was typed lives only in this process's memory (``_entries``, keyed by the Application),
  never in ``user_data``/``chat_data`` (which the persistence writes to the database), never logged;
  the persisted ``user_data["keypad"]`` holds only the title and the current nonce, so that after a
  restart a press on the old keypad is refused with a popup and a fresh keypad is sent;
- the message shows ``●●●○○○`` with delete and cancel keys, and is edited to a tick when done;
- a PIN typed as a text message is deleted at once and the person reminded to use the keypad;
- only the person it was shown to can press it; a press on an old keypad (stale nonce) is refused.
"""
from __future__ import annotations

import logging
import secrets
import weakref
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, ContextTypes

from chat.i18n import t
from handlers.ui import callbacks
from handlers.ui.callbacks import PinKey
from handlers.ui import common as ui

log = logging.getLogger("handlers.keypad")

DOTS_ON, DOTS_OFF = "●", "○"
META = "keypad"  # user_data key: title, nonce, twice (no digits, ever)


@dataclass
class _Entry:
    """One keypad being typed on. Lives in memory only."""
    user_id: int
    chat_id: int
    message_id: int
    nonce: str
    layout: list[str]  # layout[position] = digit shown at that key
    title: str
    twice: bool
    length: int = 6
    typed: list[str] = field(default_factory=list)
    first: str | None = None  # the first entry of a PIN entered twice
    owner: str | None = None  # the conversation state that waits for this keypad (None: any)

    def __repr__(self) -> str:  # never show what was typed
        return f"_Entry(user={self.user_id}, message={self.message_id}, typed={len(self.typed)})"


_entries: "weakref.WeakKeyDictionary[Application, dict[int, _Entry]]" = weakref.WeakKeyDictionary()
# nonce -> owner of every live keypad: a state's handlers take only presses on their own keypads,
# so two flows waiting for a PIN at once (a top-up, then /pin) never swap PINs
_owners: dict[str, str | None] = {}


async def lang_and_tz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str, str]:
    """The person's language and time zone name (handlers.ui.common)."""
    return await ui.language(update, context), (await ui.timezone(update, context)).key


def entries(context: ContextTypes.DEFAULT_TYPE) -> dict[int, _Entry]:
    return _entries.setdefault(context.application, {})


def takes(owner: str | None, nonce: str) -> bool:
    """Whether a state waiting with ``owner`` takes a press on the keypad ``nonce``: its own, one
    shown without an owner, or one this process does not know (an old one, after a restart)."""
    return owner is None or nonce not in _owners or _owners[nonce] in (None, owner)


def length(context: ContextTypes.DEFAULT_TYPE) -> int:
    wallet = context.bot_data.get("wallet")
    return getattr(getattr(wallet, "rules", None), "pin_length", 6)


def markup(entry: _Entry, lang: str) -> InlineKeyboardMarkup:
    def key(label: str, action: str, pos: int = 0) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=PinKey(action, pos, entry.nonce).data())
    rows = [[key(entry.layout[p], PinKey.DIGIT, p) for p in range(r * 3, r * 3 + 3)] for r in range(3)]
    rows.append([key(t(lang, "keypad.cancel"), PinKey.CANCEL), key(entry.layout[9], PinKey.DIGIT, 9),
                 key(t(lang, "keypad.delete"), PinKey.DELETE)])
    return InlineKeyboardMarkup(rows)


def screen_text(entry: _Entry, lang: str, notice: str | None = None) -> str:
    dots = DOTS_ON * len(entry.typed) + DOTS_OFF * (entry.length - len(entry.typed))
    step = ""
    if entry.twice:
        step = "\n" + t(lang, "keypad.again" if entry.first is not None else "keypad.new")
    head = f"{notice}\n\n" if notice else ""
    return f"{head}{entry.title}{step}\n\n{dots}\n{t(lang, 'keypad.hint')}"


def shuffled() -> list[str]:
    digits = list("0123456789")
    secrets.SystemRandom().shuffle(digits)
    return digits


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, *, title: str, twice: bool = False,
               notice: str | None = None, owner: str | None = None, _first: str | None = None) -> None:
    """Send a fresh keypad (new shuffle, new nonce) into the person's chat. ``notice`` goes above
    the title (why it is shown again). ``owner``: the state (``state(..., owner=)``) that waits for
    it. Any earlier keypad of this person stops working."""
    lang, _ = await lang_and_tz(update, context)
    user = update.effective_user
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    await retire(context, user.id, lang)
    entry = _Entry(user_id=user.id, chat_id=chat_id, message_id=0, nonce=callbacks.token(6),
                   layout=shuffled(), title=title, twice=twice, length=length(context), first=_first, owner=owner)
    msg = await context.bot.send_message(chat_id, screen_text(entry, lang, notice), reply_markup=markup(entry, lang))
    entry.message_id = msg.message_id
    entries(context)[user.id] = entry
    _owners[entry.nonce] = owner
    context.user_data[META] = {"title": title, "twice": twice, "nonce": entry.nonce, "owner": owner}


async def retire(context: ContextTypes.DEFAULT_TYPE, user_id: int, lang: str, text: str | None = None) -> None:
    """Take the person's live keypad off the screen (edited to ``text`` or deleted)."""
    entry = entries(context).pop(user_id, None)
    if entry is None:
        return
    _owners.pop(entry.nonce, None)
    entry.typed.clear()
    entry.first = None
    try:
        if text:
            await context.bot.edit_message_text(text, chat_id=entry.chat_id, message_id=entry.message_id)
        else:
            await context.bot.delete_message(entry.chat_id, entry.message_id)
    except BadRequest:
        pass


async def redraw(context: ContextTypes.DEFAULT_TYPE, entry: _Entry, lang: str) -> None:
    try:
        await context.bot.edit_message_text(screen_text(entry, lang), chat_id=entry.chat_id,
                                            message_id=entry.message_id, reply_markup=markup(entry, lang))
    except BadRequest as err:  # "not modified": delete on an empty entry
        log.debug("keypad redraw: %s", err.message)


async def relabel(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int, text: str) -> None:
    """Edit a retired keypad's line again (the tick once its PIN was taken)."""
    try:
        await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    except BadRequest:
        pass
