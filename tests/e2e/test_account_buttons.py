"""The account features' buttons through the emulator, since they are typed classes
(handlers/<feature>/callbacks.py): a press under their prefixes that names no button is answered
("this button is no longer valid" and the current screen), never silence, and moves nothing."""
from __future__ import annotations

import logging

from tests.e2e.flows import bot, opened  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import wallet_balance

# each names no button of its feature (an unknown verb, a value never offered, a field too many)
CRAFTED = ["st:zzz", "st:help:1", "home:ABC", "ob:zzz", "ob:lang:zh", "tu:zzz", "wd:card:1", "cd:rs:0",
           "sec:zzz", "sec:change:1", "sfz:yes:0", "pin:q:1:abcdefgh", "pin:d:10:abcdefgh", "pin:d:1:abc.defgh"]


async def test_a_press_that_names_no_account_button_is_answered(bot, ctx, people, alice, caplog):
    await opened(ctx, alice, balance=5_000)
    await alice.send("/wallet")
    home = await alice.expect(contains="零钱")
    for data in CRAFTED:
        answer = await alice.press(home, callback_data=data, forge=True)
        assert answer.show_alert and "按钮已失效" in answer.text, data
    assert await wallet_balance(ctx, alice.id) == 5_000
    assert not [r for r in caplog.records if r.name == "handlers.failure" and r.levelno >= logging.ERROR]


async def test_the_welcome_buttons_still_work(bot, people, bob):
    # the buttons under handlers/start/help.py's welcome (a private /start no other flow took; rarely
    # shown), each with its own handler now: pressed on another message of the chat
    await bob.send("/help")
    said = await bob.expect(contains="/topup")
    answer = await bob.press(said, callback_data="st:about", forge=True)
    assert answer.show_alert and answer.text
    await bob.press(said, callback_data="st:help", forge=True)
    await bob.expect(contains="/topup", where=lambda m: m.id != said.id)
