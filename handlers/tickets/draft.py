"""The abnormal-transaction reports' drafts, stated once (handlers/ui/draft.py says how drafts are kept).

- ``ReportDraft`` (``user_data["draft:ticket"]``): a person reporting a bill (handlers/tickets/report.py):
  the bill picked, then what is wrong, then a description (or none) opens the report.
- ``ReplyDraft`` (``user_data["draft:tka"]``): an admin's reply to a report, waiting for its text
  (handlers/tickets/admin.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from handlers.ui.draft import Draft, later


@dataclass(frozen=True, kw_only=True)
class ReportDraft(Draft):
    """``step``: ``why`` (the bill picked: the reasons are shown), ``details`` (a reason pressed:
    a description is asked for, or skip)."""

    FEATURE: ClassVar[str] = "ticket"

    journal_id: int                # the bill reported (the person's own: checked by the wallet)
    reason: str | None = later()   # one of ``tickets.REASONS``; absent until pressed

    @property
    def step(self) -> Literal["why", "details"]:
        return "details" if self.reason else "why"


@dataclass(frozen=True, kw_only=True)
class ReplyDraft(Draft):
    """The report an admin pressed Reply on; their next text is the reply."""

    FEATURE: ClassVar[str] = "tka"

    ticket_id: int
    number: str                    # the report's number, as the admin is told it
