"""Every button of the abnormal-transaction reports, stated once: the same class builds the
callback_data, registers the handler (``pattern=X.pattern()``) and parses the press
(handlers/ui/callbacks.py).

The reporter's (prefix ``ticket``):

    ticket:pick:0                  Pick      /report's bill picker (also the security menu's button)
    ticket:report:<journal id>     Report    report this bill (a bill's "I don't recognise this")
    ticket:why|skip|no:<i>:<nonce> Confirm   what is wrong (the i-th reason), skip the description,
                                             cancel: the live draft's screens (handlers/ui/confirm.py)
    ticket:freeze:<ticket id>      Freeze    freeze my wallet now (no PIN)
    ticket:list:0                  Mine      my reports (/tickets)
    ticket:show:<ticket id>        Show      one report with its history (also on the notices)

The admins' (prefix ``tka``), each ``tka:<verb>:<ticket id>``: Reply, Resolve, Evidence, ShowCard,
FreezeAsk (freeze the counterparty?), FreezeYes, FreezeNo. The outbox's notices name their buttons
by action (wallet/services/ticket_notices.py); ``OUTBOX_ACTIONS`` says which button each is.

A ``ticket:`` or ``tka:`` press none of these parses is refused by the feature's own catch-all
(``is_ticket``, ``is_admin_press``).
"""
from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton

from handlers.ui import confirm
from handlers.ui.callbacks import Button, Fixed

PREFIX = "ticket"
ADMIN_PREFIX = "tka"

Confirm = confirm.button(PREFIX)  # ticket:why|skip|no:<reason index or 0>:<nonce>


# --- the reporter's ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pick(Fixed, prefix=PREFIX, verb="pick"):
    pass


@dataclass(frozen=True)
class Mine(Fixed, prefix=PREFIX, verb="list"):
    pass


@dataclass(frozen=True)
class Report(Button, prefix=PREFIX, verb="report"):
    journal_id: int


@dataclass(frozen=True)
class Freeze(Button, prefix=PREFIX, verb="freeze"):
    ticket_id: int


@dataclass(frozen=True)
class Show(Button, prefix=PREFIX, verb="show"):
    ticket_id: int


# --- the admins' -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdminButton(Button, prefix=ADMIN_PREFIX):
    """``tka:<verb>:<ticket id>`` (the verb is the subclass's)."""

    ticket_id: int


@dataclass(frozen=True)
class Reply(AdminButton, verb="reply"):
    pass


@dataclass(frozen=True)
class Resolve(AdminButton, verb="resolve"):
    pass


@dataclass(frozen=True)
class Evidence(AdminButton, verb="evidence"):
    pass


@dataclass(frozen=True)
class ShowCard(AdminButton, verb="show"):
    pass


@dataclass(frozen=True)
class FreezeAsk(AdminButton, verb="freeze"):
    pass


@dataclass(frozen=True)
class FreezeYes(AdminButton, verb="freezeok"):
    pass


@dataclass(frozen=True)
class FreezeNo(AdminButton, verb="freezeno"):
    pass


# the notices' button actions (wallet.outbox.action) and the buttons they are (jobs/outbox.py)
OUTBOX_ACTIONS = {"ticket.show": Show, "tka.reply": Reply, "tka.resolve": Resolve, "tka.freeze": FreezeAsk,
                  "tka.evidence": Evidence}


def is_ticket(data: object) -> bool:
    """Any ``ticket:`` press (the reporter's catch-all, after every button above)."""
    return isinstance(data, str) and data.startswith(PREFIX + ":")


def is_admin_press(data: object) -> bool:
    """Any ``tka:`` press (the admins' catch-all, after every button above)."""
    return isinstance(data, str) and data.startswith(ADMIN_PREFIX + ":")


def button(label: str, press: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=press.data())

