"""The settings' buttons (handlers/settings/callbacks.py): the same data as before the typed
classes; ``parse`` names each, and anything else under ``set:`` is None (the menu answers it as
an old button on its own screen)."""
from __future__ import annotations

import pytest

from handlers.settings import callbacks as buttons
from handlers.settings.menu import ZONES


@pytest.mark.parametrize(("data", "press"), [
    ("set:menu", buttons.Menu()), ("set:lang:zh", buttons.Language("zh")), ("set:lang:en", buttons.Language("en")),
    ("set:tzs", buttons.Zones()), ("set:tz:0", buttons.Zone(0)), ("set:tz:10", buttons.Zone(10)),
    ("set:tztype", buttons.TypeZone()), ("set:cards", buttons.Cards()), ("set:card:42", buttons.Card(42))])
def test_each_button_builds_and_parses_its_data(data, press):
    assert press.data() == data and buttons.parse(data) == press and buttons.ours(data)


@pytest.mark.parametrize("data", ["set:lang:xx", "set:lang:zh_CN", "set:tz:-1", "set:tz:x", "set:card:2147483648",
                                  "set:card:abc", "set:zzz", "set:menu:1", "set:tzs:1", "set"])
def test_old_or_crafted_presses_name_no_button(data):
    assert buttons.parse(data) is None


def test_the_menu_takes_every_press_under_its_prefix_and_nothing_else():
    assert buttons.ours("set:zzz") and buttons.ours("set:lang:xx")
    assert not buttons.ours("settings") and not buttons.ours("alr:menu") and not buttons.ours(None)


def test_the_languages_and_zones_offered():
    assert buttons.Language.CODES == {"zh": "zh_CN", "en": "en"}
    assert len(ZONES) == len(set(ZONES)) and ZONES[0] == "Asia/Shanghai"
    assert all(buttons.Zone(i).data() == f"set:tz:{i}" for i in range(len(ZONES)))
