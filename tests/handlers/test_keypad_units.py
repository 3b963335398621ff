"""The PIN keypad's keys (handlers.ui.callbacks.PinKey, drawn by handlers/ui/keypad_screen.py):
``pin:<d|x|c>:<position>:<nonce>`` exactly as before the typed class, nothing else parses, and the
data never tells which digit a key shows."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from handlers.ui import keypad_lock
from handlers.ui.callbacks import PinKey
from handlers.ui.keypad_screen import DOTS_OFF, DOTS_ON, _Entry, markup, screen_text, shuffled


def entry(layout: list[str] | None = None, **kw) -> _Entry:
    return _Entry(user_id=1, chat_id=1, message_id=5, nonce="AbC-_x12", layout=layout or list("0123456789"),
                  title="PIN", twice=False, **kw)


def test_the_keys_carry_the_same_data_as_before():
    assert PinKey("d", 7, "AbC-_x12").data() == "pin:d:7:AbC-_x12"
    assert PinKey(PinKey.CANCEL, 0, "AbC-_x12").data() == "pin:c:0:AbC-_x12"
    assert PinKey(PinKey.DELETE, 0, "AbC-_x12").data() == "pin:x:0:AbC-_x12"
    assert PinKey.parse("pin:d:9:oldnonce") == PinKey("d", 9, "oldnonce")


@pytest.mark.parametrize("data", ["pin:d:10:AbC-_x12", "pin:q:1:AbC-_x12", "pin:d:1:abcde", "pin:d:1:" + "a" * 17,
                                  "pin:d:1:abc.defg", "pin:d:9:zzzz", "pin:d:1:12345678", "pin:d:-1:AbC-_x12",
                                  "pin:d:1", "pin:d:1:AbC-_x12:x", "pn:d:1:AbC-_x12", "pin:D:1:AbC-_x12", None])
def test_anything_else_under_pin_does_not_parse(data):
    assert PinKey.parse(data) is None and not PinKey.pattern()(data)


def test_a_key_that_cannot_be_built_raises():
    with pytest.raises(ValueError):
        PinKey("d", 10, "AbC-_x12").data()
    with pytest.raises(ValueError):
        PinKey("d", 1, "short").data()


def test_the_keypad_has_ten_digits_delete_and_cancel_all_of_its_nonce():
    keys = [PinKey.parse(b.callback_data) for row in markup(entry(), "en").inline_keyboard for b in row]
    assert all(k is not None and k.nonce == "AbC-_x12" for k in keys)
    assert sorted(k.position for k in keys if k.action == PinKey.DIGIT) == list(range(10))
    assert sorted(k.action for k in keys if k.action != PinKey.DIGIT) == [PinKey.CANCEL, PinKey.DELETE]


@given(st.permutations(list("0123456789")))
def test_the_data_does_not_depend_on_the_digits_shown(layout):
    plain = [b.callback_data for row in markup(entry(), "en").inline_keyboard for b in row]
    drawn = markup(entry(list(layout)), "en").inline_keyboard
    assert [b.callback_data for row in drawn for b in row] == plain
    assert [b.text for b in drawn[0]] == list(layout[:3])


def test_the_dots_count_what_was_typed():
    text = screen_text(entry(typed=["1", "2"]), "en", notice="Wrong PIN")
    assert text.startswith("Wrong PIN\n\nPIN") and DOTS_ON * 2 + DOTS_OFF * 4 in text
    assert "12" not in text  # never what was typed


def test_a_shuffle_is_the_ten_digits():
    assert sorted(shuffled()) == list("0123456789")


def test_a_locked_pins_button_opens_forgot_pin():
    (button,), = keypad_lock.reset_markup("en").inline_keyboard
    assert button.callback_data == "sec:forgot"
