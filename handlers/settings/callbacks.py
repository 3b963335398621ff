"""The settings' buttons, ``set:<verb>[:<value>]``: one class each. The menu's handler takes every
press under ``set:`` (``ours``); one that is none of these (an old or crafted one) is answered on
the settings screen itself ("this button is no longer valid")."""
from __future__ import annotations

from dataclasses import dataclass

from handlers.ui.callbacks import Button

PREFIX = "set"


@dataclass(frozen=True)
class Menu(Button, prefix=PREFIX, verb="menu"):
    """The settings menu (again)."""


@dataclass(frozen=True)
class Language(Button, prefix=PREFIX, verb="lang"):
    """``set:lang:<zh|en>``: switch to that language."""

    code: str

    CODES = {"zh": "zh_CN", "en": "en"}  # what the button carries -> the language

    @classmethod
    def parse(cls, data: object) -> "Language | None":
        press = super().parse(data)
        return press if press is not None and press.code in cls.CODES else None


@dataclass(frozen=True)
class Zones(Button, prefix=PREFIX, verb="tzs"):
    """The list of common time zones."""


@dataclass(frozen=True)
class Zone(Button, prefix=PREFIX, verb="tz"):
    """``set:tz:<index>``: the common zone at that index of the list (handlers/settings/menu.py ZONES)."""

    index: int


@dataclass(frozen=True)
class TypeZone(Button, prefix=PREFIX, verb="tztype"):
    """Type any IANA zone name."""


@dataclass(frozen=True)
class Cards(Button, prefix=PREFIX, verb="cards"):
    """The cards, to choose the default one."""


@dataclass(frozen=True)
class Card(Button, prefix=PREFIX, verb="card"):
    """``set:card:<card_id>``: make this card the default."""

    card_id: int


BUTTONS = (Menu, Language, Zones, Zone, TypeZone, Cards, Card)


def parse(data: object) -> Button | None:
    """The settings button ``data`` names, or None (an old or crafted press under ``set:``)."""
    return next((press for button in BUTTONS if (press := button.parse(data)) is not None), None)


def ours(data: object) -> bool:
    """For the menu's handler: any press under ``set:``, a button above or not."""
    return isinstance(data, str) and data.startswith(PREFIX + ":")
