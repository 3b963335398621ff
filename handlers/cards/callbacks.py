"""The bank cards' buttons: one confirm-screen class (handlers/ui/confirm.py), ``cd:<action>:<card_id>:<nonce>``
with the list's draft nonce (an older list's buttons get a popup):

- ``cd:def:<card_id>:<nonce>``: make this card the default;
- ``cd:unb:<card_id>:<nonce>``: unbind it (the PIN on the keypad);
- ``cd:bind:0:<nonce>``: bind another card (handlers/cards/bind.py);
- ``cd:rs:0:<nonce>``: Resend, under a binding's code message (the binding's draft nonce).

Its entry point from the home is the home's ``Cards`` (handlers/home/callbacks.py).
"""
from __future__ import annotations

from handlers.ui import confirm

Confirm = confirm.button("cd")
DEFAULT, UNBIND, BIND, RESEND = "def", "unb", "bind", "rs"
