"""The security flow's buttons (handlers/security/callbacks.py): the same data as before the typed
classes, each menu button taken by its own entry point only; Unfreeze and Forgot are also sent by
the shared pieces (a frozen wallet's notice, a locked PIN's notice)."""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from handlers.security import callbacks as buttons
from handlers.security.menu import conversation
from handlers.ui import confirm

MENU = {buttons.Change: "sec:change", buttons.Forgot: "sec:forgot", buttons.Freeze: "sec:freeze",
        buttons.Unfreeze: "sec:unfreeze", buttons.Tips: "sec:tips"}


def test_the_buttons_carry_the_same_data_as_before():
    assert {b: b().data() for b in MENU} == MENU
    assert buttons.FreezeConfirm("yes", 0, "AbCdEf123456").data() == "sfz:yes:0:AbCdEf123456"
    assert buttons.FreezeConfirm is confirm.button("sfz")


def test_each_menu_button_has_its_own_entry_point():
    presses = [h for h in conversation().entry_points if isinstance(h, CallbackQueryHandler)]
    for button, data in MENU.items():
        takers = [h for h in presses if h.pattern(data)]
        assert len(takers) == 1, data
    assert [h for h in presses if h.pattern("home:security")]
    assert not [h for h in presses if h.pattern("sec:zzz") or h.pattern("sec:change:1")]
