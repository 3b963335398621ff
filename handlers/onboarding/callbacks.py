"""The buttons of opening a wallet, ``ob:<verb>``: each taken only by the step that shows it (a
press on an older step's button falls through to the catch-all: "this button is no longer valid").
"""
from __future__ import annotations

from dataclasses import dataclass

from chat.i18n import LANGUAGES
from handlers.ui.callbacks import Button

PREFIX = "ob"


@dataclass(frozen=True)
class Language(Button, prefix=PREFIX, verb="lang"):
    """``ob:lang:<zh_CN|en>``: the language, the first step."""

    code: str

    @classmethod
    def parse(cls, data: object) -> "Language | None":
        press = super().parse(data)
        return press if press is not None and press.code in LANGUAGES else None


@dataclass(frozen=True)
class Go(Button, prefix=PREFIX, verb="go"):
    """Open my wallet (after what the wallet is and stores)."""


@dataclass(frozen=True)
class Resend(Button, prefix=PREFIX, verb="resend"):
    """A new SMS code: the phone's (its code step) or the card's (the card's code step)."""


@dataclass(frozen=True)
class OtherCard(Button, prefix=PREFIX, verb="card"):
    """Use another card: back to the card number."""


@dataclass(frozen=True)
class RetypeIdentity(Button, prefix=PREFIX, verb="name"):
    """Type the name and ID number again (the bank found them not matching the card)."""


@dataclass(frozen=True)
class Retry(Button, prefix=PREFIX, verb="retry"):
    """Try again after the bank timed out (a new code for the same card)."""
