"""The security flow's drafts, stated once (handlers/ui/draft.py says how drafts are kept).

``SecurityDraft`` (``user_data["draft:security"]``) only carries the nonce of a freeze or an
unfreeze: the operation's idempotency key (the PIN and the ID number typed are held in memory
only, handlers/ui/held.py, never in a draft).

``AntiTheftDraft`` (``user_data["draft:antitheft"]``): one change of an anti-theft setting, from
the button to the PIN: which setting, the first amount of 免密支付 (per payment) until the day's
is typed, and the changes ``risk_settings.set_prefs`` gets once all is known (its nonce: the key).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Mapping

from handlers.ui.draft import Draft, later


@dataclass(frozen=True, kw_only=True)
class SecurityDraft(Draft):
    FEATURE: ClassVar[str] = "security"  # the conversation's name too (persisted with its states: never rename)

    action: Literal["freeze", "unfreeze"]  # what the nonce is for: "Freeze now?" asked, or the unfreeze's steps


@dataclass(frozen=True, kw_only=True)
class AntiTheftDraft(Draft):
    FEATURE: ClassVar[str] = "antitheft"  # the conversation's name too (persisted with its states: never rename)

    setting: Literal["sms", "night", "newpay", "nopin"]
    each: int | None = later()                      # fen: 免密支付's per-payment amount, before the day's
    changes: Mapping[str, Any] | None = later()     # set_prefs's changes (fen or None; night_lock a bool): the PIN step
