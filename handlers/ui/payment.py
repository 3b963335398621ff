"""Running a payment from a flow's confirmed draft (handlers/ui/draft.py ``PaymentDraft``): from
the balance, or through a card the person chose on the 余额不足 screen (handlers/ui/shortfall.py,
which also explains refusals); with the SMS code the risk engine asked for (handlers/ui/step_up.py)
or without the PIN when the person's 免密支付 setting covers it (``pin_after_all`` when the wallet
wants the PIN after all).

    paid = await payment.pay(context, draft, key=ui.op_key(update, "transfer", draft), user_id=uid,
                             pin=pin, pay=lambda **kw: transfers.send(..., **kw))
"""
from __future__ import annotations

from typing import Awaitable, Callable

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.ui import common as ui
from handlers.ui import keypad, step_up
from handlers.ui.draft import PaymentDraft
from wallet.errors import PinRequired
from wallet.services import funded


async def pin_after_all(update: Update, context: ContextTypes.DEFAULT_TYPE, err: PinRequired, *, title: str,
                        owner: str, say: Callable[[str], Awaitable[object]]) -> str:
    """A payment tried without the PIN that the wallet wants one for: why, and the keypad."""
    await say(await ui.explain(update, context, err))
    if not await keypad.show(update, context, title=title, owner=owner):
        return ConversationHandler.END
    return owner


async def pay(context: ContextTypes.DEFAULT_TYPE, draft: PaymentDraft, *, key: str, user_id: int, pin: str | None,
              pay: Callable[..., Awaitable[dict]], step_up_code: str | None = None, no_pin: bool = False) -> dict:
    """Run the payment: ``pay(key=, pin=, pin_checked=[, step_up_code=])`` calls the flow's
    service. From the balance, or, when the person chose a card, through wallet/services/funded.py.
    With ``step_up_code`` (handlers/ui/step_up.py: the PIN was verified when the engine asked for
    it) the same key runs again with the code."""
    checked = step_up_code is not None and step_up.waiting(context, draft)
    if step_up_code is not None and not checked:  # pragma: no cover - step_up.state takes codes only then
        raise ValueError("a step-up code for a payment that does not wait for one")
    extra = {"step_up_code": step_up_code} if checked else {}
    if no_pin and draft.funding is None:  # 免密支付 (to_keypad's without_pin): the wallet decides
        paid = await pay(key=key, pin=None, pin_checked=False, no_pin=True)
        step_up.done(context)
        return paid
    funding = draft.funding
    if funding is None:
        paid = await pay(key=key, pin=None if checked else pin, pin_checked=checked, **extra)
        step_up.done(context)
        return paid
    if draft.declines:  # a card declined before (nothing was paid): this attempt is a new one
        key = f"{key}:d{draft.declines}"
    done = await funded.pay_funded(ui.wallet(context), key=key, user_id=user_id, card_id=funding.card_id,
                                   top_up=funding.top_up, pin=pin, pin_checked=checked,
                                   pay=lambda step: pay(key=step, pin=None, pin_checked=True, **extra))
    step_up.done(context)
    return done["paid"]


def charged_line(lang: str, draft: PaymentDraft) -> str | None:
    """"¥7.00 was charged to card ****1234." after a payment through a card, else None."""
    funding = draft.funding
    if funding is None:
        return None
    return t(lang, "short.charged", amount=ui.money(funding.top_up), last4=funding.last4)
