"""Every button the red-packet feature sends, stated once (typed ``handlers.ui.callbacks.Button``):
the same class builds the callback_data, registers the handler (``X.pattern()``) and parses the press.

callback_data:

- ``rp:open:<packet id>:<card token>``: "Open 拆" on the live card (``Open``);
- ``rp:info:<packet id>:<card token>``: "Details" on the live card (``Details``). The token is the
  card's own (the draft's nonce): a press is honoured only on the card kept for that packet with
  that token (handlers/red_packet/claim.py);
- any other ``rp:`` data (an unknown verb, a token that cannot be one) is answered by the card's own
  refusal, kinder than the catch-all: "this button is not valid, nothing changed" (``other_press``);
- ``hb:<action>:0:<nonce>``: the sender's confirm in private when the balance is short (余额不足:
  ``st`` / ``sc``, handlers/ui/shortfall.py) and Cancel (``no``): ``Confirm``, the draft's nonce.

Also carried back to the bot, though not callback_data:

- inline result ids: ``hb:<nonce>`` ("Red packet ¥20", the draft's nonce: ``InlineResult``) and
  ``hb:refused:<msgid>`` (why no packet is offered: ``InlineRefused``);
- deep links (``?start=…``): ``hb_<nonce>_<owner tag>`` confirms the waiting card in the private
  chat (``confirm_link``; older links carry no tag), ``rp`` opens a wallet (``OPEN_WALLET``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.ui import confirm
from handlers.ui.callbacks import Button


# --- the live card ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Open(Button, prefix="rp", verb="open"):
    """"Open 拆": claim a share."""

    packet_id: int
    token: str


@dataclass(frozen=True)
class Details(Button, prefix="rp", verb="info"):
    """"Details": who got what, in a popup."""

    packet_id: int
    token: str


def other_press(data: object) -> bool:
    """Any other data under the card's prefix: refused by the card's own words (handlers/red_packet/claim.py)."""
    return isinstance(data, str) and data.split(":", 1)[0] == Open.prefix


# --- the sender's confirm in private (余额不足, cancel) ----------------------------------------------
Confirm = confirm.button("hb")


# --- inline results and deep links -------------------------------------------------------------------
@dataclass(frozen=True)
class InlineResult(Button, prefix="hb"):
    """The id of the "Red packet ¥20" inline result (``hb:<nonce>``): its chosen card is the draft's."""

    nonce: str


@dataclass(frozen=True)
class InlineRefused(Button, prefix="hb", verb="refused"):
    """The id of the one inline result that says why no packet is offered (``hb:refused:<msgid>``)."""

    reason: str


OPEN_WALLET = "rp"  # the deep link that opens a wallet from a red packet (onboarding's)
# ``/start hb_<nonce>_<owner tag>`` (the tag tells the sender's link from someone else's; older links
# carry no tag): group 1 the nonce, group 2 the tag
CONFIRM_LINK = re.compile(r"^/start(?:@\w+)? hb_([A-Za-z0-9_-]{6,16}?)(?:_([0-9a-f]{6}))?$")


def confirm_link(nonce: str, tag: str) -> str:
    """The deep link's payload that confirms the waiting card in the private chat."""
    return f"hb_{nonce}_{tag}"


def confirm_link_parts(text: str | None) -> tuple[str, str | None] | None:
    """(nonce, owner tag or None) of ``/start hb_<nonce>[_<tag>]``; None when the text is not one."""
    found = CONFIRM_LINK.match(text or "")
    return (found.group(1), found.group(2)) if found else None
