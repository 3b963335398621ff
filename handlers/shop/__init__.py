"""Collect and pay (收付款): shops and their collection codes, the personal receive code, and paying
a code from its QR picture or link (``t.me/<bot>?start=pay_<code>``).

Modules:
- ``callbacks``: every button of shops, receive codes and paying, as typed classes that build,
  register and parse them.
- ``menu``: ``/shop``: the person's shops, one shop with its codes, and the shop conversation's
  wiring (``register``).
- ``steps``: the steps of a shop draft: register a shop (name, category) and a new code's amount.
- ``codes``: a code's QR picture and payment link (``send_code``, shared with ``receive``) and the
  QR / revoke buttons on one's own codes.
- ``receive``: ``/receive``, the person's own receive code, and ``home:pay``, the Pay / Collect menu.
- ``pay``: ``/start pay_<code>``: who is paid and how much, confirm (or the shortfall's choices),
  PIN keypad, paid; the payee is told through the outbox.
- ``draft``: the drafts of paying (``PayDraft``), registering a shop and a new code.

Buttons (handlers/shop/callbacks.py): ``Shops``, ``NewShop``, ``OpenShop``, ``NewCode``,
``MyReceiveCode``, ``ReceiveAmount``, ``ShowQr``, ``Revoke``, ``RevokeYes``, ``RevokeNo``
(``shop:<verb>:<id>``); the draft steps' ``NameConfirm`` (``shn:cat:<i>:<nonce>``) and
``CodeConfirm`` (``shc:open:0:<nonce>``); ``PayConfirm`` (``pay:ok|st|sc|no:0:<nonce>``).
"""
