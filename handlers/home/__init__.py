"""The wallet home: ``/wallet`` (and ``/start`` once the wallet is open) shows the balance and a
button per feature; one message, edited in place while the person navigates.

Modules:
- ``screen.py``: the home (render, show, ``/wallet``) and the handler of the home buttons no
  flow took (back / refresh redraw it; a feature not built yet: "coming soon"; anything else:
  "no longer valid" and the home again);
- ``callbacks.py``: the home's buttons, one class each.

Buttons (callbacks.py): ``home:<name>``: ``topup``, ``withdraw``, ``transfer``, ``redpacket``,
``pay``, ``bills``, ``cards``, ``security``, ``settings`` (each the entry point of that feature's
conversation, which imports the class from here), ``refresh`` and ``back`` (every flow's way home).
"""
