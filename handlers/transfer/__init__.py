"""Transfers (转账): the private flow, the group command, inline transfers and the cards.

Modules:

- ``flow``: the private conversation (``/transfer``, the home button): person, amount, note,
  arrival, confirm, PIN; registers the group command and the conversation.
- ``confirm``: the confirm screen (amount, recipient, note, arrival; 余额不足: the two card choices),
  shared by the flow, the group command and the inline deep link.
- ``group``: ``/transfer 20 note`` in a group, replying to a member (confirm and PIN in private).
- ``inline``: ``@bot 20 [note]``: the inline result, the waiting card and its ``/start tfi_<nonce>``.
- ``card``: posting the cards after the PIN and editing them when a transfer ends (and after a sweep).
- ``card_text``: what a card says and its buttons, in the language and time zone of its reader.
- ``card_press``: the presses on the cards and the ``/start tf_<id>`` deep link.
- ``people``: who is who (the @usernames seen, a recipient's wallet, the names shown).
- ``callbacks``: every button and deep link of the feature, stated once.
- ``draft``: what the sender is about to send (``TransferDraft``) and an inline card waiting for
  its sender's PIN (``InlineWaiting``): the fields and steps, stated once.

Buttons (handlers/transfer/callbacks.py):

- ``tf:acc|ret:<transfer id>`` Accept / Return, on the recipient's card;
- ``tf:rev:<transfer id>`` Revoke (a delayed transfer, an inline one nobody took), the sender's;
- ``tf:take:<transfer id>`` Accept on an inline card;
- ``tf:skip|delay|ok|st|sc|no:<row id>:<nonce>`` the sender's screens (``Confirm``);
- URL buttons to the deep links ``tf_<transfer id>``, ``tfi_<nonce>`` and ``wallet``.
"""
