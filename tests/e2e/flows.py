"""Steps shared by the e2e tests of the open-wallet flows (top-up, withdraw, cards, security,
settings): a person with an open wallet on the bot's own database, the keypad, the secret scan."""
from __future__ import annotations

import re

import pytest

from tests.e2e.steps import assert_no_secrets
from tests.people import Message, Person
from tests.wallet.helpers import PIN, card_for, id_for, make_person

KEYPAD = "○"  # the empty dots of a fresh keypad


_world: list = []  # the emulator's World of the running test (for the scan of deleted messages)


@pytest.fixture
def bot(bot, ctx, emulator):
    """The running bot, its wallet swapped for the suite's (same database, a fake clock, the
    in-process sandbox SMS, cheap bcrypt): people are set up through the wallet services."""
    own = bot.bot_data["wallet"]
    bot.bot_data["wallet"] = ctx
    _world.append(emulator.world)
    yield bot
    _world.remove(emulator.world)
    bot.bot_data["wallet"] = own


async def opened(ctx, person: Person, *, balance: int = 0) -> dict:
    """An open wallet (card bound, PIN set) for ``person``, in their Telegram language."""
    lang = "zh-CN" if (person.language_code or "").startswith("zh") else "en"
    return await make_person(ctx, person.id, balance=balance, language=lang)


async def keypad(person: Person, *, where=None, **kw) -> Message:
    """The first keypad the bot showed ``person`` since the last action (``where``: and more)."""
    def is_pad(m: Message) -> bool:
        return any(re.fullmatch(r"\d", b) for b in m.buttons) and (where is None or where(m))
    return await person.expect(where=is_pad, **kw)


async def enter_pin(person: Person, pin: str = PIN, *, pad: Message | None = None) -> Message:
    """Tap ``pin`` on the keypad (found by its digits, which are shuffled); returns the keypad message."""
    pad = pad or await keypad(person)
    layout = {b["text"]: b["callback_data"] for row in pad.keyboard for b in row}
    for digit in pin:
        await person.press(pad, callback_data=layout[digit])
    return pad


async def scan_secrets(person: Person, *, pins: tuple[str, ...] = (PIN,), extra: tuple[str, ...] = ()) -> None:
    """No message left in the chat, and none the bot ever sent there (deleted ones too), holds a
    PIN, the full ID number or the full card number (tests.e2e.steps.assert_no_secrets); no
    button's callback_data holds the ID or a card number."""
    secrets = [*pins, id_for(person.id), card_for(person.id), *extra]
    await assert_no_secrets(person.people, person, secrets, world=_world[-1] if _world else None)
    for msg in await person.messages():
        for row in msg.keyboard:
            for button in row:
                assert not any(s in (button.get("callback_data") or "") for s in secrets if len(s) > 6)
