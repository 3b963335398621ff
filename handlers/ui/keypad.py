"""The payment-PIN keypad: one component for every flow that needs the PIN (DESIGN §8).

How a flow uses it (a ConversationHandler state)::

    from handlers.ui import keypad

    PIN = "topup.pin"                                   # a state of your conversation

    async def ask_pin(update, context):                 # from the step before
        await keypad.show(update, context, title=t(lang, "topup.pin_title", amount="¥100.00"), owner=PIN)
        return PIN

    async def on_pin(update, context, pin: str):        # six digits are in (never store or log them)
        try:
            result = await cards.top_up(ctx, ..., pin=pin)
        except (PinWrong, PinLocked) as err:
            return await keypad.refused(update, context, err)   # wrong: tries left + a fresh keypad;
                                                               # locked: until when, and the flow ends
        ...
        return ConversationHandler.END

    ConversationHandler(..., states={PIN: keypad.state(on_pin, owner=PIN)}, ...)

``owner`` (optional, the state's name) ties a keypad to the state waiting for it: when two flows
of one person wait for a PIN at once (a top-up, then /pin), each takes only its own keypad.

A new PIN entered twice (set or change)::

    await keypad.show(update, context, title=..., twice=True)
    states={NEW_PIN: keypad.state(on_new_pin, validate=keypad.strength(user_id))}

``validate(update, context, pin)`` runs on the first entry and returns an error text (the
person types it again) or None; the second entry must equal the first ("the two PINs differ"
otherwise, and the entry starts over). ``on_pin`` then gets the PIN once.

Rules it keeps:
- the digits are shuffled each time it is shown; ``callback_data`` is ``pin:<verb>:<position>:<nonce>``
  (verb ``d`` a key position, ``x`` delete, ``c`` cancel) and never holds a digit;
- what was typed lives only in this process's memory (``_entries``, keyed by the Application),
  never in ``user_data``/``chat_data`` (which the persistence writes to the database), never logged;
  the persisted ``user_data["keypad"]`` holds only the title and the current nonce, so that after a
  restart a press on the old keypad is refused with a popup and a fresh keypad is sent;
- the message shows ``●●●○○○`` with delete and cancel keys, and is edited to a tick when done;
- a PIN typed as a text message is deleted at once and the person reminded to use the keypad;
- only the person it was shown to can press it; a press on an old keypad (stale nonce) is refused.

``register(app)`` adds the catch-all for presses on keypads no conversation is waiting for
(after /cancel, a time-out or a restart): add it after every flow.
"""
from __future__ import annotations

import logging
import re
import secrets
import time
import weakref
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (Application, BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes,
                          ConversationHandler,
                          MessageHandler, filters)

from handlers.i18n import t
from handlers.ui import common as ui
from wallet.errors import PinLocked, PinWeak, WalletError

log = logging.getLogger("handlers.keypad")

PATTERN = r"^pin:[dxc]:\d:[A-Za-z0-9_-]{6,16}$"
_KEY = re.compile(PATTERN)
DOTS_ON, DOTS_OFF = "●", "○"
META = "keypad"  # user_data key: title, nonce, twice (no digits, ever)

OnPin = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[object]]
Validate = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[str | None]]


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


def _store(context: ContextTypes.DEFAULT_TYPE) -> dict[int, _Entry]:
    return _entries.setdefault(context.application, {})


def _length(context: ContextTypes.DEFAULT_TYPE) -> int:
    wallet = context.bot_data.get("wallet")
    return getattr(getattr(wallet, "rules", None), "pin_length", 6)


def _markup(entry: _Entry, lang: str) -> InlineKeyboardMarkup:
    def key(pos: int) -> InlineKeyboardButton:
        return InlineKeyboardButton(entry.layout[pos], callback_data=f"pin:d:{pos}:{entry.nonce}")
    rows = [[key(r * 3 + c) for c in range(3)] for r in range(3)]
    rows.append([InlineKeyboardButton(t(lang, "keypad.cancel"), callback_data=f"pin:c:0:{entry.nonce}"),
                 key(9),
                 InlineKeyboardButton(t(lang, "keypad.delete"), callback_data=f"pin:x:0:{entry.nonce}")])
    return InlineKeyboardMarkup(rows)


def _text(entry: _Entry, lang: str, notice: str | None = None) -> str:
    dots = DOTS_ON * len(entry.typed) + DOTS_OFF * (entry.length - len(entry.typed))
    step = ""
    if entry.twice:
        step = "\n" + t(lang, "keypad.again" if entry.first is not None else "keypad.new")
    head = f"{notice}\n\n" if notice else ""
    return f"{head}{entry.title}{step}\n\n{dots}\n{t(lang, 'keypad.hint')}"


def _shuffled() -> list[str]:
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
    await _retire(context, user.id, lang)
    entry = _Entry(user_id=user.id, chat_id=chat_id, message_id=0, nonce=secrets.token_urlsafe(6),
                   layout=_shuffled(), title=title, twice=twice, length=_length(context), first=_first, owner=owner)
    msg = await context.bot.send_message(chat_id, _text(entry, lang, notice), reply_markup=_markup(entry, lang))
    entry.message_id = msg.message_id
    _store(context)[user.id] = entry
    _owners[entry.nonce] = owner
    context.user_data[META] = {"title": title, "twice": twice, "nonce": entry.nonce, "owner": owner}


async def _retire(context: ContextTypes.DEFAULT_TYPE, user_id: int, lang: str, text: str | None = None) -> None:
    """Take the person's live keypad off the screen (edited to ``text`` or deleted)."""
    entry = _store(context).pop(user_id, None)
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


async def close(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None = None) -> None:
    """Forget the person's keypad (the flow ended another way: /cancel, time-out)."""
    lang, _ = await lang_and_tz(update, context)
    if update.effective_user is not None:
        await _retire(context, update.effective_user.id, lang, text)
    context.user_data.pop(META, None)


async def refused(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError, *,
                  drop: str | None = None):
    """Explain a PIN refusal. A wrong PIN (tries left) or a weak new PIN gets a fresh keypad on
    the same step (returns None: the state stays); a locked PIN (until when, in the person's time
    zone) ends the flow (returns ConversationHandler.END), dropping the draft of feature ``drop``."""
    from handlers.errors import explain

    lang, tz = await lang_and_tz(update, context)
    text = explain(err, lang, timezone=tz)
    meta = context.user_data.get(META) or {}
    if isinstance(err, PinLocked) or not meta:
        context.user_data.pop(META, None)
        if drop is not None:
            ui.drop_draft(context, drop)
        await context.bot.send_message(update.effective_chat.id, text)
        return ConversationHandler.END
    await show(update, context, title=meta.get("title", ""), twice=bool(meta.get("twice")) or isinstance(err, PinWeak),
               notice=text, owner=meta.get("owner"))
    return None


def strength(user_id_of: Callable[[Update], int] | None = None) -> Validate:
    """A ``validate`` for a new PIN: the wallet's strength rules (all-same, straight runs, the
    person's birthday from their ID number), each refused with its reason."""
    from handlers.errors import explain
    from wallet.pin import check_pin_strength
    from wallet.services import people

    async def check(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str) -> str | None:
        ctx = context.bot_data["wallet"]
        uid = user_id_of(update) if user_id_of else update.effective_user.id
        try:
            check_pin_strength(pin, length=ctx.rules.pin_length, birth_date=await people.birth_date(ctx, uid))
        except PinWeak as err:
            lang, tz = await lang_and_tz(update, context)
            return explain(err, lang, timezone=tz)
        return None
    return check


def state(on_pin: OnPin, *, validate: Validate | None = None,
          on_cancel: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[object]] | None = None,
          owner: str | None = None) -> list[BaseHandler]:
    """The handlers of a conversation state waiting for the PIN on the keypad. With ``owner``
    (show the keypad with the same ``owner``) they take presses on their own keypads only, and
    on keypads this process does not know (old ones, after a restart: refused, a fresh one sent)."""
    def mine(data: object) -> bool:
        if not (isinstance(data, str) and _KEY.fullmatch(data)):
            return False
        nonce = data.rsplit(":", 1)[-1]
        return owner is None or nonce not in _owners or _owners[nonce] in (None, owner)

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE):
        query = update.callback_query
        lang, _ = await lang_and_tz(update, context)
        _, verb, pos, nonce = query.data.split(":")
        entry = _store(context).get(query.from_user.id)
        if entry is None or entry.nonce != nonce or entry.message_id != query.message.message_id:
            return await _stale(update, context, lang)
        if verb == "c":
            await query.answer(t(lang, "keypad.cancelled"))
            await _retire(context, entry.user_id, lang, t(lang, "keypad.cancelled"))
            context.user_data.pop(META, None)
            if on_cancel is not None:
                return await on_cancel(update, context)
            return ConversationHandler.END
        if verb == "x":
            if entry.typed:
                entry.typed.pop()
            await query.answer()
            await _redraw(context, entry, lang)
            return None
        if len(entry.typed) < entry.length:
            entry.typed.append(entry.layout[int(pos)])
        await query.answer()
        if len(entry.typed) < entry.length:
            await _redraw(context, entry, lang)
            return None
        pin = "".join(entry.typed)
        entry.typed.clear()
        if entry.twice and entry.first is None:
            problem = await validate(update, context, pin) if validate else None
            if problem:
                await show(update, context, title=entry.title, twice=True, notice=problem, owner=entry.owner)
                return None
            await show(update, context, title=entry.title, twice=True, _first=pin, owner=entry.owner)
            return None
        if entry.twice and not secrets.compare_digest(entry.first, pin):
            await show(update, context, title=entry.title, twice=True, notice=t(lang, "keypad.mismatch"),
                       owner=entry.owner)
            return None
        if not entry.twice and validate is not None:
            problem = await validate(update, context, pin)
            if problem:
                await show(update, context, title=entry.title, notice=problem, owner=entry.owner)
                return None
        await _retire(context, entry.user_id, lang, "✅ " + entry.title)
        try:
            return await on_pin(update, context, pin)
        finally:
            if entry.user_id not in _store(context):  # the flow did not ask again
                context.user_data.pop(META, None)

    text = MessageHandler(filters.TEXT & ~filters.COMMAND, typed_as_text)
    if owner and "." in owner:  # "<feature>.<step>": only while that flow is the person's active one
        from handlers.ui.entry import FlowText

        text = FlowText(owner.split(".", 1)[0], typed_as_text)
    return [CallbackQueryHandler(press, pattern=mine), text]


async def _redraw(context: ContextTypes.DEFAULT_TYPE, entry: _Entry, lang: str) -> None:
    try:
        await context.bot.edit_message_text(_text(entry, lang), chat_id=entry.chat_id,
                                            message_id=entry.message_id, reply_markup=_markup(entry, lang))
    except BadRequest as err:  # "not modified": delete on an empty entry
        log.debug("keypad redraw: %s", err.message)


async def _stale(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str):
    """A press on a keypad that is not this person's live one: a popup, and (if their flow is
    still waiting for a PIN) a fresh keypad."""
    query = update.callback_query
    store = _store(context)
    live = store.get(query.from_user.id)
    nonce = query.data.rsplit(":", 1)[-1]
    if any(e.nonce == nonce and uid != query.from_user.id for uid, e in store.items()):
        await query.answer(t(lang, "keypad.not_yours"), show_alert=True)
        return None
    meta = context.user_data.get(META) if context.user_data is not None else None
    await query.answer(t(lang, "keypad.stale"), show_alert=True)
    try:  # take the keys off the old keypad
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
    if live is None and meta:
        await show(update, context, title=meta.get("title", ""), twice=bool(meta.get("twice")), owner=meta.get("owner"))
    return None


async def typed_as_text(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """Anything typed while the keypad waits is deleted at once (it may be the PIN) and never echoed."""
    lang, _ = await lang_and_tz(update, context)
    try:
        await update.effective_message.delete()
    except BadRequest:
        pass
    await context.bot.send_message(update.effective_chat.id, t(lang, "keypad.use_keypad"))
    return None


async def _orphan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A keypad press no conversation waits for (flow ended, restart, someone else's keypad)."""
    query = update.callback_query
    lang, _ = await lang_and_tz(update, context)
    entry = _store(context).get(query.from_user.id)
    nonce = query.data.rsplit(":", 1)[-1]
    if entry is None or entry.nonce != nonce:
        others = any(e.nonce == nonce for e in _store(context).values())
        await query.answer(t(lang, "keypad.not_yours" if others else "keypad.expired"), show_alert=True)
        if not others:
            try:
                await query.edit_message_reply_markup(None)
            except BadRequest:
                pass
        return
    await query.answer(t(lang, "keypad.expired"), show_alert=True)
    await _retire(context, entry.user_id, lang, t(lang, "keypad.expired"))


def register(app: Application) -> None:
    """Add after every flow: answers presses on keypads nobody waits for; on /cancel (group -1,
    before any flow) takes the keypad away and drops what flows held."""
    app.add_handler(CallbackQueryHandler(_orphan, pattern=r"^pin:"))
    app.add_handler(CommandHandler("cancel", _on_cancel), group=-1)


# --- secrets a flow holds between steps (an old PIN, an SMS code, an ID number) ------------------
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


async def _on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel (before the flows see it): the person's keypad goes and what was held is dropped."""
    user = update.effective_user
    if user is None:
        return
    forget(context, user.id)
    if user.id in _store(context):
        lang, _ = await lang_and_tz(update, context)
        await _retire(context, user.id, lang, t(lang, "keypad.cancelled"))
    if context.user_data is not None:
        context.user_data.pop(META, None)
