"""The welcome's buttons (handlers/start/callbacks.py) and the command menu (handlers/start/help.py)."""
from __future__ import annotations

import pytest

from handlers.start import callbacks as buttons
from handlers.start.help import COMMANDS, commands, welcome_keyboard


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_welcome_carries_the_same_data_as_before(lang):
    data = [b.callback_data for row in welcome_keyboard(lang).inline_keyboard for b in row]
    assert data == ["st:help", "st:about", "st:lang"]
    assert [buttons.Help.parse(data[0]), buttons.About.parse(data[1]), buttons.Language.parse(data[2])] \
        == [buttons.Help(), buttons.About(), buttons.Language()]
    assert not buttons.Help.pattern()("st:zzz")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_command_in_the_menu_is_described(lang):
    menu = commands(lang)
    assert [c.command for c in menu] == [name for name, _ in COMMANDS]
    assert all(c.description and not c.description.startswith("cmd.") for c in menu)
    assert {"topup", "withdraw", "cards", "security", "settings", "freeze", "unfreeze", "cancel"} <= {c.command for c in menu}
