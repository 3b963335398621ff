"""The security flow's draft, stated once (handlers/ui/draft.py says how drafts are kept).

``SecurityDraft`` (``user_data["draft:security"]``) only carries the nonce of a freeze or an
unfreeze: the operation's idempotency key (the PIN and the ID number typed are held in memory
only, handlers/ui/held.py, never in a draft).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from handlers.ui.draft import Draft


@dataclass(frozen=True, kw_only=True)
class SecurityDraft(Draft):
    FEATURE: ClassVar[str] = "security"  # the conversation's name too (persisted with its states: never rename)

    action: Literal["freeze", "unfreeze"]  # what the nonce is for: "Freeze now?" asked, or the unfreeze's steps
