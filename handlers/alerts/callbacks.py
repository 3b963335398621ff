"""The alert settings' buttons, ``alr:<verb>[:<value>]``: one class each (a setting turned off is
its own class, ``alr:<low|quiet|pin>:off``). The flow's handler takes every press under ``alr:``
(``ours``): one that names no button, or a value the screen does not offer (handlers/alerts/settings.py
``parse``), is refused with a popup and changes nothing."""
from __future__ import annotations

from dataclasses import dataclass

from handlers.ui.callbacks import Button

PREFIX = "alr"
OFF = "off"


@dataclass(frozen=True)
class Menu(Button, prefix=PREFIX, verb="menu"):
    """The alert settings (from the settings menu)."""


@dataclass(frozen=True)
class LowType(Button, prefix=PREFIX, verb="lowtype"):
    """Type a low-balance threshold."""


@dataclass(frozen=True)
class Low(Button, prefix=PREFIX, verb="low"):
    """``alr:low:<fen>``: remind when the balance is below this."""

    fen: int


@dataclass(frozen=True)
class Tips(Button, prefix=PREFIX, verb="tips"):
    """``alr:tips:<daily|weekly|off>``: how often a security tip comes."""

    frequency: str


@dataclass(frozen=True)
class Quiet(Button, prefix=PREFIX, verb="quiet"):
    """``alr:quiet:<index>``: the quiet hours preset at that index."""

    index: int


@dataclass(frozen=True)
class PinAge(Button, prefix=PREFIX, verb="pin"):
    """``alr:pin:<days>``: remind to change a PIN this many days old."""

    days: int


@dataclass(frozen=True)
class _Off(Button):
    """``alr:<verb>:off``: that setting turned off (nothing else parses)."""

    off: str = OFF

    @classmethod
    def parse(cls, data: object):
        press = super().parse(data)
        return press if press is not None and press.off == OFF else None


@dataclass(frozen=True)
class LowOff(_Off, prefix=PREFIX, verb="low"):
    """No low-balance reminder."""


@dataclass(frozen=True)
class QuietOff(_Off, prefix=PREFIX, verb="quiet"):
    """No quiet hours."""


@dataclass(frozen=True)
class PinAgeOff(_Off, prefix=PREFIX, verb="pin"):
    """No PIN-age reminder."""


BUTTONS = (Menu, LowType, Low, LowOff, Tips, Quiet, QuietOff, PinAge, PinAgeOff)


def parse(data: object) -> Button | None:
    """The alert-settings button ``data`` names (its value not yet checked against what the screen
    offers), or None."""
    return next((press for button in BUTTONS if (press := button.parse(data)) is not None), None)


def ours(data: object) -> bool:
    """For the flow's handler: any press under ``alr:``, a button above or not."""
    return isinstance(data, str) and data.startswith(PREFIX + ":")
