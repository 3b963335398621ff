"""The callback_data grammar and typed buttons (handlers/ui/callbacks.py): ids within a database
integer, tokens never read as numbers, one class builds and parses each button."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, strategies as st

from handlers.ui import callbacks
from handlers.ui.callbacks import ID_MAX, Button, well_formed


@dataclass(frozen=True)
class Accept(Button, prefix="tf", verb="acc"):
    transfer_id: int


@dataclass(frozen=True)
class Open(Button, prefix="rp", verb="open"):
    packet_id: int
    token: str


@dataclass(frozen=True)
class Refresh(Button, prefix="home", verb="refresh"):
    pass


def test_a_button_builds_and_parses_its_data():
    assert Accept(42).data() == "tf:acc:42"
    assert Accept.parse("tf:acc:42") == Accept(42)
    assert Open(7, "AbC-_x").data() == "rp:open:7:AbC-_x"
    assert Open.parse("rp:open:7:AbC-_x") == Open(7, "AbC-_x")
    assert Refresh().data() == "home:refresh" and Refresh.parse("home:refresh") == Refresh()


@pytest.mark.parametrize("data", ["tf:acc:-1", "tf:acc:1.0", "tf:acc:", "tf:acc:2147483648",
                                  "tf:acc:99999999999999999999", "tf:ret:1", "tf:acc:1:2", "zzz", "tf:acc:0x1",
                                  "tf:acc:١٢", None, 5, "rp:open:1:123", "rp:open:1:a b", "tf:acc:+1"])
def test_anything_else_does_not_parse(data):
    assert Accept.parse(data) is None and Open.parse(data) is None
    assert not Accept.pattern()(data)


def test_bounds_are_a_database_integer():
    assert Accept.parse(f"tf:acc:{ID_MAX}") == Accept(ID_MAX)
    assert Accept.parse(f"tf:acc:{ID_MAX + 1}") is None
    with pytest.raises(ValueError):
        Accept(ID_MAX + 1).data()
    with pytest.raises(ValueError):
        Open(1, "x" * 70).data()  # over 64 bytes


@given(st.text(max_size=80))
def test_the_gate_and_the_buttons_never_raise(data):
    ok = well_formed(data)
    parsed = Accept.parse(data)
    if parsed is not None:
        assert ok and parsed.data() == data


@given(st.integers(min_value=1, max_value=20))
def test_tokens_never_read_as_numbers(n):
    token = callbacks.token(n)
    assert not token.lstrip("-").isdigit()
    assert well_formed(f"x:y:{token}"[:64]) or len(token) > 48


def test_the_gate_refuses_numbers_a_database_cannot_hold():
    assert well_formed("tf:acc:2147483647") and well_formed("alr:low:-5")
    assert not well_formed("tf:acc:2147483648") and not well_formed("shop:open:99999999999999999999")
    assert not well_formed("x" * 65) and not well_formed("") and not well_formed("TF:acc:1")
    assert not well_formed("tf:acc:1 ") and not well_formed("tf:acc:1\n")
