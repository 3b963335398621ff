"""The risk engine's "ask again" in every payment flow (wallet/risk/guard.py): the PIN was right,
but this payment also needs the SMS code just sent to the bound phone.

    PIN: [..., *step_up.state(FEATURE, on_code, load=Draft.load), *keypad.state(on_pin, owner=PIN)]

    async def on_code(update, context, code):     # the flow's: pay again, same key, with the code
        return await pay(update, context, pin=None, step_up_code=code)

When a payment raises ``StepUpRequired`` the flow calls ``asked`` (handlers/ui/shortfall.py
``refused`` does): the draft's nonce is kept as waiting for a code, the person is told where the
code went, and the flow stays in its PIN state, where the typed code is taken by ``state``. The
payment then runs again with the same idempotency key, ``pin_checked`` (the PIN was verified just
before the engine asked: the services check it before screening) and ``step_up_code``. A code
typed when none is waiting (or for another draft) is not taken as a code. A wrong code says how
many tries are left and waits again; an expired one ends the flow (nothing was paid).
"""
from __future__ import annotations

import re
from typing import Awaitable, Callable

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.ui import common as ui
from handlers.ui import entry, keypad_stale
from wallet.errors import SmsCodeWrong, StepUpRequired

WAITING = "step_up"  # user_data: the nonce of the draft whose payment waits for its SMS code
CODE = re.compile(r"\s*([0-9]{6})\s*")

OnCode = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[object]]


def waiting(context: ContextTypes.DEFAULT_TYPE, draft) -> bool:
    """Does this draft's payment wait for a step-up code?"""
    return draft is not None and context.user_data.get(WAITING) == draft.nonce


def done(context: ContextTypes.DEFAULT_TYPE) -> None:
    context.user_data.pop(WAITING, None)


async def asked(update: Update, context: ContextTypes.DEFAULT_TYPE, err: StepUpRequired, draft,
                say: Callable[[str], Awaitable[object]]) -> None:
    """The engine asked for the SMS code: remember it for this draft and tell the person."""
    context.user_data[WAITING] = draft.nonce
    lang = await ui.language(update, context)
    await say(await ui.explain(update, context, err) + "\n" + t(lang, "risk.step_up.how"))


async def wrong(update: Update, context: ContextTypes.DEFAULT_TYPE, err: SmsCodeWrong) -> None:
    await update.effective_message.reply_text(await ui.explain(update, context, err))


def state(feature: str, on_code: OnCode, *, load: Callable[[ContextTypes.DEFAULT_TYPE], object]) -> list[BaseHandler]:
    """The handler of a flow's PIN state that takes the typed step-up code (``load`` gives the
    flow's draft); listed before the keypad's, whose text handler takes any other text (deleted at
    once: it may be the PIN). A text that is not a 6-digit code while one is awaited: the hint."""
    async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE):
        lang = await ui.language(update, context)
        draft = load(context)
        text = update.effective_message.text or ""
        if not waiting(context, draft):
            return await keypad_stale.typed_as_text(update, context)
        match = CODE.fullmatch(text)
        if match is None:
            await update.effective_message.reply_text(t(lang, "risk.step_up.how"))
            return None
        try:  # the code is a secret of a moment: not kept in the chat
            await update.effective_message.delete()
        except Exception:  # noqa: BLE001 - an old message or no right to delete: the code is single-use anyway
            pass
        return await on_code(update, context, match.group(1))

    return [entry.FlowText(feature, typed)]


def ended(context: ContextTypes.DEFAULT_TYPE) -> object:
    done(context)
    return ConversationHandler.END
