"""The security flow's buttons: the menu's ``sec:<verb>`` (each an entry point of the conversation,
working from any menu message, also an old one) and the freeze confirmation ``sfz:<yes|no>:0:<nonce>``.

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


# "Freeze now?" yes / no: ``sfz:<yes|no>:0:<the draft's nonce>`` (``confirm_button`` is
# ``handlers.ui.confirm.button``, taken from handlers/ui/callbacks.py: handlers/ui/entry.py sends
# ``Unfreeze``, and the confirm screens import entry)
FreezeConfirm = confirm_button("sfz")
