"""The wallet home's buttons (handlers/home/callbacks.py): the keyboard carries the same data as
before the typed classes, each button is its own class (a feature's entry point matches its own
button only), and the shared pieces send the home's classes."""
from __future__ import annotations

import pytest

from handlers.home import callbacks as buttons
from handlers.home.screen import FEATURES, keyboard
from handlers.ui import entry


def data_of(markup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_home_keyboard_is_unchanged(lang):
    assert data_of(keyboard(lang)) == ["home:topup", "home:withdraw", "home:transfer", "home:redpacket", "home:pay",
                                       "home:bills", "home:cards", "home:security", "home:settings", "home:refresh"]


def test_each_feature_button_is_its_own_class():
    assert FEATURES == ("topup", "withdraw", "transfer", "redpacket", "pay", "bills", "cards", "security", "settings")
    for name, button in buttons.FEATURES.items():
        assert button().data() == f"home:{name}" and button.parse(f"home:{name}") == button()
        others = [f"home:{o}" for o in buttons.FEATURES if o != name] + [f"home:{name}x", f"home:{name}:1", "home:back"]
        assert not any(button.pattern()(o) for o in others), name


@pytest.mark.parametrize("data", ["home:zzz", "home:back", "home:refresh", "home:topup", "home:ABC"])
def test_the_homes_own_handler_takes_any_home_name(data):
    assert buttons.Pressed.parse(data).name == data.split(":")[1]


@pytest.mark.parametrize("data", ["home", "home:", "home:1", "home:a:b", "homes:topup", "home:a b", None])
def test_what_is_not_a_home_button(data):
    assert buttons.Pressed.parse(data) is None and not buttons.Back.pattern()(data)


def test_the_way_home_and_unfreeze_are_the_features_buttons():
    assert data_of(entry.home_button("en")) == ["home:back"]
    assert data_of(entry.unfreeze_buttons("zh_CN")) == ["sec:unfreeze", "home:back"]
    assert entry.home_fallback("topup").pattern("home:back") and not entry.home_fallback("topup").pattern("home:refresh")
