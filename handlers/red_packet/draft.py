"""The red packet's draft, stated once (handlers/ui/draft.py says how drafts are kept).

``PacketDraft`` (``user_data["draft:hongbao"]``) is a packet waiting for its sender's PIN: made by
``/hongbao`` in a group (handlers/red_packet/hongbao.py) or when the inline result is offered
(handlers/red_packet/inline.py), confirmed in the private chat (handlers/red_packet/confirm.py).
What the packet is (kind, total, shares, greeting) is ``PacketSpec``'s, kept flat in the same
dict; a newer packet replaces it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from handlers.red_packet.spec import Kind, PacketSpec
from handlers.ui.draft import PaymentDraft, later


@dataclass(frozen=True, kw_only=True)
class PacketDraft(PaymentDraft):
    """A red packet before the PIN. It can be confirmed once ``card`` is set (the waiting card
    was posted); the 余额不足 choices are ``PaymentDraft``'s."""

    FEATURE: ClassVar[str] = "hongbao"

    kind: Kind                          # PacketSpec: lucky, equal or exclusive
    total: int                          # PacketSpec: fen, the whole packet (what the sender pays)
    shares: int                         # PacketSpec
    greeting: str | None = None         # PacketSpec: None for the default greeting
    chat_id: int | None = None          # the group it goes to; None inline
    exclusive_user_id: int | None = None  # an exclusive packet's member (None: anyone in the group)
    exclusive_name: str | None = None   # that member's first name, for the card
    sender: str | None = None           # the sender's first name, for the card
    sender_id: int | None = None        # the sender (the confirm link's owner tag is made from it)
    card: dict | None = later()         # where the waiting card is, once posted (handlers/ui/card.py ``where``)

    @property
    def spec(self) -> PacketSpec:
        """What the packet is; ``spec.amount`` is what ``red_packets.create`` takes."""
        return PacketSpec(kind=self.kind, total=self.total, shares=self.shares, greeting=self.greeting)

    def posted(self, where: dict) -> "PacketDraft":
        return self.replace(card=where)
