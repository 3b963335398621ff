"""The security flow's buttons: the menu's ``sec:<verb>`` (each an entry point of the conversation,
working from any menu message, also an old one) and the freeze confirmation ``sfz:<yes|no>:0:<nonce>``;
the anti-theft settings' (防盗设置, handlers/security/antitheft.py) ``sec:theft`` (the screen),
``ats:set:<sms|night|newpay|nopin>`` (change one) and ``ats:<off|no>:0:<nonce>`` (turn it off, cancel:
the live draft's); ``sec:checks``, the recent safety checks (handlers/security/checks.py).

``Unfreeze`` is also under every "your wallet is frozen" notice (handlers/ui/entry.py) and
``Forgot`` under a locked PIN's notice (handlers/ui/keypad_lock.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from handlers.ui.callbacks import Button, confirm_button

PREFIX = "sec"


@dataclass(frozen=True)
class Change(Button, prefix=PREFIX, verb="change"):
    """Change the PIN (old, then new twice)."""


@dataclass(frozen=True)
class Forgot(Button, prefix=PREFIX, verb="forgot"):
    """Forgot the PIN (ID number + SMS code -> new PIN twice); a reset lifts a lock."""


@dataclass(frozen=True)
class Freeze(Button, prefix=PREFIX, verb="freeze"):
    """Freeze now (asks once, ``FreezeConfirm``)."""


@dataclass(frozen=True)
class Unfreeze(Button, prefix=PREFIX, verb="unfreeze"):
    """Unfreeze (PIN + ID number + SMS code)."""


@dataclass(frozen=True)
class Tips(Button, prefix=PREFIX, verb="tips"):
    """The security tips."""


@dataclass(frozen=True)
class AntiTheft(Button, prefix=PREFIX, verb="theft"):
    """The anti-theft settings (防盗设置): each with its state and a button to change it."""


@dataclass(frozen=True)
class Checks(Button, prefix=PREFIX, verb="checks"):
    """Recent safety checks: what risk control decided about the person's payments, and why."""


THEFT_PREFIX = "ats"
THEFT_SETTINGS = ("sms", "night", "newpay", "nopin")  # SMS above ¥X, night lock, new recipients wait, 免密支付


@dataclass(frozen=True)
class TheftSetting(Button, prefix=THEFT_PREFIX, verb="set"):
    """``ats:set:<setting>``: change that anti-theft setting (one of ``THEFT_SETTINGS``)."""

    setting: str

    @classmethod
    def parse(cls, data: object):
        press = super().parse(data)
        return press if press is not None and press.setting in THEFT_SETTINGS else None


# the amount step's Off / Cancel: ``ats:<off|no>:0:<the draft's nonce>`` (an old prompt's is refused)
TheftConfirm = confirm_button(THEFT_PREFIX)


def is_theft(data: object) -> bool:
    """Any ``ats:`` press (the anti-theft settings' catch-all, after every button above)."""
    return isinstance(data, str) and data.startswith(THEFT_PREFIX + ":")


# "Freeze now?" yes / no: ``sfz:<yes|no>:0:<the draft's nonce>`` (``confirm_button`` is
# ``handlers.ui.confirm.button``, taken from handlers/ui/callbacks.py: handlers/ui/entry.py sends
# ``Unfreeze``, and the confirm screens import entry)
FreezeConfirm = confirm_button("sfz")
