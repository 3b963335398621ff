"""Paying with money from a card when the balance is short (余额不足).

Two choices, offered by the chat before the PIN (handlers/ui/shortfall.py):
- ``top_up = needed - balance``: "top up the ¥x.xx short from card ****1234 and pay";
- ``top_up = needed``: "pay this with card ****1234" (the card is charged for exactly this payment).

``pay_funded`` checks the PIN once, charges the card with a top-up (cards.top_up, its own bank
operation and journal entry) and then runs the payment (``pay(key)``: a transfer, a red packet or
a merchant payment called with ``pin_checked=True``). Each step has a key derived from the
caller's (subkeys.step_key), so a retry with the same key replays what finished and completes
what did not.

Nothing is half done:
- a bank decline (BankDeclined) or time-out (BankTimeout) happens before any payment: nothing is
  paid; after a time-out the reconcile sweep settles the top-up later (the money lands in the
  balance, the person is told) and the payment is not made;
- a payment refused after the charge (the recipient froze meanwhile, a limit, the balance spent by
  another payment in between) raises PaymentRefusedAfterCharge: the charged money stays in the
  wallet balance, in the ledger like any top-up, and the audit stays clean.
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

from wallet.context import Context
from wallet.errors import PaymentRefusedAfterCharge, StepUpRequired, WalletError
from wallet.money import require_amount
from wallet.services import cards
from wallet.services.pins import verify_pin
from wallet.services.subkeys import step_key
from wallet.uow import check_key

log = logging.getLogger("wallet.funded")


async def pay_funded(ctx: Context, *, key: str, user_id: int, card_id: int, top_up: int, pin: str | None,
                     pay: Callable[[str], Awaitable[dict]], pin_checked: bool = False) -> dict:
    """Charge ``top_up`` from the person's card ``card_id`` into the wallet, then ``pay(step key)``.
    Returns ``{"top_up": <the top-up's answer>, "paid": <the payment's answer>}``. The risk
    engine asking for an SMS code (``StepUpRequired``) passes through as it is: the charge stays in
    the balance and the same key again (with the code, ``pin_checked``) replays it and pays."""
    check_key(key)
    top_up = require_amount(top_up, max_fen=ctx.rules.max_amount)
    if not pin_checked:
        await verify_pin(ctx, user_id, pin or "")
    charged = await cards.top_up(ctx, key=step_key(key, "topup"), user_id=user_id, card_id=card_id, amount=top_up,
                                 pin=None, pin_checked=True)
    try:
        paid = await pay(step_key(key, "pay"))
    except StepUpRequired:
        raise
    except WalletError as err:
        log.warning("funded payment refused after the charge user=%s key=%s top_up=%s reason=%s",
                    user_id, key, top_up, err.code)
        raise PaymentRefusedAfterCharge(amount=top_up, last4=charged.get("last4") or "",
                                        reason=err.code) from err
    log.info("funded payment user=%s key=%s top_up=%s", user_id, key, top_up)
    return {"top_up": charged, "paid": paid}
