"""Every button of risk control's admin side, stated once (prefix ``risk``): the same class builds
the callback_data, registers the handler (``pattern=X.pattern()``) and parses the press
(handlers/ui/callbacks.py).

    risk:release:<hold id>     Release     release this held payment? (asks first)
    risk:return:<hold id>      Return      return it to the payer? (asks first)
    risk:releaseok:<hold id>   ReleaseYes  yes, release it
    risk:returnok:<hold id>    ReturnYes   yes, return it
    risk:keep:<hold id>        Keep        no: leave it in review
    risk:list:0                Review      /risk again (held payments, recent freezes)

The admins' notice of a held payment (wallet/services/risk_holds.py ``hold``) names its buttons by
action: ``OUTBOX_ACTIONS`` says which button each is (bot/app.py gives them to jobs/outbox.py).
Only admins (``Settings.admin_ids``) may press any of them; a ``risk:`` press none of these parses
is refused by the feature's own catch-all (``is_risk``).
"""
from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton

from handlers.ui.callbacks import Button, Fixed

PREFIX = "risk"


@dataclass(frozen=True)
class HoldButton(Button, prefix=PREFIX):
    """``risk:<verb>:<hold id>`` (the verb is the subclass's)."""

    hold_id: int


@dataclass(frozen=True)
class Release(HoldButton, verb="release"):
    pass


@dataclass(frozen=True)
class Return(HoldButton, verb="return"):
    pass


@dataclass(frozen=True)
class ReleaseYes(HoldButton, verb="releaseok"):
    pass


@dataclass(frozen=True)
class ReturnYes(HoldButton, verb="returnok"):
    pass


@dataclass(frozen=True)
class Keep(HoldButton, verb="keep"):
    pass


@dataclass(frozen=True)
class Review(Fixed, prefix=PREFIX, verb="list"):
    pass


HOLD_BUTTONS = (Release, Return, ReleaseYes, ReturnYes, Keep)

# the notices' button actions (wallet.outbox.action) and the buttons they are (jobs/outbox.py)
OUTBOX_ACTIONS = {"risk.release": Release, "risk.return": Return}


def is_risk(data: object) -> bool:
    """Any ``risk:`` press (the catch-all, after every button above)."""
    return isinstance(data, str) and data.startswith(PREFIX + ":")


def button(label: str, press: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=press.data())
