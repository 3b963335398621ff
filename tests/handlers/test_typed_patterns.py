"""Every button handler of the bot's flows matches through a typed class (handlers/<feature>/callbacks.py,
``X.pattern()``) or a function stated beside them, never a regex of its own: walked over the built
Application (conversations' entry points, states and fallbacks included)."""
from __future__ import annotations

import re

from telegram.ext import CallbackQueryHandler, ConversationHandler

from bot.app import build_application
from bot.settings import Settings

# the packages whose buttons are typed (a feature joins once its callbacks.py states them all)
TYPED = ("handlers.onboarding", "handlers.home", "handlers.start", "handlers.topup_withdraw", "handlers.cards",
         "handlers.security", "handlers.settings", "handlers.alerts", "handlers.ui")


def _presses(handlers):
    for h in handlers:
        if isinstance(h, CallbackQueryHandler):
            yield h
        elif isinstance(h, ConversationHandler):
            yield from _presses(h.entry_points)
            yield from _presses(h.fallbacks)
            for state in h.states.values():
                yield from _presses(state)


def test_no_button_handler_of_a_typed_feature_matches_by_regex(tmp_path):
    app = build_application(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"), token="123:TEST")
    presses = [h for group in app.handlers.values() for h in _presses(group)]
    mine = [h for h in presses if h.callback.__module__.startswith(TYPED)]
    assert len(mine) > 30
    regexes = [(h.callback.__module__, h.callback.__name__, h.pattern.pattern) for h in mine
               if isinstance(h.pattern, re.Pattern)]
    assert not regexes
