"""Security: the menu, change / forgot the PIN, freeze and unfreeze (one conversation).

Modules:
- ``menu.py``: ``/security`` (or the home button), the menu, the tips, freeze now (one confirmation,
  no PIN: it works even while the PIN is locked), and the conversation with its entry points
  (``/pin``, ``/forgotpin``, ``/freeze``, ``/unfreeze``, ``/tips``);
- ``pin.py``: change the PIN (old, new twice) and a forgotten PIN (ID number + SMS code -> new PIN twice);
- ``unfreeze.py``: unfreeze (PIN, ID number, SMS code);
- ``steps.py``: what the steps share (the states, sending, ending, PIN refusals, ID and code steps);
- ``antitheft.py``: the anti-theft settings (防盗设置): SMS above ¥X, night lock, new recipients'
  first payment waits, small payments without the PIN; each change with the PIN (a conversation of
  its own, ``antitheft``);
- ``checks.py``: recent safety checks, what risk control decided about the person and why;
- ``callbacks.py``: its buttons;
- ``draft.py``: the draft of a freeze or an unfreeze (``SecurityDraft``: its nonce, the key) and of an
  anti-theft change (``AntiTheftDraft``).

Buttons (callbacks.py): ``sec:change``, ``sec:forgot``, ``sec:freeze``, ``sec:unfreeze``,
``sec:tips`` (the menu's, each an entry point) and ``sfz:<yes|no>:0:<nonce>`` (freeze now?);
``sec:theft``, ``sec:checks``, ``ats:set:<setting>`` and ``ats:<off|no>:0:<nonce>`` (anti-theft).
"""
