"""The transfer's drafts, stated once (handlers/ui/draft.py says how drafts are kept).

``TransferDraft`` (``user_data["draft:transfer"]``) is what the sender is about to send, from
whichever door it came: the private flow (person -> amount -> note -> arrival -> confirm), the
group's ``/transfer 20 note`` by reply and an inline card's deep link (both start at the confirm
screen: amount, note and arrival set at once). ``InlineWaiting``
(``user_data["draft:transfer_inline"]``) is an inline card waiting for its sender's PIN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from handlers.ui.draft import Draft, PaymentDraft, later

Step = Literal["amount", "note", "delay", "confirm"]


@dataclass(frozen=True, kw_only=True)
class TransferDraft(PaymentDraft):
    """A transfer being made. ``step`` is where the private flow waits: ``amount`` (the person
    picked), ``note`` (amount typed), ``delay`` (note typed or skipped), ``confirm`` (arrival
    chosen: the confirm screen, then the PIN; the 余额不足 choices are ``PaymentDraft``'s)."""

    FEATURE: ClassVar[str] = "transfer"  # the conversation's name and the draft's (persisted: never rename)

    recipient_id: int | None = None   # who receives it; None for an inline card (the first to accept)
    name: str = ""                    # how the recipient is shown ("anyone" for an inline card)
    newcomer: bool | None = later()   # True: no wallet yet, the money waits 24 h for them; None: not asked (inline)
    amount: int | None = later()      # fen the sender sends; absent until the amount step
    note: str | None = later()        # the note ("" when skipped); absent until the note step
    delay: int | None = later()       # seconds until it arrives (0, 2 h, 24 h); absent until chosen
    group_chat: int | None = later()  # /transfer by reply: the group the recipient's card goes to
    inline: str | None = later()      # an inline card: its inline_message_id (the card goes live there)

    @property
    def step(self) -> Step:
        if self.amount is None:
            return "amount"
        if self.delay is not None:
            return "confirm"
        return "note" if self.note is None else "delay"

    def with_note(self, note: str) -> "TransferDraft":
        return self.replace(note=note)

    def with_delay(self, seconds: int) -> "TransferDraft":
        return self.replace(delay=seconds)

    def send_extras(self) -> dict[str, Any]:
        """The ``transfers.send`` arguments a recipient who may not have a wallet yet adds."""
        if self.newcomer:
            return {"to_newcomer": True, "recipient_name": self.name}
        return {}


@dataclass(frozen=True, kw_only=True)
class InlineWaiting(Draft):
    """An inline transfer card (``@bot 20 note``) waiting for its sender's PIN: kept when the
    result is offered, ``card`` once it is posted; ``/start tfi_<nonce>`` turns it into a
    ``TransferDraft`` at the confirm screen. A newer inline query replaces it."""

    FEATURE: ClassVar[str] = "transfer_inline"

    amount: int                    # fen
    note: str = ""                 # "" for none
    sender: str = ""               # the sender's first name, as the card shows it
    card: dict | None = later()    # once posted: {"inline": inline_message_id} (handlers/ui/card.py)

    @property
    def inline_message_id(self) -> str | None:
        return (self.card or {}).get("inline")

    def posted(self, inline_message_id: str) -> "InlineWaiting":
        return self.replace(card={"inline": inline_message_id})
