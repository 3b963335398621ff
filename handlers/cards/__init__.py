"""Bank cards: the list, the default card, unbinding and binding another card (one conversation).

Modules:
- ``menu.py``: ``/cards`` (or the home button) and ``/bind``, the list's presses (default, unbind
  with the PIN on the keypad) and the conversation;
- ``listing.py``: the list itself (shown by the menu, and again after a card was bound or unbound);
- ``bind.py``: binding another card: card number (deleted at once, held in memory only) -> the bank
  checks the identity and the card's reserved phone and sends its code -> the code;
- ``callbacks.py``: its buttons;
- ``draft.py``: the draft (``CardsDraft``): the list's nonce, the card to unbind, the card being bound.

Buttons (callbacks.py): one confirm-screen class, ``cd:<def|unb|bind|rs>:<card_id>:<nonce>`` (make
default, unbind, bind another, resend the binding's code). Entry point: the home's ``home:cards``.
"""
