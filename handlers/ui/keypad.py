"""The payment-PIN keypad: one component for every flow that needs the PIN (DESIGN §8).

How a flow uses it (a ConversationHandler state)::

    async def ask_pin(update, context):                 # from the step before
        if not await keypad.show(update, context, title=t(lang, "topup.pin_title", amount="¥100.00"), owner=PIN):
            return ConversationHandler.END              # the PIN is locked: told until when, reset button
        return PIN

    async def on_pin(update, context, pin: str):        # six digits are in (never store or log them)
        try:
            result = await cards.top_up(ctx, ..., pin=pin)
        except (PinWrong, PinLocked) as err:
            return await keypad.refused(update, context, err)   # wrong: tries left + a fresh keypad;
        ...                                                    # locked: until when, the flow ends

    ConversationHandler(..., states={PIN: keypad.state(on_pin, owner=PIN)}, ...)

``owner`` (optional, the state's name) ties a keypad to the state waiting for it: when two flows
of one person wait for a PIN at once (a top-up, then /pin), each takes only its own keypad.
Six digits in, the keypad becomes a neutral "PIN entered" line; a tick once ``on_pin`` returned
without a refusal (``refused``).

A new PIN entered twice (set or change): ``keypad.show(..., twice=True)`` and
``keypad.state(on_new_pin, validate=keypad.strength(user_id))``. ``validate(update, context, pin)``
runs on the first entry and returns an error text (typed again) or None; the second entry must
equal the first. ``on_pin`` then gets the PIN once.

The keypad on the screen is handlers/ui/keypad_screen.py (its keys: ``handlers.ui.callbacks.PinKey``,
``pin:<d|x|c>:<position>:<nonce>``); presses on a keypad that is not the person's live one, and a
PIN typed as text, handlers/ui/keypad_stale.py; secrets a flow holds between steps, handlers/ui/held.py.
``register(app)`` adds the catch-all for presses on keypads no conversation waits for (after
/cancel, a time-out or a restart): add it after every flow.
"""
from __future__ import annotations

import secrets
import weakref
from typing import Awaitable, Callable

from telegram import Update
from telegram.ext import (Application, BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler,
                          MessageHandler, filters)

from chat.i18n import t
from handlers.ui import common as ui
from handlers.ui.held import forget
from handlers.ui import keypad_lock
from handlers.ui.keypad_lock import show  # noqa: F401 (keypad.show: the flows' way in)
from handlers.ui.callbacks import PinKey
from handlers.ui.keypad_screen import META, entries, lang_and_tz, redraw, relabel, retire, takes
from handlers.ui.keypad_screen import show as _show
from handlers.ui.keypad_stale import orphan, stale, typed_as_text
from wallet.errors import PinLocked, PinWeak, WalletError

OnPin = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[object]]
Validate = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[str | None]]
# people whose PIN ``refused`` explained while their ``on_pin`` ran: their keypad gets no tick
_refusals: "weakref.WeakKeyDictionary[Application, set[int]]" = weakref.WeakKeyDictionary()


async def close(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None = None) -> None:
    """Forget the person's keypad (the flow ended another way: /cancel, time-out)."""
    lang, _ = await lang_and_tz(update, context)
    if update.effective_user is not None:
        await retire(context, update.effective_user.id, lang, text)
    context.user_data.pop(META, None)


async def refused(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError, *,
                  drop: str | None = None):
    """Explain a PIN refusal. A wrong PIN (tries left) or a weak new PIN gets a fresh keypad on
    the same step (returns None: the state stays); a locked PIN (until when, in the person's time
    zone) ends the flow (returns ConversationHandler.END), dropping the draft of feature ``drop``."""
    from chat.errors import explain

    lang, tz = await lang_and_tz(update, context)
    text = explain(err, lang, timezone=tz)
    meta = context.user_data.get(META) or {}
    if update.effective_user is not None:
        _refusals.setdefault(context.application, set()).add(update.effective_user.id)
    if isinstance(err, PinLocked) or not meta:
        context.user_data.pop(META, None)
        if drop is not None:
            ui.drop_draft(context, drop)
        if isinstance(err, PinLocked):  # with the button to reset it
            await keypad_lock.send(update, context, err)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
        return ConversationHandler.END
    await _show(update, context, title=meta.get("title", ""), twice=bool(meta.get("twice")) or isinstance(err, PinWeak),
               notice=text, owner=meta.get("owner"))
    return None


def strength(user_id_of: Callable[[Update], int] | None = None) -> Validate:
    """A ``validate`` for a new PIN: the wallet's strength rules (all-same, straight runs, the
    person's birthday from their ID number), each refused with its reason."""
    from chat.errors import explain
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
        key = PinKey.parse(data)
        return key is not None and takes(owner, key.nonce)

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE):
        query = update.callback_query
        lang, _ = await lang_and_tz(update, context)
        key = PinKey.parse(query.data)
        entry = entries(context).get(query.from_user.id)
        if entry is None or entry.nonce != key.nonce or entry.message_id != query.message.message_id:
            return await stale(update, context, lang)
        if key.action == PinKey.CANCEL:
            await query.answer(t(lang, "keypad.cancelled"))
            await retire(context, entry.user_id, lang, t(lang, "keypad.cancelled"))
            context.user_data.pop(META, None)
            if on_cancel is not None:
                return await on_cancel(update, context)
            return ConversationHandler.END
        if key.action == PinKey.DELETE:
            if entry.typed:
                entry.typed.pop()
            await query.answer()
            await redraw(context, entry, lang)
            return None
        if len(entry.typed) < entry.length:
            entry.typed.append(entry.layout[key.position])
        await query.answer()
        if len(entry.typed) < entry.length:
            await redraw(context, entry, lang)
            return None
        pin = "".join(entry.typed)
        entry.typed.clear()
        if entry.twice and entry.first is None:
            problem = await validate(update, context, pin) if validate else None
            if problem:
                await _show(update, context, title=entry.title, twice=True, notice=problem, owner=entry.owner)
                return None
            await _show(update, context, title=entry.title, twice=True, _first=pin, owner=entry.owner)
            return None
        if entry.twice and not secrets.compare_digest(entry.first, pin):
            await _show(update, context, title=entry.title, twice=True, notice=t(lang, "keypad.mismatch"),
                       owner=entry.owner)
            return None
        if not entry.twice and validate is not None:
            problem = await validate(update, context, pin)
            if problem:
                await _show(update, context, title=entry.title, notice=problem, owner=entry.owner)
                return None
        # a neutral line while the PIN is checked; the tick only once it was taken (no refusal)
        await retire(context, entry.user_id, lang, t(lang, "keypad.entered", title=entry.title))
        refusals = _refusals.setdefault(context.application, set())
        refusals.discard(entry.user_id)
        try:
            state = await on_pin(update, context, pin)
            if entry.user_id not in refusals:
                await relabel(context, entry.chat_id, entry.message_id, "✅ " + entry.title)
            return state
        finally:
            refusals.discard(entry.user_id)
            if entry.user_id not in entries(context):  # the flow did not ask again
                context.user_data.pop(META, None)

    text = MessageHandler(filters.TEXT & ~filters.COMMAND, typed_as_text)
    if owner and "." in owner:  # "<feature>.<step>": only while that flow is the person's active one
        from handlers.ui.entry import FlowText

        text = FlowText(owner.split(".", 1)[0], typed_as_text)
    return [CallbackQueryHandler(press, pattern=mine), text]


def register(app: Application) -> None:
    """Add after every flow: answers presses on keypads nobody waits for; on /cancel (group -1,
    before any flow) takes the keypad away and drops what flows held."""
    app.add_handler(CallbackQueryHandler(orphan, pattern=PinKey.pattern()))
    app.add_handler(CommandHandler("cancel", _on_cancel), group=-1)


async def _on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel (before the flows see it): the person's keypad goes and what was held is dropped."""
    user = update.effective_user
    if user is None:
        return
    forget(context, user.id)
    if user.id in entries(context):
        lang, _ = await lang_and_tz(update, context)
        await retire(context, user.id, lang, t(lang, "keypad.cancelled"))
    if context.user_data is not None:
        context.user_data.pop(META, None)
