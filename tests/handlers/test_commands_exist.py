"""Every /command a text of the bot names (the error texts of chat/errors.py included) is a
command the bot answers: a CommandHandler of the built Application, inside a flow or not."""
from __future__ import annotations

import re

from telegram.ext import CommandHandler, ConversationHandler

from bot.app import build_application
from bot.settings import Settings
from chat.i18n import LANGUAGES, catalog

COMMAND = re.compile(r"(?<![\w/<])/([a-z][a-z0-9_]*)")


def _commands(handlers) -> set[str]:
    found: set[str] = set()
    for h in handlers:
        if isinstance(h, CommandHandler):
            found |= set(h.commands)
        elif isinstance(h, ConversationHandler):
            found |= _commands(h.entry_points) | _commands(h.fallbacks)
            for state in h.states.values():
                found |= _commands(state)
    return found


def test_every_command_named_in_a_text_exists(tmp_path):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    app = build_application(settings, token="123:TEST")
    answered = _commands(h for group in app.handlers.values() for h in group)
    named = {}
    for lang in LANGUAGES:
        for msgid, text in catalog(lang).items():
            for cmd in COMMAND.findall(text):
                named.setdefault(cmd, msgid)
    assert {"topup", "cards", "bind", "unfreeze", "pin", "freeze"} <= set(named)  # the error texts' commands
    missing = {cmd: msgid for cmd, msgid in named.items() if cmd not in answered}
    assert not missing, f"texts name commands nobody answers: {missing}"


def test_the_command_menu_lists_the_flows_and_only_answered_commands(tmp_path):
    from handlers.start.help import COMMANDS, commands

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    app = build_application(settings, token="123:TEST")
    answered = _commands(h for group in app.handlers.values() for h in group)
    names = [name for name, _ in COMMANDS]
    assert {"topup", "withdraw", "cards", "security", "settings"} <= set(names)
    assert set(names) <= answered
    for lang in LANGUAGES:  # each has a description of its own in both languages
        assert all(c.description and not c.description.startswith("cmd.") for c in commands(lang))


def test_help_and_the_menu_name_every_command_the_bot_answers(tmp_path):
    """/help (both languages) and the command menu list every command the bot handles: /freeze, the
    emergency one, included (issue 21, finding 11)."""
    from chat.i18n import t
    from handlers.start.help import ADMIN_COMMANDS, COMMANDS

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    app = build_application(settings, token="123:TEST")
    answered = _commands(h for group in app.handlers.values() for h in group)
    assert {"topup", "withdraw", "cards", "security", "settings", "freeze", "unfreeze"} <= answered
    for lang in LANGUAGES:
        listed = set(COMMAND.findall(t(lang, "help.text")))
        assert answered <= listed, f"/help ({lang}) omits {sorted(answered - listed)}"
        assert listed <= answered, f"/help ({lang}) names {sorted(listed - answered)} nobody answers"
    assert answered == {name for name, _ in COMMANDS + ADMIN_COMMANDS}
    assert not {name for name, _ in COMMANDS} & {name for name, _ in ADMIN_COMMANDS}  # /risk: the admins' menu only
