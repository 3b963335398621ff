"""The wallet home's buttons, ``home:<name>``: one class each, built by the home screen
(handlers/home/screen.py) and taken by the feature each one opens.

A feature's conversation takes its own home button as an entry point, importing the class from
here (never re-exported from the feature's callbacks.py: the prefix ``home`` is the home's)::

    from handlers.home import callbacks as home_buttons
    CallbackQueryHandler(start, pattern=home_buttons.TopUp.pattern())   # "home:topup"

``Back`` is every flow's way home (``entry.home_button``, ``entry.home_fallback``); ``Pressed``
parses any of them, for the home's own handler of those no flow took (handlers/home/screen.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from handlers.ui.callbacks import Button

PREFIX = "home"


@dataclass(frozen=True)
class TopUp(Button, prefix=PREFIX, verb="topup"):
    """Top up (handlers/topup_withdraw/topup.py)."""


@dataclass(frozen=True)
class Withdraw(Button, prefix=PREFIX, verb="withdraw"):
    """Withdraw (handlers/topup_withdraw/withdraw.py)."""


@dataclass(frozen=True)
class Transfer(Button, prefix=PREFIX, verb="transfer"):
    """Transfer (handlers/transfer/flow.py)."""


@dataclass(frozen=True)
class RedPacket(Button, prefix=PREFIX, verb="redpacket"):
    """Red packets: how to send one (handlers/red_packet/hongbao.py)."""


@dataclass(frozen=True)
class Pay(Button, prefix=PREFIX, verb="pay"):
    """Pay / collect (handlers/shop/receive.py)."""


@dataclass(frozen=True)
class Bills(Button, prefix=PREFIX, verb="bills"):
    """Bills (handlers/bills/listing.py)."""


@dataclass(frozen=True)
class Cards(Button, prefix=PREFIX, verb="cards"):
    """Bank cards (handlers/cards/menu.py)."""


@dataclass(frozen=True)
class Security(Button, prefix=PREFIX, verb="security"):
    """Security (handlers/security/menu.py)."""


@dataclass(frozen=True)
class Settings(Button, prefix=PREFIX, verb="settings"):
    """Settings (handlers/settings/menu.py)."""


@dataclass(frozen=True)
class Refresh(Button, prefix=PREFIX, verb="refresh"):
    """The home again, in place (the balance refreshed)."""


@dataclass(frozen=True)
class Back(Button, prefix=PREFIX, verb="back"):
    """The home again, in place: every flow's way home (a flow waiting ends)."""


@dataclass(frozen=True)
class Pressed(Button, prefix=PREFIX):
    """Any ``home:<name>`` (one of the above, or an old or crafted name): the home's own handler,
    after every flow, for the presses no flow took."""

    name: str


# the feature buttons on the home screen, by the name they carry
FEATURES: dict[str, type[Button]] = {b.verb: b for b in (TopUp, Withdraw, Transfer, RedPacket, Pay, Bills, Cards,
                                                           Security, Settings)}

# the notices' button actions (wallet.outbox.action) and the buttons they are (jobs/outbox.py)
OUTBOX_ACTIONS = {"home.topup": TopUp}
