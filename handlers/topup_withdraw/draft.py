"""The drafts of top-up and withdraw, stated once (handlers/ui/draft.py says how drafts are kept).

Each starts when the amount is accepted (so there is no amount step inside the draft), waits for
the card to be pressed (``step`` ``card``), then for the PIN (``pin``). A declined card starts a
new draft with the same amount (a new nonce: the next card is a new attempt, a new key).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from handlers.ui.draft import Draft, later

Step = Literal["card", "pin"]


@dataclass(frozen=True, kw_only=True)
class TopUpDraft(Draft):
    """A top-up (``user_data["draft:topup"]``): ``amount`` fen from the card ``card_id``."""

    FEATURE: ClassVar[str] = "topup"

    amount: int                       # fen moved from the card into the balance
    card_id: int | None = later()     # the card pressed; absent until then

    @property
    def step(self) -> Step:
        return "card" if self.card_id is None else "pin"


@dataclass(frozen=True, kw_only=True)
class WithdrawDraft(Draft):
    """A withdrawal (``user_data["draft:withdraw"]``) as the preview quoted it: ``quoted`` fen
    arrive on the card, ``fee`` fen more leave the balance."""

    FEATURE: ClassVar[str] = "withdraw"

    amount: int | None                # fen asked for; None for "all" (the wallet works the largest out again)
    quoted: int                       # fen the preview said arrive (for "all": what "all" was then)
    fee: int                          # fen the preview said the fee is, on top of ``quoted``
    preview: str | None = later()     # the preview's text, shown again above the card chosen
    card_id: int | None = later()     # the card pressed; absent until then

    @property
    def step(self) -> Step:
        return "card" if self.card_id is None else "pin"
