"""Shops, receive codes and paying a code (handlers/shop/): the buttons keep their data and refuse
anything else, the deep link, who is paid and a code's amount as shown; the buttons are built
nowhere but through handlers/shop/callbacks.py."""
from __future__ import annotations


import pytest

from handlers.shop import callbacks as cb
from handlers.shop.callbacks import (CodeConfirm, MyReceiveCode, NameConfirm, NewCode, NewShop, OpenShop, PayConfirm,
                                     ReceiveAmount, Revoke, RevokeNo, RevokeYes, Shops, ShowQr)
from handlers.shop.codes import code_amount, code_buttons
from handlers.shop.pay import DEEP_LINK, payee_label
from handlers.shop.receive import buttons as receive_buttons
from handlers.ui import confirm, shortfall

KINDS = (Shops, NewShop, OpenShop, NewCode, MyReceiveCode, ReceiveAmount, ShowQr, Revoke, RevokeYes, RevokeNo,
         NameConfirm, CodeConfirm, PayConfirm)


def test_every_shop_button_keeps_its_data():
    nonce = "AbCdEf_-1234"
    built = {Shops(): "shop:list:0", NewShop(): "shop:new:0", OpenShop(4): "shop:open:4", NewCode(4): "shop:code:4",
             MyReceiveCode(): "shop:rc:0", ReceiveAmount(): "shop:rca:0", ShowQr(8): "shop:qr:8",
             Revoke(8): "shop:rv:8", RevokeYes(8): "shop:rvy:8", RevokeNo(): "shop:rvn:0",
             NameConfirm("cat", 2, nonce): f"shn:cat:2:{nonce}", CodeConfirm("open", 0, nonce): f"shc:open:0:{nonce}",
             PayConfirm("ok", 0, nonce): f"pay:ok:0:{nonce}", PayConfirm("no", 0, nonce): f"pay:no:0:{nonce}"}
    for press, data in built.items():
        assert press.data() == data
        assert [k for k in KINDS if k.parse(data) is not None] == [type(press)], data  # exactly one parses it
    # the shortfall's choices on the pay screen are this feature's confirm button too
    for verb in shortfall.VERBS:
        assert PayConfirm.parse(confirm.data("pay", verb, 0, {"nonce": nonce})) == PayConfirm(verb, 0, nonce)
    assert (NameConfirm, CodeConfirm, PayConfirm) == tuple(confirm.button(p) for p in ("shn", "shc", "pay"))


@pytest.mark.parametrize("data", [
    "shop:list:1", "shop:new:2", "shop:rca:1", "shop:rvn:9", "shop:rc:1", "shop:open:99999999999999999999",
    "shop:open:2147483648", "shop:code:-1", "shop:qr:x", "shop:rv:1:2", "shop:zap:1", "shop:open",
    "shn:cat:1:123456", "shc:open:0", "pay:ok:0:", "pay:ok:x:abc", "tf:acc:1", "", None])
def test_crafted_shop_data_parses_as_no_button(data):
    assert not any(k.parse(data) is not None for k in KINDS)
    assert not cb.any_of(*KINDS)(data)


def test_the_home_pay_button_is_answered_here():
    from handlers.home.callbacks import Pay

    assert Pay.pattern()("home:pay") and not Pay.pattern()("home:pays") and not Pay.pattern()(None)


@pytest.mark.parametrize("text, code", [
    ("/start pay_AbC-_12", "AbC-_12"), ("/start@WalletDemoBot pay_x", "x"), ("/start pay_" + "a" * 60, "a" * 60)])
def test_the_payment_deep_link(text, code):
    assert DEEP_LINK.match(text).group(1) == code


@pytest.mark.parametrize("text", ["/start", "/start pay_", "/start pay_a b", "/start pay_" + "a" * 61,
                                  "/start tf_12", "/startpay_x", "/start pay_é"])
def test_what_is_not_a_payment_link(text):
    assert DEEP_LINK.match(text) is None


def test_who_is_paid():
    shop = {"kind": "shop", "shop_name": "Noodle House", "category": "food"}
    assert payee_label("en", shop).startswith("🏪 Noodle House (") and "Noodle House" in payee_label("zh_CN", shop)
    person = {"kind": "personal", "payee_name": "Bob", "payee_real_name": "*b"}
    assert payee_label("en", person) == "👤 Bob (*b)"
    assert payee_label("en", {"kind": "personal", "payee_name": None}) == "👤 ?"


def test_a_codes_amount_and_buttons():
    assert code_amount("en", {"amount": 1234}) == "¥12.34"
    assert code_amount("en", {"amount": None}) == "any amount (the payer types it)"
    assert [[b.callback_data for b in row] for row in code_buttons("en", 4)] == [["shop:code:4", "shop:open:4"]]
    assert [[b.callback_data for b in row] for row in receive_buttons("en", {"code_id": 8})] == [
        ["shop:rca:0", "shop:rv:8"]]
