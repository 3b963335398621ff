"""The bank cards' buttons (handlers/cards/callbacks.py): one confirm-screen class for the list's
and the binding's buttons, with the same data as before the typed class; the list (listing.py),
the menu and the binding no longer import each other around a circle."""
from __future__ import annotations

import pytest

from handlers.cards import callbacks as buttons
from handlers.ui import confirm


def test_the_buttons_carry_the_same_data_as_before():
    nonce = "AbCdEf123456"
    assert buttons.Confirm(buttons.DEFAULT, 12, nonce).data() == f"cd:def:12:{nonce}"
    assert buttons.Confirm(buttons.UNBIND, 12, nonce).data() == f"cd:unb:12:{nonce}"
    assert buttons.Confirm(buttons.BIND, 0, nonce).data() == f"cd:bind:0:{nonce}"
    assert buttons.Confirm(buttons.RESEND, 0, nonce).data() == f"cd:rs:0:{nonce}"
    assert buttons.Confirm is confirm.button("cd")


@pytest.mark.parametrize("data", ["cd:rs:0", "cd:unb:2147483648:AbCdEf123456", "cd:def:x:AbCdEf123456",
                                  "cd:rs:0:123456", "tu:rs:0:AbCdEf123456"])
def test_what_is_no_cards_button(data):
    assert buttons.Confirm.parse(data) is None


def test_the_binding_and_the_list_share_the_list_module():
    import handlers.cards.bind as bind
    import handlers.cards.listing as listing
    import handlers.cards.menu as menu

    assert bind.show_list is listing.show_list is menu.show_list
    assert bind.FEATURE == menu.FEATURE == listing.FEATURE == "cards"


@pytest.mark.parametrize("number,en,zh", [
    ("6222 0200 0000 0000 018", "ICBC debit ****0018", "中国工商银行 储蓄卡 ****0018"),
    ("6253 3000 0000 0013", "ICBC credit ****0013", "中国工商银行 信用卡 ****0013")])
def test_a_cards_label_names_the_bank_and_the_last_four_only(number, en, zh):
    from handlers.cards.draft import CardsDraft
    from handlers.ui.entry import card_label
    from wallet.bank import lookup_card

    card = CardsDraft(nonce="AbCdEf123456").recognised(lookup_card(number)).card  # as the binding labels it
    assert card_label(card, "en") == en and card_label(card, "zh_CN") == zh
    digits = "".join(ch for ch in number if ch.isdigit())
    assert digits[:-4] not in en + zh
