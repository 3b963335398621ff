"""The bank cards' draft, stated once (handlers/ui/draft.py says how drafts are kept).

``CardsDraft`` (``user_data["draft:cards"]``) is made anew by every showing of the list (its nonce
is in the list's buttons, handlers/cards/listing.py) and by ``/bind``. Unbinding a card adds the
card pressed (then the PIN); binding one adds what the bank said of the number typed (then its
code). The card number itself is never in it: it is held in memory only (handlers/ui/held.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from handlers.ui.draft import Draft, later


@dataclass(frozen=True, kw_only=True)
class CardsDraft(Draft):
    """The list's buttons, an unbinding (``card_id``) or a binding (the bank's answer)."""

    FEATURE: ClassVar[str] = "cards"

    card_id: int | None = later()       # unbind: the card pressed; the PIN keypad waits for it
    # bind: the bank recognised the number typed (absent before); what ``card`` shows
    bank_code: str | None = later()     # "ICBC"
    card_type: str | None = later()     # "debit" or "credit"
    last4: str | None = later()
    bank_name_zh: str | None = later()  # "中国工商银行"
    bank_name_en: str | None = later()

    @property
    def card(self) -> dict:
        """The card being bound, as ``entry.card_label`` reads a card (empty before the number)."""
        fields = ("bank_code", "card_type", "last4", "bank_name_zh", "bank_name_en")
        return {f: getattr(self, f) for f in fields if getattr(self, f) is not None}

    def recognised(self, info) -> "CardsDraft":
        """The bank's answer for the number typed (``wallet.bank.lookup_card``)."""
        return self.replace(bank_code=info.bank_code, card_type=info.card_type, last4=info.last4,
                            bank_name_zh=info.bank_name_zh, bank_name_en=info.bank_name_en)
