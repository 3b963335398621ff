"""Every button of shops, receive codes and paying a code, stated once: the same class builds the
callback_data, registers the handler (``pattern=X.pattern()``) and parses the press
(handlers/ui/callbacks.py).

The screens (prefix ``shop``), checked on every press against the presser's own shops and codes:

    shop:list:0            Shops          my shops (/shop)
    shop:new:0             NewShop        register a shop (the name step)
    shop:open:<shop id>    OpenShop       one shop and its codes
    shop:code:<shop id>    NewCode        a new collection code for the shop (the amount step)
    shop:rc:0              MyReceiveCode  my receive code (/receive)
    shop:rca:0             ReceiveAmount  a receive code with an amount (the amount step)
    shop:qr:<code id>      ShowQr         a code's QR picture and link again
    shop:rv:<code id>      Revoke         revoke a code? (asks)
    shop:rvy:<code id>     RevokeYes      revoke it
    shop:rvn:0             RevokeNo       keep it

The steps of a draft, carrying its nonce (handlers/ui/confirm.py: ``<prefix>:<action>:<id>:<nonce>``):

    shn:cat:<i>:<nonce>         NameConfirm  the new shop's category (the i-th)
    shc:open:0:<nonce>          CodeConfirm  the new code takes any amount
    pay:ok|st|sc|no:0:<nonce>   PayConfirm   pay a code: pay, top up the shortfall and pay, pay
                                             with a card (handlers/ui/shortfall.py), cancel
"""
from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton

from handlers.ui import confirm
from handlers.ui.callbacks import Button, Fixed

PREFIX = "shop"
NAME_PREFIX, CODE_PREFIX, PAY_PREFIX = "shn", "shc", "pay"

NameConfirm = confirm.button(NAME_PREFIX)  # shn:cat:<category index>:<nonce>
CodeConfirm = confirm.button(CODE_PREFIX)  # shc:open:0:<nonce>
PayConfirm = confirm.button(PAY_PREFIX)  # pay:ok|st|sc|no:0:<nonce> (shortfall.offer builds st / sc)


@dataclass(frozen=True)
class Shops(Fixed, prefix=PREFIX, verb="list"):
    pass


@dataclass(frozen=True)
class NewShop(Fixed, prefix=PREFIX, verb="new"):
    pass


@dataclass(frozen=True)
class MyReceiveCode(Fixed, prefix=PREFIX, verb="rc"):
    pass


@dataclass(frozen=True)
class ReceiveAmount(Fixed, prefix=PREFIX, verb="rca"):
    pass


@dataclass(frozen=True)
class RevokeNo(Fixed, prefix=PREFIX, verb="rvn"):
    pass


@dataclass(frozen=True)
class OpenShop(Button, prefix=PREFIX, verb="open"):
    shop_id: int


@dataclass(frozen=True)
class NewCode(Button, prefix=PREFIX, verb="code"):
    shop_id: int


@dataclass(frozen=True)
class ShowQr(Button, prefix=PREFIX, verb="qr"):
    code_id: int


@dataclass(frozen=True)
class Revoke(Button, prefix=PREFIX, verb="rv"):
    code_id: int


@dataclass(frozen=True)
class RevokeYes(Button, prefix=PREFIX, verb="rvy"):
    code_id: int


def any_of(*kinds: type[Button]):
    """For ``pattern=``: a press that any of these buttons parses."""
    return lambda data: any(k.parse(data) is not None for k in kinds)


def button(label: str, press: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=press.data())

