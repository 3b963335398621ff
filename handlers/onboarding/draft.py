"""Opening a wallet: its draft, stated once (handlers/ui/draft.py says how drafts are kept).

``OpeningDraft`` (``user_data["draft:onboarding"]``) gathers what the person types, step by step;
the step itself is kept beside it (``user_data["onboarding:step"]``, handlers/onboarding/prompts.py).
Whatever identifies the person (phone, name, ID number, card number) is kept only encrypted with
the wallet's PII key (``wallet.pii``) and dropped once the card is bound; the rest is what the
screens show.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from handlers.ui.draft import Draft, later

Secret = Literal["phone", "name", "id", "card"]
SECRETS: tuple[Secret, ...] = ("phone", "name", "id", "card")


@dataclass(frozen=True, kw_only=True)
class OpeningDraft(Draft):
    """Every field is absent until its step. ``nonce`` gives the wallet's opening key,
    ``bind_nonce`` the card binding's (a new card typed: a new binding)."""

    FEATURE: ClassVar[str] = "onboarding"

    phone: str | None = later()       # encrypted: the phone shared (own contact)
    phone_ok: bool = later(False)     # its SMS code was right
    name: str | None = later()        # encrypted: the real name
    id: str | None = later()          # encrypted: the ID number
    id_masked: str | None = later()   # the ID number as shown back ("1101**********002X")
    card: str | None = later()        # encrypted: the card number
    bank_zh: str | None = later()     # the bank recognised from the card number, its names
    bank_en: str | None = later()
    card_type: str | None = later()   # "debit" or "credit"
    last4: str | None = later()
    bind_nonce: str | None = later()  # the card binding's nonce: one per card number typed

    def secret(self, pii, field: Secret) -> str | None:
        """A secret decrypted (``pii``: the wallet's ``wallet.pii`` codec), None before its step."""
        value = getattr(self, field)
        return pii.decrypt(value) if value else None

    def with_secret(self, pii, field: Secret, value: str) -> "OpeningDraft":
        return self.replace(**{field: pii.encrypt(value)})

    def without_secrets(self) -> "OpeningDraft":
        """Once the card is bound: nothing secret is needed any more."""
        return self.replace(**{field: None for field in SECRETS})
