"""Opening a wallet: its buttons (handlers/onboarding/callbacks.py) carry the same data as before
the typed classes and take nothing else; the code typed and the card's label are pure functions."""
from __future__ import annotations

import pytest

from handlers.onboarding import callbacks as buttons
from handlers.onboarding.card import code_buttons
from handlers.onboarding.draft import OpeningDraft
from handlers.onboarding.phone import typed_code
from handlers.onboarding.prompts import card_label, step_buttons


def data_of(markup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def test_the_buttons_carry_the_same_data_as_before():
    assert [buttons.Language(c).data() for c in ("zh_CN", "en")] == ["ob:lang:zh_CN", "ob:lang:en"]
    assert [b().data() for b in (buttons.Go, buttons.Resend, buttons.OtherCard, buttons.RetypeIdentity, buttons.Retry)] \
        == ["ob:go", "ob:resend", "ob:card", "ob:name", "ob:retry"]
    assert data_of(code_buttons("en")) == ["ob:resend", "ob:card"]
    assert data_of(step_buttons("zh_CN", [("ob.button.go", buttons.Go())], [("ob.button.retry", buttons.Retry())])) \
        == ["ob:go", "ob:retry"]


@pytest.mark.parametrize("data", ["ob:lang:xx", "ob:lang:zh", "ob:lang:", "ob:lang:en:1", "ob:lang"])
def test_only_the_offered_languages_parse(data):
    assert buttons.Language.parse(data) is None
    with pytest.raises(ValueError):
        buttons.Language("fr").data()


def test_each_button_takes_its_own_data_only():
    classes = (buttons.Go, buttons.Resend, buttons.OtherCard, buttons.RetypeIdentity, buttons.Retry)
    for button in classes:
        for other in classes:
            assert button.pattern()(other().data()) == (button is other)
        assert not button.pattern()(button().data() + ":1")


@pytest.mark.parametrize(("typed", "code"), [("123456", "123456"), (" 654321 ", "654321"), ("１２３４５６", "123456"),
                                             ("12345", None), ("1234567", None), ("12 3456", None), ("", None),
                                             ("abcdef", None)])
def test_the_code_typed(typed, code):
    assert typed_code(typed) == code


def test_the_cards_label_shows_the_last_four_only():
    draft = OpeningDraft(nonce="AbCdEfGh_-12", bank_zh="中国工商银行", bank_en="ICBC", card_type="credit", last4="0018")
    assert card_label("en", draft) == "ICBC credit card **** 0018"
    assert "中国工商银行" in card_label("zh_CN", draft) and "0018" in card_label("zh_CN", draft)
