"""The buttons under the welcome of handlers/start/help.py (a private /start no other flow took):
``st:help``, ``st:about``, ``st:lang``."""
from __future__ import annotations

from dataclasses import dataclass

from handlers.ui.callbacks import Button

PREFIX = "st"


@dataclass(frozen=True)
class Help(Button, prefix=PREFIX, verb="help"):
    """What the bot can do (the /help text)."""


@dataclass(frozen=True)
class About(Button, prefix=PREFIX, verb="about"):
    """About the bot, in a popup."""


@dataclass(frozen=True)
class Language(Button, prefix=PREFIX, verb="lang"):
    """Switch between zh-CN and English (the welcome redrawn)."""
