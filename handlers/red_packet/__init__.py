"""Red packets (红包): ``/hongbao`` in a group, inline packets, the confirm in private, the live card.

Modules:

- ``hongbao``: the group command, parsing it (``parse``), the waiting card, the home button; registers
  the card's presses (``claim``).
- ``inline``: ``@bot hb 20 5 greeting``: the inline result (asked by handlers/inline/query.py).
- ``confirm``: ``/start hb_<nonce>_<tag>`` in private: the summary, 余额不足's choices, the PIN; the packet
  is made and its card goes live.
- ``card``: the live card: what it says, going live, its merged edits, the edit after expiry.
- ``claim``: the presses on the live card ("Open 拆", "Details").
- ``callbacks``: every button and deep link of the feature, stated once.
- ``spec``: what a packet is (``PacketSpec``); ``draft``: a packet waiting for its sender's PIN
  (``PacketDraft``).

Buttons (handlers/red_packet/callbacks.py):

- ``rp:open:<packet id>:<card token>`` "Open 拆" and ``rp:info:<packet id>:<card token>`` "Details", on
  the live card (any other ``rp:`` data gets the card's own refusal);
- ``hb:st|sc|no:0:<nonce>`` the sender's confirm in private (``Confirm``);
- URL buttons to the deep links ``hb_<nonce>_<owner tag>`` (confirm) and ``rp`` (open a wallet).
"""
