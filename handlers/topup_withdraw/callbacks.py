"""The buttons of top-up and withdraw: each flow's card choice is a confirm screen
(handlers/ui/confirm.py) carrying the draft's nonce, ``<prefix>:<card|no>:<card_id>:<nonce>``
(``no``: cancel, card id 0). Their entry points are the home's ``TopUp`` and ``Withdraw``
(handlers/home/callbacks.py)."""
from __future__ import annotations

from handlers.ui import confirm

# which card to top up from: ``tu:card:<card_id>:<nonce>``, ``tu:no:0:<nonce>``
TopUpConfirm = confirm.button("tu")
# which card to pay out to: ``wd:card:<card_id>:<nonce>``, ``wd:no:0:<nonce>``
WithdrawConfirm = confirm.button("wd")
