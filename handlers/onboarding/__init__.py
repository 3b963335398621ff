"""Opening a wallet (开通流程), in the private chat: ``/start`` for a newcomer; one conversation.

Modules:
- ``flow.py``: the entry (``/start``), the language and intro steps, the PIN (twice, on the keypad)
  and the conversation (its states, persisted: a restart continues at the same step);
- ``prompts.py``: the steps' names, the draft's helpers (secrets encrypted with the PII key) and
  each step's question (``/start`` re-shows the current one);
- ``phone.py``: the phone (shared contact, or typed) and its SMS code;
- ``card.py``: the real name, the ID number, the card number and the card's SMS code (bank verification);
- ``callbacks.py``: its buttons;
- ``draft.py``: the draft (``OpeningDraft``): what each step keeps, secrets only encrypted.

Buttons (callbacks.py): ``ob:lang:<zh_CN|en>``, ``ob:go`` (open my wallet), ``ob:resend`` (a new
code), ``ob:card`` (use another card), ``ob:name`` (type the name and ID again), ``ob:retry``
(after a bank time-out).
"""
