"""A bill detail's draft, stated once (handlers/ui/draft.py says how drafts are kept).

``DetailDraft`` (``user_data["draft:bills"]``) is kept when a detail (handlers/bills/detail.py)
shows a transfer's Accept / Return or Revoke: its nonce is in those buttons, and a press is
honoured only for this transfer and these verbs. The same draft is kept when the detail is drawn
again after its button was pressed; a new detail, a new draft.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from handlers.ui.draft import Draft, stored_as


@dataclass(frozen=True, kw_only=True)
class DetailDraft(Draft):
    FEATURE: ClassVar[str] = "bills"  # the draft's and the export conversation's name (persisted: never rename)

    tid: int                          # the transfer the buttons act on
    jid: int | None = None            # the bill line shown (a sent transfer); None: a transfer waiting for the person
    view: str = ""                    # the list's page and filters to go back to (``View.token``)
    verbs: tuple[str, ...] = stored_as(tuple, ())  # the buttons shown: ("rev",) or ("acc", "ret")

    def offers(self, verb: str) -> bool:
        return verb in self.verbs
