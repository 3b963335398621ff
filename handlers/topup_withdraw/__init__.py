"""Top up (充值) and withdraw (提现): money between a bound bank card and the wallet's balance.

Modules:
- ``topup.py``: ``/topup`` or the home button: amount -> card -> PIN on the keypad -> result;
- ``withdraw.py``: ``/withdraw`` or the home button: amount or "all" -> preview (fee, free quota
  left) with the debit cards -> PIN -> result;
- ``callbacks.py``: their buttons;
- ``draft.py``: their drafts (``TopUpDraft``, ``WithdrawDraft``): amount, card, step.

Buttons (callbacks.py): the card choice of each, a confirm screen with the draft's nonce:
``tu:<card|no>:<card_id>:<nonce>`` and ``wd:<card|no>:<card_id>:<nonce>``. Entry points: the
home's ``home:topup`` and ``home:withdraw`` (handlers/home/callbacks.py).
"""
