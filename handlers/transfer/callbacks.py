"""Every button the transfer feature sends, stated once (typed ``handlers.ui.callbacks.Button``):
the same class builds the callback_data, registers the handler (``X.pattern()``) and parses the press.

callback_data (prefix ``tf``):

- ``tf:acc:<transfer id>`` / ``tf:ret:<transfer id>``: Accept / Return on the card its recipient
  gets (``Accept`` / ``Return``);
- ``tf:rev:<transfer id>``: Revoke, on the sender's copy of a delayed transfer and on a live inline
  card nobody took yet (``Revoke``);
- ``tf:take:<transfer id>``: Accept on a live inline card, for the first taker (``Take``);
- ``tf:<action>:<row id>:<nonce>``: the sender's own screens (``Confirm``, the draft's nonce):
  ``skip`` (no note), ``delay`` (row id: the seconds until it arrives), ``ok`` (confirm), ``st`` /
  ``sc`` (余额不足, handlers/ui/shortfall.py), ``no`` (cancel).

The wallet checks who may press what; a press that does not parse as one of these is answered by
the catch-all (handlers/fallback.py: "this button is no longer valid" and the current screen).

Also carried back to the bot, though not callback_data:

- inline result ids: ``tf:<nonce>`` ("Transfer ¥20", the waiting draft's nonce: ``InlineResult``)
  and ``tf:refused:note`` (a note too long: ``InlineRefused``);
- deep links (``?start=…``): ``tf_<transfer id>`` shows a card to its recipient (``card_link``),
  ``tfi_<nonce>`` confirms an inline card in the private chat (``inline_link``); ``wallet`` opens
  a wallet (``OPEN_WALLET``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.ui import confirm
from handlers.ui.callbacks import Button, row_id


# --- the cards ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Accept(Button, prefix="tf", verb="acc"):
    """Accept, on the card sent to the recipient."""

    transfer_id: int


@dataclass(frozen=True)
class Return(Button, prefix="tf", verb="ret"):
    """Return (退还), on the card sent to the recipient."""

    transfer_id: int


@dataclass(frozen=True)
class Revoke(Button, prefix="tf", verb="rev"):
    """Revoke / Take back: the sender, before a delayed transfer arrives or before anyone took an inline one."""

    transfer_id: int


@dataclass(frozen=True)
class Take(Button, prefix="tf", verb="take"):
    """Accept on an inline card (names nobody): the first person other than the sender."""

    transfer_id: int


CardPress = Accept | Return | Revoke | Take
CARD_BUTTONS: tuple[type[CardPress], ...] = (Accept, Return, Revoke, Take)


def card_press(data: object) -> CardPress | None:
    """The card button this data names, or None."""
    for button in CARD_BUTTONS:
        press = button.parse(data)
        if press is not None:
            return press
    return None


# --- the sender's screens (note, arrival, confirm, 余额不足, cancel) -----------------------------------
Confirm = confirm.button("tf")


# --- inline results and deep links -------------------------------------------------------------------
@dataclass(frozen=True)
class InlineResult(Button, prefix="tf"):
    """The id of the "Transfer ¥20" inline result (``tf:<nonce>``): its chosen card is the draft's."""

    nonce: str


@dataclass(frozen=True)
class InlineRefused(Button, prefix="tf", verb="refused"):
    """The id of the one inline result that says why no transfer is offered (``tf:refused:note``)."""

    reason: str


OPEN_WALLET = "wallet"  # the deep link that opens a wallet (onboarding's)
CARD_LINK = re.compile(r"^/start(?:@\w+)? tf_(\d{1,12})$")                 # /start tf_<transfer id>
INLINE_LINK = re.compile(r"^/start(?:@\w+)? tfi_([A-Za-z0-9_-]{6,16})$")   # /start tfi_<nonce>


def card_link(transfer_id: int) -> str:
    """The deep link's payload that shows the transfer's card to its recipient."""
    return f"tf_{int(transfer_id)}"


def card_link_id(text: str | None) -> int | None:
    """The transfer id of ``/start tf_<id>``; None when the text is not one or the id cannot be a row id."""
    found = CARD_LINK.match(text or "")
    return row_id(found.group(1)) if found else None


def inline_link(nonce: str) -> str:
    """The deep link's payload that confirms an inline card in the private chat."""
    return f"tfi_{nonce}"


def inline_link_nonce(text: str | None) -> str | None:
    found = INLINE_LINK.match(text or "")
    return found.group(1) if found else None
