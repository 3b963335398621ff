"""What a red packet the sender asked for is, stated once (the typed draft of the flow).

``total`` is always the whole packet in fen; ``amount`` is what the wallet's ``red_packets``
service takes: the amount of one share for an equal packet, the total for lucky and exclusive
ones. Drafts in ``user_data`` keep the fields of ``as_draft()`` (JSON, persisted); ``of(draft)``
reads them back."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Kind = Literal["lucky", "equal", "exclusive"]


@dataclass(frozen=True)
class PacketSpec:
    kind: Kind
    total: int            # fen, the whole packet
    shares: int
    greeting: str | None = None

    @property
    def amount(self) -> int:
        """What ``red_packets.create``/``validate`` take as ``amount``: per share for equal packets."""
        return self.total // self.shares if self.kind == "equal" else self.total

    def as_draft(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, draft: dict) -> "PacketSpec":
        return cls(kind=draft["kind"], total=int(draft["total"]), shares=int(draft["shares"]),
                   greeting=draft.get("greeting"))
