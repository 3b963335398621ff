"""Every button handler of the bot's flows matches through a typed class (handlers/<feature>/callbacks.py,
``X.pattern()``) or a function stated beside them, never a regex of its own: walked over the built
Application (conversations' entry points, states and fallbacks included)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from telegram.ext import CallbackQueryHandler, ConversationHandler

from bot.app import build_application
from bot.settings import Settings

# the packages whose buttons are typed (a feature joins once its callbacks.py states them all)
TYPED = ("handlers.onboarding", "handlers.home", "handlers.start", "handlers.topup_withdraw", "handlers.cards",
         "handlers.security", "handlers.settings", "handlers.alerts", "handlers.ui", "handlers.transfer",
         "handlers.red_packet", "handlers.inline", "handlers.shop", "handlers.bills", "handlers.tickets",
         "handlers.risk")


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


# the prefixes of the typed packages' buttons, and the strings that look like one but are not a button
PREFIXES = ("ob", "home", "st", "tu", "wd", "cd", "sec", "sfz", "set", "alr", "pin", "tf", "rp", "hb", "bill",
            "ticket", "tka", "shop", "shn", "shc", "pay", "risk", "ats")
NOT_BUTTONS = {"home:message",  # user_data's key of the home message (handlers/home/screen.py)
               "rp:cards",      # bot_data's key of the live red-packet cards (handlers/red_packet/card.py)
               "hb:"}           # the head of the confirm link's hashed tag (handlers/red_packet/hongbao.py)


def test_no_button_data_is_written_by_hand_outside_callbacks():
    """In the typed packages, outside callbacks.py: no ``callback_data=`` or ``pattern=`` given a string,
    and no string that reads as one of their buttons' data."""
    root = Path(__file__).resolve().parents[2]
    looks_like = re.compile(rf"^({'|'.join(PREFIXES)}):")
    found = []
    for package in TYPED:
        for path in (root / package.replace(".", "/")).glob("*.py"):
            if path.name == "callbacks.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.keyword) and node.arg in ("callback_data", "pattern") \
                        and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
                    found.append(f"{path.name}:{node.lineno}")
                elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant) \
                        and looks_like.match(str(node.values[0].value)) and node.values[0].value not in NOT_BUTTONS:
                    found.append(f"{path.name}:{node.lineno}")
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and looks_like.match(node.value) \
                        and node.value not in NOT_BUTTONS:
                    found.append(f"{path.name}:{node.lineno}")
    assert not found


# packages where no module but callbacks.py passes callback_data= at all (every button goes through
# a helper of callbacks.py), nor a string pattern=
STRICT = ("handlers.bills", "handlers.shop", "handlers.tickets", "handlers.risk")


@pytest.mark.parametrize("package", STRICT)
def test_buttons_are_built_and_matched_only_through_callbacks(package):
    root = Path(__file__).resolve().parents[2]
    found = []
    for path in (root / package.replace(".", "/")).glob("*.py"):
        if path.name == "callbacks.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and (node.arg == "callback_data" or (
                    node.arg == "pattern" and isinstance(node.value, (ast.Constant, ast.JoinedStr)))):
                found.append(f"{path.name}:{node.lineno}")
    assert not found
