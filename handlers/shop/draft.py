"""The shop feature's drafts, stated once (handlers/ui/draft.py says how drafts are kept).

- ``PayDraft`` (``user_data["draft:pay"]``): paying a collection code (handlers/shop/pay.py).
- ``RegisterDraft`` and ``CodeDraft`` (both ``user_data["draft:shop"]``, told apart by ``step``):
  registering a shop, and a new collection code's amount (handlers/shop/steps.py). A new one
  replaces the other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from handlers.ui.draft import Draft, PaymentDraft, later


@dataclass(frozen=True, kw_only=True)
class PayDraft(PaymentDraft):
    """Paying a code: who is paid and how much. ``step``: ``amount`` while an open code waits for
    the amount typed, then ``confirm`` (the confirm screen; ``confirmed`` once the PIN keypad is
    up; the 余额不足 choices are ``PaymentDraft``'s)."""

    FEATURE: ClassVar[str] = "pay"

    code: str                          # the collection code (the deep link's ``pay_<code>``)
    kind: str                          # "shop" or "personal" (a friend's receive code)
    payee: str                         # who is paid, as the screens say it (plain text: escape for HTML)
    label: str | None = None           # the code's label, if it has one
    amount: int | None = None          # fen paid: the code's fixed amount, else None until typed
    fixed: bool = False                # the code fixes the amount (no amount step)

    @property
    def step(self) -> Literal["amount", "confirm"]:
        return "amount" if self.amount is None else "confirm"


@dataclass(frozen=True, kw_only=True)
class RegisterDraft(Draft):
    """Registering a shop: the name typed (absent until then), then the category pressed."""

    FEATURE: ClassVar[str] = "shop"  # the conversation's name and the draft's (persisted: never rename)

    step: str = "register"
    name: str | None = later()         # the shop's name; absent until typed (and again after a refusal)


@dataclass(frozen=True, kw_only=True)
class CodeDraft(Draft):
    """A new collection code: the amount typed (or "open amount" pressed) makes it."""

    FEATURE: ClassVar[str] = "shop"

    step: str = "code"
    shop_id: int | None = None         # the shop's code; None: the person's own receive code
